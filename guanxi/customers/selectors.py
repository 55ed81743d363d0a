from __future__ import annotations

from django.db.models import QuerySet

from guanxi.core.pagination import Page, keyset_page
from guanxi.customers.models import Account
from guanxi.users.models import User
from guanxi.users.visibility import visible_to

ACCOUNT_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


def account_queryset(*, actor: User) -> QuerySet[Account]:
    return visible_to(actor, Account.objects.all()).select_related("owner", "team")


def account_list(*, actor: User, q: str = "", sort: str = "name", after: str | None = None, limit: int = 50) -> Page[Account]:
    qs = account_queryset(actor=actor)
    if q:
        qs = qs.filter(name__icontains=q.strip())
    return keyset_page(qs, order=ACCOUNT_SORTS[sort], after=after, limit=limit)
