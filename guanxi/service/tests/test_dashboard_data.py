"""Service dashboard data (issue 6 item 10): aggregate figures, visibility, constant query count."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.service.dashboard_data import service_dashboard
from guanxi.service.tests import survey_factories as f

pytestmark = pytest.mark.django_db


def _complaints(users, acc, n, *, now):
    """n complaints of carol's account: the first resolved in 10 h within target, the second resolved
    late after 30 h and reopened once, the rest open and past their target."""
    made = []
    for i in range(n):
        opened = now - timedelta(days=3)
        fields = {"opened_at": opened, "respond_by": opened + timedelta(hours=4), "resolve_by": opened + timedelta(hours=20),
                  "channel": "phone" if i % 2 else "web", "responsible_department": users["erin"].department}
        if i == 0:
            fields |= {"responded_at": opened + timedelta(hours=1), "resolved_at": opened + timedelta(hours=10)}
        elif i == 1:
            fields |= {"responded_at": opened + timedelta(hours=5), "resolved_at": opened + timedelta(hours=30), "reopen_count": 1}
        made.append(f.complaint(users["erin"], acc, **fields))
    return made


def test_dashboard_figures(org):
    users, now = org.users, timezone.now()
    acc = f.account(users["carol"], name="投诉多的客户")
    _complaints(users, acc, 4, now=now)
    d = service_dashboard(users["alice"], now=now)
    assert d.total == 4
    assert {b.key: b.count for b in d.by_channel} == {"web": 2, "phone": 2}
    assert [b.count for b in d.by_type] == [4] and d.by_department[0].label == users["erin"].department.name
    # response: 1 of 4 decided on time (one late, two never answered and past due); resolution: 1 of 4.
    assert d.response_compliance == Decimal("25.00") and d.resolution_compliance == Decimal("25.00")
    assert d.mean_hours_to_resolve == Decimal("20.00") and d.median_hours_to_resolve == Decimal("20.00")
    assert d.reopen_rate == Decimal("50.00")
    assert [(c.account_name, c.overdue_complaints) for c in d.churn_signals] == [("投诉多的客户", 2)]


def test_dashboard_follows_visibility(org):
    users, now = org.users, timezone.now()
    _complaints(users, f.account(users["carol"]), 3, now=now)
    assert service_dashboard(users["dave"], now=now).total == 0
    assert service_dashboard(users["dave"], now=now).churn_signals == []
    assert service_dashboard(users["erin"], now=now).total == 3  # erin owns them


def test_dashboard_query_count_is_constant(org):
    users, now = org.users, timezone.now()
    _complaints(users, f.account(users["carol"]), 2, now=now)
    with CaptureQueriesContext(connection) as few:
        service_dashboard(users["alice"], now=now)
    for _ in range(3):
        _complaints(users, f.account(users["carol"]), 5, now=now)
    s = f.survey(users["alice"])
    f.respond(s, f.account(users["carol"]), {"delivery": {"experience": 3, "expectation": 5, "importance": 6}, "quality": {"experience": 6}})
    with CaptureQueriesContext(connection) as many:
        d = service_dashboard(users["alice"], now=now)
    assert d.total == 17 and d.key_experience[0].item == "delivery"
    assert len(many) == len(few) <= 12
