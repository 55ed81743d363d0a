"""Small builders for the sales tests, through the real services."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from guanxi.customers.models import Account
from guanxi.customers.services import account_create
from guanxi.sales.models import Opportunity, Pipeline, Stage
from guanxi.sales.opportunities import opportunity_create
from guanxi.users.models import User

_n = itertools.count(1)


def account_for(user: User, **data: Any) -> Account:
    data.setdefault("name", f"销售测试客户{next(_n)}号")
    return account_create(actor=user, data=data)


def pipeline() -> Pipeline:
    return Pipeline.objects.get(is_default=True)


def stage(code: str) -> Stage:
    return Stage.objects.get(pipeline=pipeline(), code=code)


def opportunity_for(user: User, account: Account | None = None, **data: Any) -> Opportunity:
    data.setdefault("name", f"商机{next(_n)}")
    data.setdefault("amount", Decimal("100000.00"))
    return opportunity_create(actor=user, account=account or account_for(user), data=data)
