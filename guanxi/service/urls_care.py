"""Service web routes (urls_care); included by guanxi.service.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
