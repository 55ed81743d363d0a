from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "guanxi.customers"
    label = "customers"
    verbose_name = _("Customer archive")

    def ready(self) -> None:
        from guanxi.customers.models import Order
        from guanxi.users.visibility import register_delegate

        # An order is visible and editable exactly when its account is.
        register_delegate(Order, via="account")
        # Job handlers register themselves on import; the worker needs them loaded.
        from guanxi.customers import bulk  # noqa: F401
