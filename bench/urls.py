"""The application's URLs plus bare baseline views: no middleware work beyond Django's own, the
same rows from the same database, rendered as plainly as possible (PERF-NOTES: the web tier)."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from config.urls import urlpatterns as app_patterns


@login_not_required
def bare_rows(request: HttpRequest) -> HttpResponse:
    limit = min(int(request.GET.get("limit", "50")), 200)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, city FROM customers_account ORDER BY name_sort, id LIMIT %s", [limit])
        rows = cursor.fetchall()
    if request.GET.get("format") == "json":
        return JsonResponse({"items": [{"id": r[0], "name": r[1], "city": r[2]} for r in rows]})
    body = "".join(f"<tr><td>{r[0]}</td><td>{r[1]}</td><td>{r[2]}</td></tr>" for r in rows)
    return HttpResponse(f"<html><body><table>{body}</table></body></html>")


urlpatterns = [path("bench/bare/", bare_rows), *app_patterns]
