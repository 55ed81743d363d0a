"""Sales web pages at /sales/. Pipeline, opportunity and lead pages are listed here; activity,
calendar, SPIN, target, forecast and dashboard pages in ``urls_activities``."""

from django.urls import path

from guanxi.sales import urls_activities, views, views_leads, views_opportunities

app_name = "sales"
urlpatterns: list = [  # type: ignore[type-arg]
    path("board/", views.board, name="board"),
    path("board/<int:pipeline_id>/", views.board, name="board_pipeline"),
    path("board/stage/<int:stage_id>/cards/", views.board_column, name="board_column"),
    path("opportunities/", views_opportunities.opportunity_list, name="opportunity_list"),
    path("opportunities/new/", views_opportunities.opportunity_create, name="opportunity_create"),
    path("opportunities/views/save/", views_opportunities.opportunity_view_save, name="opportunity_view_save"),
    path("opportunities/views/<int:view_id>/delete/", views_opportunities.opportunity_view_delete, name="opportunity_view_delete"),
    path("opportunities/bulk/", views_opportunities.opportunity_bulk, name="opportunity_bulk"),
    path("opportunities/<int:pk>/", views_opportunities.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", views_opportunities.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("opportunities/<int:pk>/win/", views_opportunities.opportunity_win, name="opportunity_win"),
    path("opportunities/<int:pk>/lose/", views_opportunities.opportunity_lose, name="opportunity_lose"),
    path("leads/", views_leads.lead_list, name="lead_list"),
    path("leads/new/", views_leads.lead_create, name="lead_create"),
    path("leads/<int:pk>/", views_leads.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", views_leads.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/convert/", views_leads.lead_convert, name="lead_convert"),
    *urls_activities.urlpatterns,
]
