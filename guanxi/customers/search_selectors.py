"""The one search box: accounts and contacts by Chinese substring, pinyin, initials, phone or
credit code, ranked exact > prefix > substring, always inside what the actor may see.

How a query runs (PERF-NOTES): each type asks its index for at most ``CANDIDATES`` matching rows,
with no ORDER BY, so the planner never walks the name index filtering row by row (``ORDER BY
name LIMIT 20`` took 0.7 s on a common term). The candidates are ranked here, in Python, the same
way on every database. Only when a term matches more rows than that (科技, 公司) are the exact
and prefix matches fetched by queries of their own (``|q|`` and ``|q`` patterns, which the
indexes answer selectively), so they still come first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import ValidationFailed
from guanxi.customers import search_db
from guanxi.customers.models import Account, Contact, ContactAccount
from guanxi.customers.search import SEPARATOR, query_terms
from guanxi.users.visibility import visible_to

search_db.register_lookups()

MAX_QUERY_LENGTH = 100
MAX_LIMIT = 50
CANDIDATES = 300
TYPES = ("account", "contact")
EXACT, PREFIX, SUBSTRING = 0, 1, 2


class SearchQueryInvalid(ValidationFailed):
    code = "search.invalid_query"


@dataclass(frozen=True)
class SearchHit:
    type: str  # "account" | "contact"
    id: int
    name: str
    detail: str
    url: str
    rank: int  # 0 exact, 1 prefix, 2 substring
    sort_key: str


def validate_query(q: str | None) -> str:
    text = (q or "").strip()
    if not text:
        raise SearchQueryInvalid({"q": [str(_("Type something to search for."))]})
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryInvalid({"q": [str(_("A search is at most %(n)d characters.") % {"n": MAX_QUERY_LENGTH})]})
    return text


def _any(terms: Iterable[str], fmt: str) -> Q:
    q = Q()
    for term in terms:
        q |= Q(search_text__gx_contains=fmt.format(term))
    return q


def filter_by_query(qs: QuerySet[Any], q: str) -> QuerySet[Any]:
    """Narrow an account or contact queryset to rows matching ``q`` (used by the list pages, which
    keep their own sort). A query with nothing searchable in it (only punctuation) matches nothing."""
    terms = query_terms(q[:MAX_QUERY_LENGTH])
    if not terms:
        return qs.none()
    return qs.filter(_any(terms, "{}"))


def rank_of(search_text: str, terms: Sequence[str]) -> int:
    best = SUBSTRING
    for term in terms:
        if f"{SEPARATOR}{term}{SEPARATOR}" in search_text:
            return EXACT
        if f"{SEPARATOR}{term}" in search_text:
            best = PREFIX
    return best


def _candidates(qs: QuerySet[Any], terms: Sequence[str]) -> dict[int, tuple[int, str]]:
    """pk → (rank, name_sort) for up to CANDIDATES matches, plus every exact and prefix match
    (up to CANDIDATES each) when the substring matches alone overflow."""
    found: dict[int, tuple[int, str]] = {}
    for fmt in ("{}", SEPARATOR + "{}", SEPARATOR + "{}" + SEPARATOR):
        rows = qs.filter(_any(terms, fmt)).order_by().values_list("pk", "search_text", "name_sort")[:CANDIDATES]
        count = 0
        for pk, text, sort_key in rows:
            count += 1
            found[pk] = (rank_of(text, terms), sort_key)
        if count < CANDIDATES:
            break
    return found


def _account_hits(ranked: list[tuple[int, int, str]]) -> list[SearchHit]:
    if not ranked:
        return []
    rows = Account.objects.filter(pk__in=[pk for _, pk, _ in ranked]).only("name", "short_name", "province", "city", "credit_code")
    by_pk = {a.pk: a for a in rows}
    hits = []
    for rank, pk, sort_key in ranked:
        a = by_pk.get(pk)
        if a is not None:
            region = a.city if a.city.startswith(a.province) else f"{a.province}{a.city}"  # 北京 北京 → 北京
            detail = " · ".join(x for x in (a.short_name, region, a.credit_code or "") if x)
            hits.append(SearchHit("account", pk, a.name, detail, reverse("customers:account_detail", args=[pk]), rank, sort_key))
    return hits


def _contact_hits(ranked: list[tuple[int, int, str]]) -> list[SearchHit]:
    if not ranked:
        return []
    pks = [pk for _, pk, _ in ranked]
    rows = {c.pk: c for c in Contact.objects.filter(pk__in=pks).only("name", "title", "mobile", "email")}
    company: dict[int, str] = {}
    for link in ContactAccount.objects.filter(contact_id__in=pks).select_related("account").order_by("-is_primary", "pk"):
        company.setdefault(link.contact_id, link.account.name)
    hits = []
    for rank, pk, sort_key in ranked:
        c = rows.get(pk)
        if c is not None:
            detail = " · ".join(x for x in (company.get(pk, ""), c.title, c.mobile, c.email) if x)
            hits.append(SearchHit("contact", pk, c.name, detail, reverse("customers:contact_detail", args=[pk]), rank, sort_key))
    return hits


_MODELS: dict[str, Any] = {"account": (Account, _account_hits), "contact": (Contact, _contact_hits)}


def search(*, actor: Any, q: str, types: Sequence[str] = TYPES, limit: int = 20) -> list[SearchHit]:
    """Accounts and contacts the actor may see that match ``q``, best first: exact matches of a
    name, short name, pinyin, initials, phone or credit code, then prefixes, then substrings;
    ties in 拼音 order of the name, accounts before contacts, then by id."""
    text = validate_query(q)
    unknown = [t for t in types if t not in _MODELS]
    if unknown:
        raise SearchQueryInvalid({"types": [str(_("Unknown type: %(t)s") % {"t": ", ".join(unknown)})]})
    limit = max(1, min(int(limit), MAX_LIMIT))
    terms = query_terms(text)
    if not terms:
        return []
    hits: list[SearchHit] = []
    for type_name in TYPES:
        if type_name not in types:
            continue
        model, build = _MODELS[type_name]
        found = _candidates(visible_to(actor, model.objects.all()), terms)
        ranked = sorted(((rank, pk, sort_key) for pk, (rank, sort_key) in found.items()), key=lambda r: (r[0], r[2], r[1]))
        hits += build(ranked[:limit])
    hits.sort(key=lambda h: (h.rank, h.sort_key, TYPES.index(h.type), h.id))
    return hits[:limit]
