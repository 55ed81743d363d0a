"""Service web routes (urls_complaints); included by guanxi.service.urls: the complaint pages of
``views_complaints`` (the list, the complaint page and its POST actions) and
``views_complaints_edit`` (create and edit)."""

from django.urls import URLPattern, path

from guanxi.service import views_complaints as views
from guanxi.service import views_complaints_edit as edit

urlpatterns: list[URLPattern] = [
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/new/", edit.complaint_create, name="complaint_create"),
    path("complaints/new/refs/", edit.complaint_refs, name="complaint_refs"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/edit/", edit.complaint_edit, name="complaint_edit"),
    path("complaints/<int:pk>/transition/", views.complaint_transition, name="complaint_transition"),
    path("complaints/<int:pk>/notes/", views.complaint_note, name="complaint_note"),
    path("complaints/<int:pk>/assign/", views.complaint_assign, name="complaint_assign"),
    path("complaints/<int:pk>/delete/", views.complaint_delete, name="complaint_delete"),
]
