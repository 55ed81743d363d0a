"""Service web pages at /service/ (namespace "service")."""

from django.urls import path  # noqa: F401

app_name = "service"
urlpatterns: list = []  # type: ignore[type-arg]
