"""The pipeline board page (issue 5 item 3): columns with counts and totals, paging per column,
moves by drag or keyboard with optimistic locking, lost / won stages opening their forms."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.sales.models import Opportunity, Stage
from guanxi.sales.tests.factories import account_for, opportunity_for, pipeline, stage
from guanxi.sales.views import PER_COLUMN

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _client(client, user):
    client.force_login(user)
    return client


def _bulk_open_deals(owner, n: int) -> None:
    account = account_for(owner)
    stages = list(Stage.objects.filter(pipeline=pipeline(), kind="open").order_by("position"))
    now = timezone.now()
    Opportunity.objects.bulk_create(
        [Opportunity(name=f"批量商机{i}", account=account, pipeline=pipeline(), stage=stages[i % len(stages)], owner=owner,
                     department_id=owner.department_id, amount=Decimal("1000.00"), board_rank=i, stage_entered_at=now)
         for i in range(n)],
        batch_size=1000,
    )


def test_board_shows_each_stage_with_count_and_total(client, carol):
    opportunity_for(carol, name="华东电网改造", amount=Decimal("120000.00"))
    opportunity_for(carol, name="苏州工厂扩建", amount=Decimal("30000.50"))
    r = _client(client, carol).get(reverse("sales:board"))
    assert r.status_code == 200
    html = r.content.decode()
    for code in ("initial", "needs", "proposal", "negotiation", "won", "lost"):
        assert f'data-testid="column-{code}"' in html
    assert "华东电网改造" in html and "苏州工厂扩建" in html
    carol.language = "en"
    carol.save()
    html = _client(client, carol).get(reverse("sales:board")).content.decode()
    assert '<span data-testid="count-initial">2 deals</span>' in html
    assert "150,000.50" in html  # the column total, as money
    assert '<span data-testid="count-needs">0 deals</span>' in html


def test_board_query_count_is_the_same_for_10_and_5000_open_deals(client, carol):
    _bulk_open_deals(carol, 10)
    c = _client(client, carol)
    url = reverse("sales:board")
    c.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    _bulk_open_deals(carol, 4990)
    with CaptureQueriesContext(connection) as large:
        r = c.get(url)
    assert r.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    # Each column shows its first 20 cards and a "load more" for the rest.
    assert r.content.decode().count('data-testid="card"') == 4 * PER_COLUMN == 4 * 20
    assert "Load more" in r.content.decode() or "加载更多" in r.content.decode()


def test_load_more_brings_the_next_cards_of_one_column(client, carol):
    _bulk_open_deals(carol, 240)  # 60 per open stage
    c = _client(client, carol)
    first = stage("initial")
    r = c.get(reverse("sales:board"))
    html = r.content.decode()
    start = html.index(reverse("sales:board_column", args=[first.pk]))
    cursor_url = html[start: html.index('"', start)].replace("&amp;", "&")
    r = c.get(cursor_url, **HTMX)
    assert r.status_code == 200
    assert r.content.decode().count('data-testid="card"') == 40  # 60 - the first 20 (a page holds up to 50)
    assert reverse("sales:board_column", args=[first.pk]) not in r.content.decode()  # nothing more to load


def test_moving_a_card_to_the_next_stage_saves_it_and_refreshes_the_headers(client, carol):
    opp = opportunity_for(carol, name="拖动商机")
    r = _client(client, carol).post(reverse("sales:opportunity_move", args=[opp.pk]),
                                    {"stage_id": stage("needs").pk, "version": opp.version}, **HTMX)
    assert r.status_code == 200
    opp.refresh_from_db()
    assert opp.stage == stage("needs") and opp.version == 2
    html = r.content.decode()
    assert f'data-stage-id="{stage("needs").pk}"' in html and f'data-version="{opp.version}"' in html
    assert 'hx-swap-oob="true"' in html


def test_keyboard_move_without_javascript_redirects_back_to_the_board(client, carol):
    opp = opportunity_for(carol)
    r = _client(client, carol).post(reverse("sales:opportunity_move", args=[opp.pk]),
                                    {"stage_id": stage("proposal").pk, "version": opp.version})
    assert r.status_code == 302 and r["Location"].startswith(reverse("sales:board_pipeline", args=[pipeline().pk]))
    opp.refresh_from_db()
    assert opp.stage == stage("proposal")


def test_stale_drag_shows_conflict_message(client, carol, bob):
    opp = opportunity_for(carol, name="并发商机")
    stale = opp.version
    # bob moves it first
    from guanxi.sales.opportunities import opportunity_move
    opportunity_move(actor=bob, opportunity=opp, stage=stage("proposal"), version=stale)
    carol.language = "en"
    carol.save()
    r = _client(client, carol).post(reverse("sales:opportunity_move", args=[opp.pk]),
                                    {"stage_id": stage("needs").pk, "version": stale}, **HTMX)
    assert r.status_code == 409
    html = r.content.decode()
    assert "Someone else changed this opportunity" in html
    # The card comes back as it now stands, in bob's stage, with the new version to move it again.
    assert f'data-stage-id="{stage("proposal").pk}"' in html and 'data-version="2"' in html
    opp.refresh_from_db()
    assert opp.stage == stage("proposal")


def test_dropping_on_the_lost_column_opens_the_lose_form(client, carol):
    opp = opportunity_for(carol)
    r = _client(client, carol).post(reverse("sales:opportunity_move", args=[opp.pk]),
                                    {"stage_id": stage("lost").pk, "version": opp.version}, **HTMX)
    assert r.status_code == 200
    assert r["HX-Redirect"].startswith(reverse("sales:opportunity_lose", args=[opp.pk]))
    opp.refresh_from_db()
    assert opp.stage == stage("initial")  # nothing happens until a reason is given


def test_dropping_on_the_won_column_opens_the_win_form(client, carol):
    opp = opportunity_for(carol)
    r = _client(client, carol).post(reverse("sales:opportunity_move", args=[opp.pk]),
                                    {"stage_id": stage("won").pk, "version": opp.version})
    assert r.status_code == 302 and r["Location"].startswith(reverse("sales:opportunity_win", args=[opp.pk]))


def test_grace_cannot_move_a_card(client, carol, grace):
    opp = opportunity_for(carol, name="只读商机")
    c = _client(client, grace)
    html = c.get(reverse("sales:board")).content.decode()
    assert "只读商机" in html  # she sees it...
    assert 'draggable="true"' not in html and "move-form" not in html  # ...but has nothing to move it with
    r = c.post(reverse("sales:opportunity_move", args=[opp.pk]), {"stage_id": stage("needs").pk, "version": opp.version}, **HTMX)
    assert r.status_code == 403
    opp.refresh_from_db()
    assert opp.stage == stage("initial")


def test_dave_cannot_move_or_see_carols_card(client, carol, dave):
    opp = opportunity_for(carol, name="西区看不到的商机")
    c = _client(client, dave)
    assert "西区看不到的商机" not in c.get(reverse("sales:board")).content.decode()
    r = c.post(reverse("sales:opportunity_move", args=[opp.pk]), {"stage_id": stage("needs").pk, "version": opp.version})
    assert r.status_code == 404


def test_board_filters_by_owner(client, carol, bob):
    opportunity_for(carol, name="卡罗尔的商机")
    opportunity_for(bob, name="鲍勃的商机")
    html = _client(client, bob).get(reverse("sales:board"), {"owner": carol.pk}).content.decode()
    assert "卡罗尔的商机" in html and "鲍勃的商机" not in html


def test_unknown_pipeline_is_404(client, carol):
    assert _client(client, carol).get(reverse("sales:board_pipeline", args=[999999])).status_code == 404
