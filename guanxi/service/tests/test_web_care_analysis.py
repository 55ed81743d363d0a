"""The satisfaction analysis page and the service dashboard (issue 6 items 6 and 10), on a small
hand-made data set whose figures are worked out here: gaps per item and dimension, the key
experience to fix first, the zone of tolerance with its flagged item, CSAT and NPS, the filters,
visibility, and dashboard numbers that match ``dashboard_data.service_dashboard``."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.service import analysis
from guanxi.service.dashboard_data import service_dashboard
from guanxi.service.tests import survey_factories as f

pytestmark = pytest.mark.django_db
ANALYSIS = reverse("service:analysis")
DASHBOARD = reverse("service:dashboard")


def _client(client, user, language="en"):
    user.language = language
    user.save()
    client.force_login(user)
    return client


def _testid(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1).strip()


@pytest.fixture
def data(org):
    """Two answers from carol's key account, one from dave's (see the module docstring for the sums)."""
    users = org.users
    survey = f.survey(users["bob"], items=(("delivery", "service"), ("quality", "product")))
    carols = f.account(users["carol"], tier="key", name="卡罗的大客户")
    contact = f.contact(users["carol"], carols)
    yesterday = timezone.now() - timedelta(days=1)
    f.respond(survey, contact, {
        "delivery": {"experience": 4, "expectation": 6, "importance": 7, "adequate": 5, "desired": 7},
        "quality": {"experience": 6, "expectation": 5, "importance": 5, "adequate": 4, "desired": 6},
    }, nps=10, csat=5, at=yesterday)
    f.respond(survey, contact, {
        "delivery": {"experience": 3, "expectation": 6, "importance": 6, "adequate": 4, "desired": 7},
        "quality": {"experience": 5, "expectation": 5},
    }, nps=6, csat=2, at=yesterday)
    daves = f.account(users["dave"], tier="general", name="戴夫的客户")
    f.respond(survey, f.contact(users["dave"], daves), {"delivery": {"experience": 7, "expectation": 2},
                                                                      "quality": {"experience": 4}}, nps=9, csat=4, at=yesterday)
    return {"survey": survey, "carols": carols, "daves": daves}


# --- satisfaction analysis -------------------------------------------------------------------------

def test_analysis_shows_gaps_key_experience_zone_and_scores(client, carol, data):
    r = _client(client, carol).get(ANALYSIS)
    assert r.status_code == 200
    html, ctx = r.content.decode(), r.context
    # satisfaction = experience − expectation: delivery (3.5 − 6), quality (5.5 − 5)
    gaps = {code: g.mean_gap for code, _text, g in ctx["item_rows"]}
    assert gaps == {"delivery": Decimal("-2.5000"), "quality": Decimal("0.5000")}
    assert {label: g.mean_gap for label, g in ctx["dimension_rows"]} == {"Service (服务)": Decimal("-2.5000"),
                                                                         "Product (产品)": Decimal("0.5000")}
    # key experience: delivery 6.5 × 2.5 = 16.25 first, highlighted; quality has no shortfall
    assert [(k.item, k.score) for k, _t, _d in ctx["ranking"]] == [("delivery", Decimal("16.2500")), ("quality", Decimal("0.0000"))]
    assert re.search(r'<tr data-item="delivery" class="fix-first" data-testid="fix-first">', html)
    assert "Fix this first" in html
    # zone of tolerance: delivery perceived 3.5 below its band 4.5–7, quality 5.5 within 4–6
    assert [(z.item, z.position) for z, _t in ctx["zone"]] == [("delivery", "below"), ("quality", "within")]
    assert '<tr data-item="delivery" class="below-zone">' in html and _testid(html, "below-zone") == "1"
    # CSAT: 1 of 2 satisfied; NPS: one promoter, one detractor
    assert _testid(html, "csat") == "50.00 %" and _testid(html, "nps") == "0.00"
    flt = analysis.default_filter(carol)
    assert ctx["scores"] == analysis.scores(carol, flt)
    assert [(p.month, p.mean_gap) for p in ctx["points"]] == [(p.month, p.mean_gap) for p in analysis.trend(carol, flt)]
    assert "戴夫的客户" not in html


def test_each_reader_analyses_the_answers_of_the_accounts_they_see(client, dave, alice, data):
    ctx = _client(client, dave).get(ANALYSIS).context
    assert [(code, g.mean_gap) for code, _t, g in ctx["item_rows"]] == [("delivery", Decimal("5.0000")), ("quality", None)]
    assert ctx["fix_first"] is False
    assert _client(client, alice).get(ANALYSIS).context["scores"].nps_answers == 3


def test_analysis_filters(client, carol, data):
    c = _client(client, carol)
    ctx = c.get(ANALYSIS, {"dimension": "product"}).context
    assert [code for code, _t, _g in ctx["item_rows"]] == ["quality"]
    assert [k.item for k, _t, _d in ctx["ranking"]] == ["quality"] and ctx["fix_first"] is False
    assert [z.item for z, _t in ctx["zone"]] == ["quality"]
    assert c.get(ANALYSIS, {"segment": "key"}).context["scores"].nps_answers == 2
    empty = c.get(ANALYSIS, {"segment": "scattered"})
    assert 'data-testid="no-answers"' in empty.content.decode()
    r = c.get(ANALYSIS, {"account": data["carols"].pk})
    assert r.context["scores"].nps_answers == 2 and "卡罗的大客户" in _testid_block(r.content.decode(), "account-filter")
    assert c.get(ANALYSIS, {"account": data["daves"].pk}).status_code == 404
    assert c.get(ANALYSIS, {"survey": data["survey"].pk}).context["scores"].nps_answers == 2
    long_ago = timezone.now().date() - timedelta(days=500)
    assert 'data-testid="no-answers"' in c.get(ANALYSIS, {"start": long_ago, "end": long_ago + timedelta(days=5)}).content.decode()
    bad = c.get(ANALYSIS, {"start": "2026-05-01", "end": "2026-01-01"})
    assert bad.status_code == 400 and "The end must be on or after the start" in bad.content.decode()
    assert bad.context["scores"].nps_answers == 2  # the default period is shown meanwhile
    assert c.get(ANALYSIS, {"start": "not a date", "dimension": "<script>", "account": "99999999999999999999999"}).status_code == 400


def _testid_block(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}">(.*?)</span>', html, re.S)
    assert match, name
    return match.group(1)


def test_account_search_lists_only_visible_accounts(client, carol, data):
    html = _client(client, carol).get(ANALYSIS, {"account_q": "客户"}).content.decode()
    matches = _testid_block(html.replace("</ul>", "</span>"), "account-matches")
    assert "卡罗的大客户" in matches and "戴夫的客户" not in matches


def test_analysis_empty_state(client, carol):
    html = _client(client, carol).get(ANALYSIS).content.decode()
    assert 'data-testid="no-answers"' in html


# --- the service dashboard -------------------------------------------------------------------------

def _complaints(org, acc, *, now):
    """As in test_dashboard_data: one resolved on time, one late and reopened, two open past their target."""
    users = org.users
    for i in range(4):
        opened = now - timedelta(days=3)
        fields = {"opened_at": opened, "respond_by": opened + timedelta(hours=4), "resolve_by": opened + timedelta(hours=20),
                  "channel": "phone" if i % 2 else "web", "responsible_department": users["erin"].department}
        if i == 0:
            fields |= {"responded_at": opened + timedelta(hours=1), "resolved_at": opened + timedelta(hours=10)}
        elif i == 1:
            fields |= {"responded_at": opened + timedelta(hours=5), "resolved_at": opened + timedelta(hours=30), "reopen_count": 1}
        f.complaint(users["erin"], acc, **fields)


def test_dashboard_numbers_match_dashboard_data(client, org, data):
    alice = org.users["alice"]
    _complaints(org, data["carols"], now=timezone.now())
    r = _client(client, alice).get(DASHBOARD)
    assert r.status_code == 200
    html = r.content.decode()
    d = service_dashboard(alice)
    assert _testid(html, "total") == str(d.total) == "4"
    assert _testid(html, "response-compliance") == f"{d.response_compliance} %" == "25.00 %"
    assert _testid(html, "resolution-compliance") == f"{d.resolution_compliance} %" == "25.00 %"
    assert _testid(html, "resolved") == str(d.resolved) == "2"
    assert _testid(html, "mean-hours") == str(d.mean_hours_to_resolve) == "20.00"
    assert _testid(html, "median-hours") == str(d.median_hours_to_resolve) == "20.00"
    assert _testid(html, "reopen-rate") == f"{d.reopen_rate} %" == "50.00 %"
    for name, buckets in (("by-type", d.by_type), ("by-channel", d.by_channel), ("by-department", d.by_department)):
        table = re.search(rf'data-testid="{name}">(.*?)</table>', html, re.S).group(1)
        rows = re.findall(r'<th scope="row">([^<]*)</th><td class="num">(\d+)</td>', table)
        assert rows == [(b.label, str(b.count)) for b in buckets], name
    churn = re.search(r'data-testid="churn-signals">(.*?)</table>', html, re.S).group(1)
    account_url = reverse("customers:account_detail", args=[data["carols"].pk])
    assert f'<a href="{account_url}">卡罗的大客户</a>' in churn and [c.overdue_complaints for c in d.churn_signals] == [2]
    assert re.search(r'data-account="\d+">', churn) and ">2</a>" in churn
    gaps = re.search(r'data-testid="gaps">(.*?)</table>', html, re.S).group(1)
    assert gaps.count("<tr>") == len(d.gaps_by_dimension) + 1
    key = re.search(r'data-testid="key-experience">(.*?)</table>', html, re.S).group(1)
    assert 'class="fix-first"' in key and "delivery" in key and "Fix this first" in key
    assert 'data-care-chart="type-chart"' in html and "vendor/echarts/echarts.min.js" in html
    for chart in ("type-chart", "department-chart"):  # long category names: bars lie down, names stay readable
        spec = json.loads(re.search(rf'<script id="{chart}" type="application/json">(.*?)</script>', html, re.S).group(1))
        assert spec["horizontal"] is True and spec["labels"], chart


def test_dashboard_follows_visibility_and_shows_empty_states(client, org, data):
    _complaints(org, data["carols"], now=timezone.now())
    html = _client(client, org.users["dave"]).get(DASHBOARD).content.decode()
    assert _testid(html, "total") == "0"
    assert "No complaints were filed in this period" in html and "No account has a complaint past its resolution target." in html
    assert "卡罗的大客户" not in html


def test_dashboard_period_picker(client, org, data):
    alice = org.users["alice"]
    _complaints(org, data["carols"], now=timezone.now())
    c = _client(client, alice)
    today = timezone.now().date()
    old = c.get(DASHBOARD, {"start": today - timedelta(days=400), "end": today - timedelta(days=200)})
    assert old.status_code == 200 and _testid(old.content.decode(), "total") == "0"
    assert old.context["d"].start == today - timedelta(days=400)
    bad = c.get(DASHBOARD, {"start": "1900-01-01", "end": "1900-02-01"})
    assert bad.status_code == 400 and "Enter a date between 1970 and 2999." in bad.content.decode()
    assert _testid(bad.content.decode(), "total") == "4"


def test_dashboard_query_count_does_not_grow_with_data(client, org, data):
    alice = org.users["alice"]
    c = _client(client, alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(DASHBOARD).status_code == 200
        return len(ctx.captured_queries)

    _complaints(org, data["carols"], now=timezone.now())
    few = queries()
    _complaints(org, data["daves"], now=timezone.now())
    _complaints(org, f.account(org.users["carol"]), now=timezone.now())
    assert queries() == few
