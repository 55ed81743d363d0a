from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from guanxi.core.listing import ListParams
from guanxi.core.pagination import Page, keyset_page
from guanxi.customers.lists import ACCOUNT_LIST, CONTACT_LIST
from guanxi.customers.models import Account, Contact, SavedView
from guanxi.users.models import User
from guanxi.users.visibility import visible_to

ACCOUNT_SORTS = ACCOUNT_LIST.sorts()


def account_queryset(*, actor: User) -> QuerySet[Account]:
    return visible_to(actor, Account.objects.all()).select_related("owner", "team", "classification")


def apply_text_query(qs: QuerySet[Any], q: str) -> QuerySet[Any]:
    """The list's search box: Chinese substring, pinyin, initials, phone, credit code."""
    q = (q or "").strip()
    if not q:
        return qs
    try:
        from guanxi.customers.search_selectors import filter_by_query
    except ImportError:
        return qs.filter(name__icontains=q)
    return filter_by_query(qs, q)


def account_filtered(*, actor: User, params: ListParams) -> QuerySet[Account]:
    """Visible accounts matching the list parameters (used by lists, exports and bulk actions)."""
    qs = ACCOUNT_LIST.apply(account_queryset(actor=actor), params, actor)
    return apply_text_query(qs, params.filters.get("q", [""])[0])


def account_list(
    *, actor: User, q: str = "", sort: str = "name", after: str | None = None, limit: int = 50,
    params: ListParams | None = None,
) -> Page[Account]:
    if params is None:
        params = ACCOUNT_LIST.parse({"q": q, "sort": sort} if q else {"sort": sort})
    qs = account_filtered(actor=actor, params=params)
    return keyset_page(qs, order=ACCOUNT_LIST.order(params), after=after, limit=limit)


def contact_filtered(*, actor: User, params: ListParams) -> QuerySet[Contact]:
    qs = visible_to(actor, Contact.objects.all()).select_related("owner")
    qs = CONTACT_LIST.apply(qs, params, actor)
    return apply_text_query(qs, params.filters.get("q", [""])[0])


def saved_views_for(*, actor: User, object_type: str) -> QuerySet[SavedView]:
    """The actor's own views and those shared by anyone."""
    from django.db.models import Q

    return SavedView.objects.filter(object_type=object_type).filter(Q(owner_id=actor.pk) | Q(shared=True)).order_by("name", "id")


def params_from(data: Mapping[str, Any], *, object_type: str = "account") -> ListParams:
    from guanxi.customers.lists import LISTS

    return LISTS[object_type].parse(data)
