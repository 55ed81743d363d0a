"""The global search page (/accounts/search/) and its htmx live results for the header box."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from guanxi.customers.search_selectors import MAX_LIMIT, TYPES, SearchQueryInvalid, search

LIVE_LIMIT = 10


def search_page(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    types = tuple(t for t in request.GET.getlist("type") if t in TYPES) or TYPES
    live = bool(request.htmx) and request.GET.get("live") == "1"  # type: ignore[attr-defined]
    hits, error = [], ""
    if q.strip():
        try:
            hits = search(actor=request.user, q=q, types=types, limit=LIVE_LIMIT if live else MAX_LIMIT)
        except SearchQueryInvalid as exc:
            error = next(iter(exc.errors.values()))[0]
    context = {"q": q.strip(), "hits": hits, "error": error, "types": types, "live": live, "all_types": TYPES}
    template = "customers/partials/search_results.html" if request.htmx else "customers/search.html"  # type: ignore[attr-defined]
    return render(request, template, context)
