from django.urls import path

from guanxi.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("new/", views.account_create, name="account_create"),
    path("<int:pk>/", views.account_detail, name="account_detail"),
    path("<int:pk>/history/", views.account_history, name="account_history"),
    path("<int:pk>/tab/<slug:tab>/", views.account_tab, name="account_tab"),
    path("<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("<int:pk>/delete/", views.account_delete, name="account_delete"),
    path("<int:pk>/transfer/", views.account_transfer, name="account_transfer"),
]

urlpatterns += [
    path("views/save/", views.account_view_save, name="account_view_save"),
    path("views/<int:view_id>/delete/", views.account_view_delete, name="account_view_delete"),
    path("bulk/", views.account_bulk, name="account_bulk"),
    path("pool/", views.pool_list, name="pool"),
    path("pool/<int:pk>/claim/", views.pool_claim, name="pool_claim"),
    path("<int:pk>/release/", views.account_release, name="account_release"),
]

from guanxi.customers import dedupe_views  # noqa: E402

urlpatterns += [
    path("duplicates/", dedupe_views.duplicate_list, name="duplicates"),
    path("duplicates/<int:pk>/dismiss/", dedupe_views.duplicate_dismiss, name="duplicate_dismiss"),
    path("<int:pk>/merge/<int:other>/", dedupe_views.account_merge, name="account_merge"),
]

from guanxi.customers import custom_field_views  # noqa: E402

urlpatterns += [
    path("custom-fields/", custom_field_views.custom_field_list, name="custom_fields"),
    path("custom-fields/new/", custom_field_views.custom_field_edit, name="custom_field_create"),
    path("custom-fields/<int:pk>/", custom_field_views.custom_field_edit, name="custom_field_edit"),
]

from guanxi.customers import contact_views  # noqa: E402

urlpatterns += [
    path("contacts/", contact_views.contact_list, name="contact_list"),
    path("contacts/new/", contact_views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", contact_views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contact_views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", contact_views.contact_delete, name="contact_delete"),
    path("orders/", contact_views.order_list, name="order_list"),
]

from guanxi.customers import search_views  # noqa: E402

urlpatterns += [path("search/", search_views.search_page, name="search")]

urlpatterns += [
    path("<int:pk>/shares/", views.account_share, name="account_share"),
    path("<int:pk>/shares/<int:share_id>/delete/", views.account_unshare, name="account_unshare"),
]
