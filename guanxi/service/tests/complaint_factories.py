"""Objects for the complaint tests, made through the real services."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from guanxi.customers.contacts import contact_create
from guanxi.customers.models import Account, AccountClassification, Contact, Order
from guanxi.customers.orders import order_create
from guanxi.customers.services import account_create
from guanxi.service import complaints
from guanxi.service.models import Complaint, ComplaintType
from guanxi.users.models import User

_n = itertools.count(1)

PROCEDURE: list[tuple[str, dict[str, Any]]] = [
    ("acknowledged", {"empathy_note": "理解您的心情", "listening_note": "货到时外包装破损"}),
    ("remedy_agreed", {"apology_note": "向您致歉", "agreed_remedy": "补发新货", "root_cause": "包装不牢",
                       "compensation": "200.00"}),
    ("resolved", {"resolution": "新货已送达"}),
    ("confirmed", {"customer_confirmation": "客户电话确认满意"}),
]


def account(owner: User, *, tier: str | None = None, name: str | None = None) -> Account:
    acc = account_create(actor=owner, data={"name": name or f"投诉客户{next(_n)}号"})
    if tier:
        AccountClassification.objects.update_or_create(account=acc, defaults={"value_tier": tier})
    return acc


def contact(owner: User, acc: Account, *, email: str = "", mobile: str = "") -> Contact:
    data: dict[str, Any] = {"name": f"投诉联系人{next(_n)}"}
    if email:
        data["email"] = email
    if mobile:
        data["mobile"] = mobile
    return contact_create(actor=owner, data=data, account_ids=[acc.pk])


def order(owner: User, acc: Account, *, number: str | None = None) -> Order:
    return order_create(actor=owner, account=acc, data={"order_date": "2026-01-05", "amount": "1000.00",
                                                         "number": number or f"SO-{next(_n):05d}"})


def ctype(code: str = "quality") -> ComplaintType:
    return ComplaintType.objects.get(code=code)


def complaint(actor: User, acc: Account | None = None, **data: Any) -> Complaint:
    base: dict[str, Any] = {"title": f"投诉{next(_n)}", "description": "收到的货物有破损", "complaint_type_id": ctype().pk,
                            "channel": "phone"}
    if acc is not None:
        base["account_id"] = acc.pk
    base.update(data)
    return complaints.complaint_create(actor=actor, data=base)


def move(actor: User, c: Complaint, target: str, records: dict[str, Any] | None = None, **kwargs: Any) -> Complaint:
    c.refresh_from_db()
    return complaints.complaint_transition(actor=actor, complaint=c, target=target, records=records or {},
                                           version=c.version, **kwargs)


def handle_to(actor: User, c: Complaint, state: str) -> Complaint:
    """Walk the procedure up to ``state`` with complete records (responsibility: the actor)."""
    for target, records in PROCEDURE:
        extra = {"responsible_department_id": actor.department_id, "responsible_person_id": actor.pk} if target == "remedy_agreed" else {}
        c = move(actor, c, target, {**records, **extra})
        if target == state:
            return c
    raise AssertionError(state)


def at(text: str) -> datetime:
    """An aware moment in Asia/Shanghai from 'YYYY-MM-DD HH:MM'."""
    return timezone.make_aware(datetime.fromisoformat(text))


def money(value: str) -> Decimal:
    return Decimal(value)
