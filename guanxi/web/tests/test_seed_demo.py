"""``manage.py seed_demo`` gives ``make demo`` its company: personas and believable, audited customers."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from stdnum.cn import uscc

from guanxi.audit.models import AuditEntry
from guanxi.customers.models import Account
from guanxi.users.models import User
from guanxi.users.personas import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seed_demo_creates_personas_and_audited_accounts_owned_by_the_sales_team():
    output = seed("--accounts", "12")

    assert DEMO_PASSWORD in output
    for name in ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]:
        assert re.search(rf"^\s+{name}\b", output, re.MULTILINE)
        assert User.objects.get(username=name).check_password(DEMO_PASSWORD)
    accounts = list(Account.objects.select_related("owner"))
    assert len(accounts) == 12
    assert {a.owner.username for a in accounts} <= {"bob", "carol", "dave"}
    for account in accounts:
        if account.credit_code:
            assert uscc.is_valid(account.credit_code), account.credit_code
        assert account.phone.startswith("+861")
        assert account.province and account.city
    assert AuditEntry.objects.filter(action="create", object_id__in=[a.pk for a in accounts]).count() == 12


def test_seed_demo_run_twice_adds_nothing_unless_forced():
    seed("--accounts", "5")
    assert "not adding more" in seed("--accounts", "5")
    assert Account.objects.count() == 5

    seed("--accounts", "3", "--force")
    assert Account.objects.count() == 8


def test_seed_demo_gives_contacts_pareto_distributed_orders_classifications_and_duplicates():
    from decimal import Decimal

    from guanxi.customers.models import AccountClassification, Contact, DuplicateCandidate, Order, ValueTier

    seed("--accounts", "300")
    assert Account.objects.count() == 300
    assert Contact.objects.count() >= 300
    profits = sorted((sum((o.gross_profit for o in a.orders.all()), Decimal(0)) for a in Account.objects.prefetch_related("orders")),
                     reverse=True)
    total = sum(profits)
    assert total > 0 and sum(profits[:60]) / total >= Decimal("0.6")  # the top fifth brings most of the profit
    assert Order.objects.filter(status="open").exists()
    assert AccountClassification.objects.count() == 300
    assert AccountClassification.objects.filter(value_tier=ValueTier.KEY).count() < 120
    assert DuplicateCandidate.objects.exists()
