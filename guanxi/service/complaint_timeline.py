"""Complaints on the account's 360° timeline (DOMAIN §4 留档分析: complaints stay on file with the
customer)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.customers.models import Account
from guanxi.customers.timeline import TimelineItem
from guanxi.service.complaint_notify import complaint_url
from guanxi.service.models import Complaint
from guanxi.users.visibility import visible_to


def _visible(actor: Any, qs: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return qs if actor is None else visible_to(actor, qs)


def complaint_items(account: Account, limit: int, actor: Any = None) -> list[TimelineItem]:
    """The account's complaints the viewer may see, newest first (one query)."""
    rows = (_visible(actor, Complaint.objects.filter(account_id=account.pk)).select_related("complaint_type", "owner")
            .order_by("-opened_at", "-id")[:limit])
    return [
        TimelineItem(
            at=c.opened_at, kind="complaint",
            title=_("Complaint %(number)s: %(title)s") % {"number": c.number, "title": c.title},
            detail=f"{c.complaint_type.name} · {c.get_severity_display()} · {c.get_state_display()}",
            actor=str(c.owner) if c.owner_id else "", url=complaint_url(c.pk),
        )
        for c in rows
    ]
