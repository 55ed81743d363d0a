"""The site's URLs with the survey pages mounted under /feedback/, for tests that run before (or
whether or not) ``public_urls`` splices them in."""

from django.urls import include, path

from config.urls import urlpatterns as site
from guanxi.service import survey_public_urls

urlpatterns = [path("feedback/", include((survey_public_urls.urlpatterns, "public_service"))), *site]
