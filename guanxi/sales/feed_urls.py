"""The public-by-secret iCalendar feed URL (outside the login wall; the token is the credential)."""

from django.urls import path  # noqa: F401

app_name = "calendar"
urlpatterns: list = []  # type: ignore[type-arg]
