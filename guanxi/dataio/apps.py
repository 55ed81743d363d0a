from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataioConfig(AppConfig):
    name = "guanxi.dataio"
    label = "dataio"
    verbose_name = _("Import, export and jobs")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Job handlers register themselves on import; the worker and the scheduler need them loaded:
        # the shipped ones (handlers), the import/export engine's, and each app's dataio_specs.py.
        from guanxi.dataio import exporting, handlers, importing  # noqa: F401

        autodiscover_modules("dataio_specs")
