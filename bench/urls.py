"""The application's URLs plus a bare baseline view (PERF-NOTES: the web tier).

The bare view answers through the same server, middleware and database connection as the real
pages, and returns the same rows as the account list's first page: the signed-in user's accounts
(the benchmark signs in as a sales rep whose data scope is her own accounts, and nothing is shared
with her), filtered by value tier, sorted by the pinyin name key, with the columns the list shows
by default (name, nature, city, value tier, owner, updated) — one SQL statement and a plain,
escaped HTML table, no template, no visibility function, no filters sidebar. That is the ceiling
a list page can approach; bench/archive.py prints each page's ratio to it.
"""

from html import escape

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from config.urls import urlpatterns as app_patterns

SORTS = {"name": "a.name_sort, a.id", "-name": "a.name_sort DESC, a.id DESC"}
COLUMNS = ("id", "name", "nature", "city", "value_tier", "owner", "updated_at")


@login_not_required
def bare_rows(request: HttpRequest) -> HttpResponse:
    limit = min(int(request.GET.get("limit", "50")), 200)
    where: list[str] = ["a.deleted_at IS NULL"]
    args: list[int | str] = []
    if request.user.is_authenticated:
        where.append("a.owner_id = %s")
        args.append(request.user.pk)
    if request.GET.get("value_tier"):
        where.append("c.value_tier = %s")
        args.append(request.GET["value_tier"])
    sql = (
        "SELECT a.id, a.name, a.nature, a.city, c.value_tier, coalesce(nullif(u.display_name, ''), u.username), a.updated_at"
        " FROM customers_account a"
        " LEFT JOIN customers_accountclassification c ON c.account_id = a.id"
        " LEFT JOIN users_user u ON u.id = a.owner_id"
        f" WHERE {' AND '.join(where)} ORDER BY {SORTS.get(request.GET.get('sort', 'name'), SORTS['name'])} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*args, limit + 1])  # one more row tells whether there is a next page, as the list does
        rows = cursor.fetchall()[:limit]
    if request.GET.get("format") == "json":
        return JsonResponse({"items": [dict(zip(COLUMNS, r, strict=True)) for r in rows]})
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in r) + "</tr>" for r in rows)
    return HttpResponse(f"<!DOCTYPE html><html><body><table>{body}</table></body></html>")


urlpatterns = [path("bench/bare/", bare_rows), *app_patterns]
