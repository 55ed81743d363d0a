"""Survey answer pages under /feedback/ (spliced into ``public_urls``, namespace "public_service")."""

from django.urls import path

from guanxi.service import survey_public_views

urlpatterns = [
    path("survey/<str:token>/", survey_public_views.survey_answer, name="survey_answer"),
]
