"""One timeline interface for the 360° page (一站式): every subsystem registers a provider that
returns its most recent items for an account, in ONE query, so the page's query count stays
constant whatever the number of related rows. Sales activities and service complaints plug in
with ``register_timeline_provider`` from their own apps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import AuditEntry
from guanxi.customers.models import Account, Order


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # "audit", "order", later "activity", "complaint", ...
    title: str
    detail: str = ""
    actor: str = ""
    url: str | None = None


# provider(account, limit, actor): the account's latest items, in ONE query. ``actor`` is who looks
# (None: no restriction, e.g. a job): providers of records with their own owner keep only what
# ``visible_to(actor, …)`` lets through — seeing an account does not mean seeing all its deals.
Provider = Callable[[Account, int, Any], list[TimelineItem]]
_PROVIDERS: dict[str, Provider] = {}


def register_timeline_provider(name: str, provider: Provider) -> None:
    _PROVIDERS[name] = provider


def account_timeline(account: Account, *, limit: int = 50, kinds: set[str] | None = None, actor: Any = None) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for name, provider in _PROVIDERS.items():
        if kinds is None or name in kinds:
            items.extend(provider(account, limit, actor))
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:limit]


def _audit_items(account: Account, limit: int, actor: Any = None) -> list[TimelineItem]:
    ct = ContentType.objects.get_for_model(Account)
    entries = AuditEntry.objects.filter(content_type=ct, object_id=account.pk).order_by("-at", "-id")[:limit]
    result = []
    for e in entries:
        fields = ", ".join(sorted(e.changes)) if e.action == "update" else ""
        result.append(TimelineItem(at=e.at, kind="audit", title=str(e.get_action_display()), detail=fields, actor=e.actor_name))
    return result


def _order_items(account: Account, limit: int, actor: Any = None) -> list[TimelineItem]:
    from guanxi.core.money import Money

    orders = Order.objects.filter(account_id=account.pk).order_by("-order_date", "-id")[:limit]
    tz = timezone.get_current_timezone()
    return [
        TimelineItem(
            at=timezone.make_aware(datetime.combine(o.order_date, time(12)), tz),
            kind="order",
            title=_("Order %(number)s") % {"number": o},
            detail=f"{Money(o.amount, o.currency).format()} · {o.get_status_display()}",
        )
        for o in orders
    ]


register_timeline_provider("audit", _audit_items)
register_timeline_provider("order", _order_items)


def timeline_kinds() -> list[str]:
    return list(_PROVIDERS)


