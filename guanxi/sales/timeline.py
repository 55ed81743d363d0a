"""What sales adds to the archive: 360° timeline items and the open deals that make an account
"about to trade" (即将交易, DOMAIN §1)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from guanxi.core.money import Money
from guanxi.customers.models import Account
from guanxi.customers.timeline import TimelineItem
from guanxi.sales.models import Opportunity, StageChange
from guanxi.users.visibility import visible_to


def _url(pk: int) -> str | None:
    try:
        return reverse("sales:opportunity_detail", args=[pk])
    except NoReverseMatch:  # the web UI may not be mounted (API-only tests)
        return None


def _visible(actor: Any, qs: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return qs if actor is None else visible_to(actor, qs)


def opportunity_items(account: Account, limit: int, actor: Any = None) -> list[TimelineItem]:
    """Opportunities of the account the viewer may see, newest first (one query)."""
    rows = (_visible(actor, Opportunity.objects.filter(account_id=account.pk)).select_related("stage", "owner")
            .order_by("-created_at", "-id")[:limit])
    return [
        TimelineItem(
            at=o.created_at, kind="opportunity",
            title=_("Opportunity %(name)s") % {"name": o.name},
            detail=f"{Money(o.amount, o.currency).format()} · {o.stage.name}",
            actor=str(o.owner) if o.owner else "", url=_url(o.pk),
        )
        for o in rows
    ]


def stage_change_items(account: Account, limit: int, actor: Any = None) -> list[TimelineItem]:
    """Stage moves of the account's opportunities the viewer may see (the first placement is the
    creation, shown by ``opportunity_items``), newest first (one query)."""
    visible = _visible(actor, Opportunity.objects.filter(account_id=account.pk)).values("pk")
    rows = (StageChange.objects.filter(opportunity_id__in=visible, from_stage__isnull=False)
            .select_related("opportunity", "from_stage", "to_stage", "changed_by").order_by("-changed_at", "-id")[:limit])
    return [
        TimelineItem(
            at=c.changed_at, kind="stage_change",
            title=_("%(name)s: %(from)s → %(to)s") % {"name": c.opportunity.name, "from": c.from_stage.name if c.from_stage else "",
                                                     "to": c.to_stage.name},
            actor=str(c.changed_by) if c.changed_by else "", url=_url(c.opportunity_id),
        )
        for c in rows
    ]


def open_deals_sql() -> str:
    table = Opportunity._meta.db_table
    return f"SELECT account_id, COUNT(*) AS n FROM {table} WHERE is_open AND deleted_at IS NULL GROUP BY account_id"  # noqa: S608


def open_deals_for_account(account_id: int) -> int:
    return Opportunity.objects.filter(account_id=account_id, is_open=True).count()
