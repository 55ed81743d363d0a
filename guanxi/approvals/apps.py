"""Approvals (审批): a generic engine any object can use through a registry (DOMAIN §4, issue 6)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "guanxi.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        # Notification kinds register on import. The periodic reminder job is NOT wired here: this
        # app sits below dataio, so ``dataio_specs.py`` (which the dataio app autodiscovers) does it.
        from guanxi.approvals import services  # noqa: F401
