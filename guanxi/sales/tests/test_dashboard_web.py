"""Sales dashboard, call quality, forecast and target pages (issue 5 items 6–8)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.sales.activities import activity_create
from guanxi.sales.dashboards import today_for
from guanxi.sales.models import Target
from guanxi.sales.spin import call_log, call_plan_create
from guanxi.sales.targets import target_set
from guanxi.sales.tests import activity_factories as f
from guanxi.users.models import Role, RoleCode, User

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _call(actor, kinds: str, outcome: str, explicit: int = 0):
    visit = activity_create(actor=actor, data={"kind": "call", "subject": "电话"})
    plan = call_plan_create(actor=actor, activity=visit, questions=[{"kind": k, "text": f"问题{k}{i}"} for i, k in enumerate(kinds)])
    return call_log(actor=actor, plan=plan, version=plan.version, asked_question_ids=[q.pk for q in plan.questions.all()],
                    explicit_needs=[f"需求{i}" for i in range(explicit)], outcome=outcome)


def test_manager_dashboard_shows_team_call_quality_and_rep_sees_only_own(client, bob, carol, dave):
    _call(carol, "SSPNNN", "advance", explicit=2)
    _call(carol, "SP", "no_sale")
    _call(dave, "SNNNNNNN", "order", explicit=5)
    r = _login(client, bob).get(reverse("sales:dashboard"))
    assert r.status_code == 200
    assert r.context["manager"] is True
    assert [row.user_id for row in r.context["report"].reps] == [carol.pk]
    html = r.content.decode()
    assert 'data-testid="team-quality"' in html and str(carol) in html and str(dave) not in html
    q = r.context["report"].overall
    assert (q.calls, q.p_to_s_ratio, q.n_per_call, q.advance_rate, q.explicit_needs_per_call) == (
        2, Decimal("0.6667"), Decimal("1.5000"), Decimal("0.5000"), Decimal("1.0000"))
    assert 'id="quality-chart-data"' in html and 'data-chart-source="quality-chart-data"' in html
    assert "vendor/echarts/echarts.min.js" in html
    # bob drills down to carol
    assert _login(client, bob).get(reverse("sales:dashboard") + f"?user={carol.pk}").context["report"].overall.calls == 2

    own = _login(client, dave).get(reverse("sales:dashboard"))
    assert own.context["manager"] is False
    assert own.context["report"].overall.calls == 1 and own.context["report"].overall.n_per_call == Decimal("7.0000")
    assert str(carol) not in own.content.decode()
    assert client.get(reverse("sales:dashboard") + f"?user={carol.pk}").status_code == 404
    assert client.get(reverse("sales:forecast") + f"?user={carol.pk}").status_code == 404


def test_rep_sees_own_n_per_call_against_the_team_average(client, bob, carol):
    _call(carol, "SN", "advance")
    _call(bob, "SNNN", "order")  # bob is in team East too
    r = _login(client, carol).get(reverse("sales:dashboard"))
    assert r.context["report"].overall.n_per_call == Decimal("1.0000")
    assert r.context["team_average"] == Decimal("2.0000")


def test_dashboard_query_count_is_constant(client, org, bob, carol):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert _login(client, bob).get(reverse("sales:dashboard")).status_code == 200
        return len(ctx.captured_queries)

    _call(carol, "SPN", "advance")
    f.opportunity(carol, expected_close=today_for(carol))
    count()  # the first request also loads the session's user and fills caches
    few = count()
    rep_role = Role.objects.get(code=RoleCode.SALES_REP)
    for i in range(4):
        rep = User.objects.create_user(username=f"rep{i}", password="x-Pass-2026-x", role=rep_role, manager=bob, department=carol.department)
        rep.teams.add(org.team_east)
        for _ in range(3):
            _call(rep, "SPPNN", "order", explicit=1)
            f.opportunity(rep, expected_close=today_for(rep) + timedelta(days=40))
    many = count()
    assert many == few, f"{few} queries with one rep, {many} with five"


def test_call_quality_table_sorts_by_column(client, bob, carol, org):
    rep_role = Role.objects.get(code=RoleCode.SALES_REP)
    eve = User.objects.create_user(username="eve", password="x-Pass-2026-x", role=rep_role, manager=bob, department=carol.department)
    eve.teams.add(org.team_east)
    _call(carol, "SPN", "advance")
    _call(eve, "SSSSN", "no_sale")
    c = _login(client, bob)
    by_ratio = c.get(reverse("sales:call_quality") + "?sort=-p_to_s")
    assert [r.user_id for r in by_ratio.context["rows"]] == [carol.pk, eve.pk]
    assert 'aria-sort="descending"' in by_ratio.content.decode()
    assert [r.user_id for r in c.get(reverse("sales:call_quality") + "?sort=p_to_s").context["rows"]] == [eve.pk, carol.pk]
    assert c.get(reverse("sales:call_quality") + "?sort=bogus").status_code == 200


def test_forecast_page_drills_down_to_the_deals_of_a_month(client, bob, carol):
    month = today_for(carol).replace(day=1)
    big = f.opportunity(carol, amount="200000", probability=50, expected_close=month + timedelta(days=2))
    f.opportunity(carol, amount="1000", expected_close=date(month.year + 2, 1, 1))
    target_set(actor=bob, scope="user", user=carol, period="month", period_start=month, value="90000")
    r = _login(client, carol).get(reverse("sales:forecast") + f"?month={month:%Y-%m}")
    assert r.status_code == 200
    first = r.context["rows"][0]
    assert (first.weighted, first.target) == (Decimal("100000.00"), Decimal("90000.00"))
    assert [d.pk for d in r.context["deals"]] == [big.pk]
    assert r.context["deals"][0].weighted == Decimal("100000.00")
    assert 'id="forecast-chart-data"' in r.content.decode()


def test_managers_set_targets_reps_read_them_with_layering_warnings(client, alice, bob, carol, org):
    month = timezone.now().date().replace(day=1)
    query = f"?period=month&start={month:%Y-%m-%d}"
    c = _login(client, bob)
    target_set(actor=alice, scope="team", team=org.team_east, period="month", period_start=month, value="100000")
    r = c.post(reverse("sales:targets") + query, {"scope": "user", "user_id": carol.pk, "period": "month",
                                                 "period_start": f"{month:%Y-%m-%d}", "measure": "amount", "value": "60000"})
    assert r.status_code == 302
    page = c.get(reverse("sales:targets") + query)
    assert 'data-testid="under-allocated"' in page.content.decode()  # 60,000 of 100,000 allocated
    over = c.post(reverse("sales:targets") + query, {"scope": "user", "user_id": carol.pk, "period": "month",
                                                    "period_start": f"{month:%Y-%m-%d}", "measure": "amount", "value": "150000"})
    assert over.status_code == 200 and over.context["form"].errors["value"]
    assert Target.objects.get(scope="user", user=carol).value == Decimal("60000.00")

    rep = _login(client, carol)
    page = rep.get(reverse("sales:targets") + query)
    assert page.status_code == 200 and not page.context["can_set"]
    assert rep.post(reverse("sales:targets"), {"scope": "user", "user_id": carol.pk, "period": "month",
                                               "period_start": f"{month:%Y-%m-%d}", "measure": "amount", "value": "1"}).status_code == 403
    target = Target.objects.get(scope="user", user=carol)
    assert rep.post(reverse("sales:target_delete", kwargs={"target_id": target.pk})).status_code == 403
    assert Target.objects.filter(pk=target.pk).exists()
