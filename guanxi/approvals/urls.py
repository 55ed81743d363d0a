"""Approval pages at /approvals/."""

from django.urls import path

from guanxi.approvals import views

app_name = "approvals"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/decide/", views.request_decide, name="request_decide"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("flows/", views.flows, name="flows"),
    path("flows/<int:pk>/toggle/", views.flow_toggle, name="flow_toggle"),
    path("flows/<int:pk>/delete/", views.flow_delete, name="flow_delete"),
]
