"""Service web pages at /service/ (namespace "service").

Complaints live in urls_complaints; surveys, follow-up visits and the service dashboard in urls_care.
"""

from guanxi.service import urls_care, urls_complaints

app_name = "service"
urlpatterns = [*urls_complaints.urlpatterns, *urls_care.urlpatterns]
