"""The public-by-secret iCalendar feed URL (outside the login wall; the token is the credential)."""

from django.urls import path

from guanxi.sales.feed_views import calendar_feed

app_name = "calendar"
urlpatterns = [
    path("<str:token>.ics", calendar_feed, name="feed"),
]
