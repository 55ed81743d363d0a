"""Service web routes (urls_care); included by guanxi.service.urls: the service dashboard and the
satisfaction analysis (``views_dashboard``), the survey designer (``views_surveys``) and follow-up
visits with their rules (``views_followups``)."""

from django.urls import URLPattern, path

from guanxi.service import views_dashboard, views_followups, views_surveys

urlpatterns: list[URLPattern] = [
    path("", views_dashboard.dashboard, name="dashboard"),
    path("analysis/", views_dashboard.analysis_page, name="analysis"),
    path("surveys/", views_surveys.survey_list, name="survey_list"),
    path("surveys/new/", views_surveys.survey_create, name="survey_create"),
    path("surveys/<int:pk>/", views_surveys.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/edit/", views_surveys.survey_edit, name="survey_edit"),
    path("surveys/<int:pk>/deactivate/", views_surveys.survey_deactivate, name="survey_deactivate"),
    path("surveys/<int:pk>/items/new/", views_surveys.item_add, name="item_add"),
    path("surveys/<int:pk>/items/reorder/", views_surveys.item_reorder, name="item_reorder"),
    path("surveys/<int:pk>/invite/", views_surveys.survey_invite, name="survey_invite"),
    path("surveys/items/<int:pk>/edit/", views_surveys.item_edit, name="item_edit"),
    path("surveys/items/<int:pk>/remove/", views_surveys.item_remove, name="item_remove"),
    path("followups/", views_followups.followup_list, name="followup_list"),
    path("followups/<int:pk>/", views_followups.followup_detail, name="followup_detail"),
    path("followups/<int:pk>/complete/", views_followups.followup_complete, name="followup_complete"),
    path("followups/rules/", views_followups.rule_list, name="followup_rules"),
    path("followups/rules/<int:pk>/edit/", views_followups.rule_edit, name="followup_rule_edit"),
    path("followups/rules/<int:pk>/delete/", views_followups.rule_delete, name="followup_rule_delete"),
]
