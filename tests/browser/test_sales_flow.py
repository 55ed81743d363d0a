"""Issue 5, item 10: in Debian's chromium, carol opens an opportunity, plans a SPIN call for it and
logs the call's outcome, drags the opportunity to the next stage on the board, reloads and finds it
there; bob (her manager) sees the updated call-quality metrics; dave (another team) gets 404 on
carol's opportunity.

The SPIN and call-quality pages are the activity pages' (``sales:call_plan_create``,
``sales:call_plan_log``, ``sales:call_quality`` in guanxi/sales/urls_activities.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse

from guanxi.sales.models import CallPlan, Opportunity, Stage
from guanxi.sales.tests.factories import account_for, opportunity_for, pipeline
from tests.browser.conftest import english, output_dir, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def default_pipeline(transactional_db):
    """Live-server tests flush the database after each test, data migrations included: put the
    default pipeline and loss reasons back (the migration's own idempotent function)."""
    import importlib

    from django.apps import apps

    importlib.import_module("guanxi.sales.migrations.0002_default_pipeline").create_defaults(apps, None)


def _drag_to_next_stage(page, live_server, opp: Opportunity, next_code: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}{reverse('sales:board')}")
    card = page.locator(f"#opp-{opp.pk}")
    target = page.get_by_test_id(f"column-{next_code}").locator(".board-cards")
    expect(card).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith(reverse("sales:opportunity_move", args=[opp.pk]))) as answer:
        card.drag_to(target)
    assert answer.value.status == 200
    expect(page.get_by_test_id(f"column-{next_code}").locator(f"#opp-{opp.pk}")).to_be_visible()


def test_carol_plans_and_logs_a_spin_call_moves_the_deal_and_bob_sees_call_quality(request, carol, bob, dave, live_server, chromium):
    from playwright.sync_api import expect

    try:
        plan_url = reverse("sales:call_plan_create")
        quality_url = reverse("sales:call_quality")
    except NoReverseMatch:
        pytest.skip("the SPIN call pages (sales:call_plan_create / call_plan_log / call_quality) are not installed yet")
    english(carol, bob, dave)
    opp = opportunity_for(carol, account_for(carol, name="杭州明湖科技有限公司"), name="明湖巡检项目", amount=Decimal("120000.00"))
    folder = output_dir(request)

    # carol opens her opportunity and plans a SPIN call for it.
    page = sign_in(chromium, live_server, "carol")
    page.goto(f"{live_server.url}{reverse('sales:opportunity_detail', args=[opp.pk])}")
    expect(page.get_by_test_id("opportunity-name")).to_have_text("明湖巡检项目")
    page.get_by_role("link", name="Plan a SPIN call").click()
    assert plan_url in page.url and f"opportunity={opp.pk}" in page.url
    page.get_by_label("Subject").fill("明湖巡检需求拜访")
    page.get_by_label("Call objective").fill("确认巡检痛点，约定方案演示")
    page.get_by_label("Your own situation questions (背景), one per line").fill("目前巡检怎么安排？")
    page.get_by_label("Your own need-payoff questions (解决), one per line").fill("如果巡检自动化，每月能省多少人力？")
    page.get_by_role("button", name="Save call plan").click()
    expect(page.locator(".messages")).to_contain_text("Call plan saved")
    plan = CallPlan.objects.get(activity__opportunity=opp)

    # After the call she logs what happened: both questions asked, an explicit need, an advance.
    page.goto(f"{live_server.url}{reverse('sales:call_plan_log', args=[plan.pk])}")
    page.get_by_label("目前巡检怎么安排？").check()
    page.get_by_label("如果巡检自动化，每月能省多少人力？").check()
    page.get_by_label("Explicit needs found (明确性需求), one per line").fill("三个月内上线巡检系统")
    page.get_by_label("Advance").check()
    page.get_by_label("Next step: subject").fill("方案演示")
    page.get_by_role("button", name="Save call log").click()
    expect(page.locator(".messages")).to_contain_text("Call logged")
    plan.refresh_from_db()
    assert plan.outcome == "advance" and plan.logged_at is not None and plan.n_asked == 1

    # She drags the deal from 初步接触 to 需求确认, reloads, and it is still there.
    _drag_to_next_stage(page, live_server, opp, "needs")
    page.reload()
    expect(page.get_by_test_id("column-needs").locator(f"#opp-{opp.pk}")).to_be_visible()
    assert Opportunity.objects.get(pk=opp.pk).stage.code == "needs"
    page.screenshot(path=str(folder / "board-after-drag.png"), full_page=True)

    # bob, her manager, sees the logged call in the call-quality metrics.
    manager = sign_in(chromium, live_server, "bob")
    manager.goto(f"{live_server.url}{quality_url}")
    expect(manager.get_by_role("row").filter(has_text="Carol").first).to_be_visible()
    manager.screenshot(path=str(folder / "call-quality.png"), full_page=True)

    # dave, in another team, does not learn that the opportunity exists.
    other = sign_in(chromium, live_server, "dave")
    response = other.goto(f"{live_server.url}{reverse('sales:opportunity_detail', args=[opp.pk])}")
    assert response is not None and response.status == 404


def test_carol_drags_a_card_to_the_next_stage_and_a_stale_card_comes_back(request, carol, bob, dave, live_server, chromium):
    """The board part of the scenario on its own: drag, reload, and a drag of a card someone else
    moved in the meantime is refused with a message and the card returns to where it really is."""
    from playwright.sync_api import expect

    from guanxi.sales.opportunities import opportunity_move

    english(carol, dave)
    opp = opportunity_for(carol, name="拖动测试商机")
    other = opportunity_for(carol, name="被抢先的商机")
    page = sign_in(chromium, live_server, "carol")
    _drag_to_next_stage(page, live_server, opp, "needs")
    page.reload()
    expect(page.get_by_test_id("column-needs").locator(f"#opp-{opp.pk}")).to_be_visible()
    assert Opportunity.objects.get(pk=opp.pk).stage.code == "needs"

    # bob moves the other card while carol's board is open; her drag of it is refused.
    opportunity_move(actor=bob, opportunity=other, stage=Stage.objects.get(pipeline=pipeline(), code="proposal"), version=other.version)
    card = page.locator(f"#opp-{other.pk}")
    with page.expect_response(lambda r: r.url.endswith(reverse("sales:opportunity_move", args=[other.pk]))) as answer:
        card.drag_to(page.get_by_test_id("column-negotiation").locator(".board-cards"))
    assert answer.value.status == 409
    expect(page.get_by_test_id("column-proposal").locator(f"#opp-{other.pk}")).to_be_visible()
    expect(page.locator(f"#opp-{other.pk}").get_by_test_id("card-message")).to_contain_text("Someone else changed this opportunity")
    expect(page.locator("#board-status")).to_contain_text("Someone else changed this opportunity")

    # The keyboard way: the card's "Move to…" list does the same.
    page.locator(f"#move-{other.pk}").select_option(label="Negotiation")
    page.locator(f"#opp-{other.pk}").get_by_role("button", name="Move").click()
    expect(page.get_by_test_id("column-negotiation").locator(f"#opp-{other.pk}")).to_be_visible()
    page.screenshot(path=str(output_dir(request) / "board-keyboard-move.png"), full_page=True)

    stranger = sign_in(chromium, live_server, "dave")
    response = stranger.goto(f"{live_server.url}{reverse('sales:opportunity_detail', args=[opp.pk])}")
    assert response is not None and response.status == 404
