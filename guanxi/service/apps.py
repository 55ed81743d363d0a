from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "guanxi.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self) -> None:
        # Surveys and follow-ups: visibility delegates, 360° timeline providers, notification kinds,
        # webhook events and periodic jobs register on import.
        from guanxi.service import surveys_ready  # noqa: F401
