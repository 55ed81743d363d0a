from django.urls import path

from guanxi.web import notifications_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/language/", views.set_language, name="set_language"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("trash/", views.trash, name="trash"),
    path("trash/<str:object_type>/<int:object_id>/restore/", views.trash_restore, name="trash_restore"),
    path("notifications/", notifications_views.notification_list, name="notifications"),
    path("notifications/bell/", notifications_views.notification_bell, name="notifications_bell"),
    path("notifications/read/", notifications_views.notification_read, name="notifications_read"),
    path("notifications/preferences/", notifications_views.notification_preferences, name="notification_preferences"),
]
