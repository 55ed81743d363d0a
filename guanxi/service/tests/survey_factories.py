"""Objects for the survey, analysis, follow-up and dashboard tests, made through the real services."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

import guanxi.service.surveys_ready  # noqa: F401  (delegates, timeline providers, jobs: until apps.py imports it)
from guanxi.customers.contacts import contact_create
from guanxi.customers.models import Account, AccountClassification, Contact
from guanxi.customers.services import account_create
from guanxi.service import surveys
from guanxi.service.models import Survey, SurveyItem, SurveyResponse
from guanxi.users.models import User

_n = itertools.count(1)


def account(owner: User, *, tier: str | None = None, name: str | None = None) -> Account:
    acc = account_create(actor=owner, data={"name": name or f"调查客户{next(_n)}号"})
    if tier:
        AccountClassification.objects.update_or_create(account=acc, defaults={"value_tier": tier})
    return acc


def contact(owner: User, acc: Account, *, email: str = "kehu@example.com") -> Contact:
    return contact_create(actor=owner, data={"name": f"联系人{next(_n)}", "email": email}, account_ids=[acc.pk])


def survey(designer: User, *, items: tuple[tuple[str, str], ...] = (("delivery", "service"), ("quality", "product")),
           scale_max: int = 7, **data: Any) -> Survey:
    s = surveys.survey_create(actor=designer, data={"name": f"满意度调查{next(_n)}", "scale_max": scale_max, **data})
    for code, dimension in items:
        surveys.item_add(actor=designer, survey=s, data={"code": code, "text": f"{code}?", "dimension": dimension})
    return s


def item(s: Survey, code: str) -> SurveyItem:
    return s.items.get(code=code)


def respond(s: Survey, who: Contact | Account, ratings: dict[str, dict[str, Any]], *, nps: int | None = None,
            csat: int | None = None, at: datetime | None = None, event_object_id: int | None = None) -> SurveyResponse:
    """Invite ``who`` and answer at once; ``ratings``: item code → {experience: 5, expectation: 6, ...}."""
    kwargs: dict[str, Any] = {"contact": who} if isinstance(who, Contact) else {"account": who}
    _inv, token = surveys.invite(survey=s, event_object_id=event_object_id, **kwargs)
    answers = {str(item(s, code).pk): {k: str(v) for k, v in values.items()} for code, values in ratings.items()}
    return surveys.answer(token, {"answers": answers, "nps": nps, "csat": csat}, now=at or timezone.now())


def dec(value: str) -> Decimal:
    return Decimal(value)


def complaint(owner: User, acc: Account | None, **fields: Any) -> Any:
    """A complaint row as the complaint services would leave it (made directly: only its fields matter here)."""
    from guanxi.service.models import Complaint, ComplaintType

    kind, _ = ComplaintType.objects.get_or_create(
        code=fields.pop("type_code", "quality"), defaults={"category": "product", "name_zh": "质量不良", "name_en": "Poor quality"})
    n = next(_n)
    data: dict[str, Any] = {"number": f"TS{n:06d}", "title": f"投诉{n}", "description": "坏了", "complaint_type": kind,
                            "channel": "phone", "opened_at": timezone.now(), "owner": owner, "department_id": owner.department_id,
                            "account": acc}
    data.update(fields)
    return Complaint.objects.create(**data)
