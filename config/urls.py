from django.urls import include, path

from config.api import api
from guanxi.core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("", include("guanxi.web.urls")),
    path("accounts/", include("guanxi.customers.urls")),
    path("", include("guanxi.dataio.urls")),  # /import/ and /export/
    path("sales/", include("guanxi.sales.urls")),
    path("calendar/", include("guanxi.sales.feed_urls")),
    path("service/", include("guanxi.service.urls")),
    path("feedback/", include("guanxi.service.public_urls")),
    path("approvals/", include("guanxi.approvals.urls")),
]

handler403 = "guanxi.web.views.error_403"
handler404 = "guanxi.web.views.error_404"
handler500 = "guanxi.web.views.error_500"
