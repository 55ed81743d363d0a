"""Service web routes (urls_complaints); included by guanxi.service.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
