"""Public pages without login at /feedback/ (namespace "public_service"): the complaint and
feedback form, a complaint's private status page, and survey answer pages (single-use links)."""

from django.urls import path

from guanxi.service import public_views
from guanxi.service.survey_public_urls import urlpatterns as survey_urlpatterns

app_name = "public_service"
urlpatterns = [
    path("", public_views.feedback, name="feedback"),
    path("status/<uuid:public_token>/", public_views.status, name="status"),
    *survey_urlpatterns,
]
