"""Activity, calendar, SPIN call planning, target, forecast and dashboard pages (namespace "sales",
included by ``guanxi.sales.urls``)."""

from django.urls import path

from guanxi.sales import views_activities as views
from guanxi.sales import views_dashboard as dashboard

urlpatterns: list = [  # type: ignore[type-arg]
    path("my-day/", views.my_day, name="my_day"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/feed/", views.calendar_feed, name="calendar_feed"),
    path("calendar/feed/revoke/", views.calendar_feed_revoke, name="calendar_feed_revoke"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/complete/", views.activity_complete, name="activity_complete"),
    path("activities/<int:pk>/reopen/", views.activity_reopen, name="activity_reopen"),
    path("call-plans/new/", views.call_plan_create, name="call_plan_create"),
    path("call-plans/<int:pk>/log/", views.call_plan_log, name="call_plan_log"),
    path("spin-library/", views.spin_library, name="spin_library"),
    path("spin-library/<int:pk>/edit/", views.spin_question_edit, name="spin_question_edit"),
    path("spin-library/<int:pk>/deactivate/", views.spin_question_deactivate, name="spin_question_deactivate"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("call-quality/", dashboard.call_quality, name="call_quality"),
    path("forecast/", dashboard.forecast_page, name="forecast"),
    path("targets/", dashboard.targets_page, name="targets"),
    path("targets/<int:target_id>/delete/", dashboard.target_delete, name="target_delete"),
]
