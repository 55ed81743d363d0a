"""Public pages without login at /feedback/ (namespace "public_service"): the complaint and
feedback form, a complaint's private status page, and survey answer pages (single-use links)."""

from django.urls import path  # noqa: F401

from guanxi.service import survey_public_urls

app_name = "public_service"
urlpatterns: list = [  # type: ignore[type-arg]
    *survey_public_urls.urlpatterns,
]
