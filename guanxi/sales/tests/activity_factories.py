"""Small factories for the activity / SPIN / target / forecast tests (records made directly, so
these tests do not depend on the opportunity services being built in parallel)."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import guanxi.sales.activities_ready  # noqa: F401  (delegates, timeline, job handlers; also loaded by SalesConfig.ready)
from guanxi.customers.contacts import contact_create
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import account_create
from guanxi.sales.models import Opportunity, Pipeline, Stage, StageKind
from guanxi.users.models import User

_n = itertools.count(1)


def account(owner: User, **data: Any) -> Account:
    data.setdefault("name", f"测试客户{next(_n)}有限公司")
    return account_create(actor=owner, data=data)


def contact(owner: User, acct: Account) -> Contact:
    return contact_create(actor=owner, data={"name": f"联系人{next(_n)}"}, account_ids=[acct.pk])


def pipeline() -> tuple[Pipeline, dict[str, Stage]]:
    existing = Pipeline.objects.filter(name_en="Test pipeline").first()
    if existing:
        return existing, {s.code: s for s in existing.stages.all()}
    p = Pipeline.objects.create(name_zh="测试", name_en="Test pipeline")
    stages = {}
    for pos, (code, kind, prob) in enumerate([("first", StageKind.OPEN, 10), ("quote", StageKind.OPEN, 50),
                                              ("won", StageKind.WON, 100), ("lost", StageKind.LOST, 0)]):
        stages[code] = Stage.objects.create(pipeline=p, code=code, position=pos, kind=kind, probability=prob,
                                            name_zh=code, name_en=code)
    return p, stages


def opportunity(owner: User, *, acct: Account | None = None, stage: str = "first", amount: str = "1000",
                probability: int | None = None, expected_close: date | None = None,
                closed_at: datetime | None = None) -> Opportunity:
    p, stages = pipeline()
    st = stages[stage]
    return Opportunity.objects.create(
        name=f"商机{next(_n)}", account=acct or account(owner), pipeline=p, stage=st, is_open=st.kind == StageKind.OPEN,
        amount=Decimal(amount), probability=probability, expected_close=expected_close, closed_at=closed_at,
        owner=owner, team=owner.teams.order_by("pk").first(), department=owner.department)
