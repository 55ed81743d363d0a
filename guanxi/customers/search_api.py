"""GET /api/v1/search — the search box as an API (accounts and contacts, ranked)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from guanxi.core.api import ERROR_RESPONSES
from guanxi.customers.search_selectors import MAX_LIMIT, TYPES, SearchQueryInvalid, search

router = Router(tags=["search"])

RANKS = ("exact", "prefix", "substring")


class SearchParams(Schema):
    q: str = Field("", max_length=1000, description="Chinese substring, pinyin, initials, phone number or credit code; at most 100 characters.")
    types: str = Field(",".join(TYPES), max_length=100, description="Comma-separated: account, contact.")
    limit: int = Field(20, ge=1, le=MAX_LIMIT)


class SearchHitOut(Schema):
    type: Literal["account", "contact"]
    id: int
    name: str
    detail: str
    url: str
    match: Literal["exact", "prefix", "substring"]


class SearchOut(Schema):
    q: str
    items: list[SearchHitOut]


@router.get("", response={200: SearchOut, **ERROR_RESPONSES})
def search_route(request: HttpRequest, params: Query[SearchParams]) -> Any:
    """Ranked exact > prefix > substring; only records the caller may see; 422 `search.invalid_query`
    for an empty query or one longer than 100 characters."""
    types = tuple(t.strip() for t in params.types.split(",") if t.strip())
    if not types:
        raise SearchQueryInvalid({"types": ["Give at least one type."]})
    hits = search(actor=request.user, q=params.q, types=types, limit=params.limit)
    return {
        "q": params.q.strip(),
        "items": [
            {"type": h.type, "id": h.id, "name": h.name, "detail": h.detail, "url": h.url, "match": RANKS[h.rank]}
            for h in hits
        ],
    }
