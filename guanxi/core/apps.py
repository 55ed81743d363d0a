from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "guanxi.core"
    label = "core"

    def ready(self) -> None:
        from guanxi.core import lookups

        lookups.register()
