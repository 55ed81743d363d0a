from django.urls import path

from guanxi.dataio import views

app_name = "dataio"

urlpatterns = [
    path("import/", views.upload, name="upload"),
    path("import/<uuid:pk>/", views.status, name="status"),
    path("import/<uuid:pk>/mapping/", views.mapping_view, name="mapping"),
    path("import/<uuid:pk>/dry-run/", views.dry_run, name="dry_run"),
    path("import/<uuid:pk>/start/", views.start, name="start"),
    path("import/jobs/<uuid:job_id>/failed-rows/", views.failed_rows, name="failed_rows"),
    path("import/templates/<int:template_id>/delete/", views.template_delete, name="template_delete"),
    path("export/<slug:object_type>/", views.export, name="export"),
    path("export/jobs/<uuid:job_id>/", views.export_status, name="export_status"),
    path("export/jobs/<uuid:job_id>/download/", views.export_download, name="export_download"),
]
