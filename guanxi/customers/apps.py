from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "guanxi.customers"
    label = "customers"
    verbose_name = _("Customer archive")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # bulk and tasks: job handlers register themselves on import; the worker needs them loaded.
        from guanxi.customers import bulk, search_db, tasks  # noqa: F401
        from guanxi.customers.models import Order
        from guanxi.users.visibility import register_delegate

        # An order is visible and editable exactly when its account is.
        register_delegate(Order, via="account")
        # Chinese search: lookups on search_text, and SQLite FTS triggers restored after table rebuilds.
        search_db.register_lookups()
        post_migrate.connect(search_db.ensure_sqlite_sync, sender=self, dispatch_uid="guanxi.customers.search_sync")
