"""Issue 6, item 11: in Debian's chromium, a customer files a complaint on the public form (no login)
and gets a tracking number and a private status link; erin (service agent, the intake desk) finds
it, links it to the customer's account and handles it through every step of the procedure (DOMAIN
§4: E, L → A, remedy and 分清责任 → resolution → the customer's confirmation → follow-up 回访 →
closed). Her compensation above ¥5,000 locks the complaint and goes to bob, her manager, who
approves it in his approvals inbox; erin carries on. Once it is resolved, the customer confirms it on
the private status page (the customer, not the agent, says it is solved). Closing schedules the
follow-up visit, which carol — the account's owner, who does the visit — sees on the account's 360°
timeline next to the complaint erin sees there; the customer's status link shows the complaint
closed."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from guanxi.approvals.models import ApprovalRequest
from guanxi.service.models import Complaint, FollowUpVisit
from guanxi.service.tests import complaint_factories as f
from tests.browser.conftest import english, output_dir, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def service_defaults(transactional_db):
    """Live-server tests flush the database after each test, data migrations included: put the
    complaint types, SLA policies, working calendar and the compensation approval flow back (the
    migration's own idempotent function)."""
    importlib.import_module("guanxi.service.migrations.0002_complaint_defaults").forwards(apps, None)


def _move(page, target: str, fields: dict[str, str], button: str, *, selects: dict[str, str] | None = None) -> None:
    form = page.get_by_test_id(f"move-{target}")
    for label, value in fields.items():
        form.get_by_label(label, exact=True).fill(value)
    for label, option in (selects or {}).items():
        form.get_by_label(label, exact=True).select_option(label=option)
    form.get_by_role("button", name=button).click()


def test_a_customers_complaint_goes_through_every_step_with_bobs_approval(request, erin, bob, carol, live_server, chromium):
    from playwright.sync_api import expect

    english(erin, bob, carol)
    account = f.account(carol, name="杭州明湖科技有限公司")
    folder = output_dir(request)

    # The customer files the complaint on the public form, without an account.
    customer = chromium.new_context(viewport={"width": 1000, "height": 900}, locale="en-US").new_page()
    customer.goto(f"{live_server.url}{reverse('public_service:feedback')}")
    customer.get_by_label("Your name").fill("王先生")
    customer.get_by_label("Email").fill("wang.xiansheng@minghu.example.com")
    customer.get_by_label("What is it about?").select_option("quality")
    customer.get_by_label("What happened?").fill("第二批冷链箱到货时外箱压坏，货物受潮。")
    customer.get_by_role("button", name="Send").click()
    expect(customer.get_by_role("status")).to_contain_text("We have received your complaint")
    complaint = Complaint.objects.get(submitter_email="wang.xiansheng@minghu.example.com")
    status_url = customer.url.split("?")[0]
    expect(customer.get_by_role("main")).to_contain_text(complaint.number)
    expect(customer.locator("code")).to_have_text(status_url)
    assert complaint.account_id is None and complaint.owner == erin  # nobody in the archive has this address

    # erin finds it in her list and links it to the account.
    page = sign_in(chromium, live_server, "erin", locale="en-US")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Complaints", exact=True).click()
    page.get_by_label("Search", exact=True).fill(complaint.number)
    expect(page.get_by_test_id("complaint-row")).to_have_count(1)
    page.get_by_role("link", name=complaint.number).click()
    expect(page.get_by_test_id("complaint-account")).to_contain_text("Not linked to an account yet")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Account", exact=True).select_option(label="杭州明湖科技有限公司")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("complaint-account")).to_have_text("杭州明湖科技有限公司")
    expect(page.get_by_test_id("sla-response")).to_contain_text("left")

    # E, L: moving on without the notes is refused, one message per missing record.
    page.get_by_test_id("move-acknowledged").get_by_role("button", name="Acknowledge: record empathy and listening").click()
    expect(page.get_by_test_id("move-acknowledged").get_by_role("alert")).to_have_count(2)
    expect(page.get_by_test_id("move-acknowledged")).to_contain_text(
        "Fill this in before moving the complaint to “Acknowledged (empathy and listening)”.")
    _move(page, "acknowledged", {"Empathy (E)": "理解您收到受潮货物的心情，这确实影响了您的生产。",
                                 "Listening notes (L)": "第二批 40 箱中 12 箱外箱压坏，货物受潮，客户要求尽快补发。"},
          "Acknowledge: record empathy and listening")
    expect(page.get_by_test_id("complaint-state")).to_have_text("Acknowledged (empathy and listening)")

    # A, remedy and responsibility, with a compensation above ¥5,000: locked, sent to bob.
    _move(page, "remedy_agreed", {"Apology (A)": "代表公司向您郑重致歉。", "Agreed remedy": "三日内补发 12 箱并赔偿损失。",
                                  "Root cause": "承运商装车时堆码超高。", "Compensation": "8000"},
          "Record the apology, the remedy and who is responsible",
          selects={"Responsible department": "客服部 Service", "Responsible person": "Erin 艾琳"})
    expect(page.get_by_test_id("locked-notice")).to_contain_text("Bob")
    expect(page.get_by_test_id("move-remedy_agreed").get_by_role("button")).to_be_disabled()
    expect(page.get_by_test_id("move-remedy_agreed").get_by_label("Responsible person")).to_have_value(str(erin.pk))
    page.screenshot(path=str(folder / "complaint-locked.png"), full_page=True)
    approval = ApprovalRequest.objects.get(state="pending", object_id=complaint.pk)
    assert page.get_by_test_id("approval-link").get_attribute("href") == reverse("approvals:request_detail", args=[approval.pk])

    # bob approves in his inbox.
    manager = sign_in(chromium, live_server, "bob", locale="en-US")
    manager.goto(f"{live_server.url}{reverse('approvals:inbox')}")
    manager.get_by_test_id("approval-inbox").get_by_role("link", name=complaint.number).click()
    expect(manager.get_by_test_id("request-object")).to_contain_text(complaint.number)
    manager.get_by_label("Approve", exact=True).check()
    manager.get_by_label("Comment").fill("同意赔偿，请尽快补发。")
    manager.get_by_role("button", name="Submit decision").click()
    expect(manager.locator(".messages")).to_contain_text("Approved.")

    # erin carries on: the approval made the move; resolution, the customer's confirmation, closing.
    page.reload()
    expect(page.get_by_test_id("complaint-state")).to_have_text("Apology and remedy agreed")
    expect(page.get_by_test_id("complaint-compensation")).to_contain_text("8,000.00")
    expect(page.get_by_test_id("locked-notice")).to_have_count(0)
    _move(page, "resolved", {"Resolution": "12 箱已补发并签收，赔偿款已付。"}, "Mark as resolved")
    expect(page.get_by_test_id("complaint-state")).to_have_text("Resolved")
    # The customer confirms on the private status page.
    customer.goto(status_url)
    customer.get_by_label("Yes, it is solved").check()
    customer.get_by_label("Your comment").fill("已收到补发货物和赔偿，满意。")
    customer.get_by_role("button", name="Send my answer").click()
    expect(customer.get_by_role("main")).to_contain_text("Thank you for your answer.")
    page.reload()
    expect(page.get_by_test_id("complaint-state")).to_have_text("Confirmed by the customer")
    visit_at = (timezone.localtime() + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    _move(page, "closed", {"Follow-up visit": visit_at.strftime("%Y-%m-%dT%H:%M")}, "Close and schedule the follow-up visit")
    expect(page.get_by_test_id("complaint-state")).to_have_text("Closed")
    expect(page.get_by_test_id("follow-up")).to_contain_text("Follow-up visit scheduled")
    expect(page.get_by_test_id("complaint-history")).to_contain_text("Compensation approved")
    page.screenshot(path=str(folder / "complaint-closed.png"), full_page=True)
    visit = FollowUpVisit.objects.get(trigger="complaint_closed", source_id=complaint.pk)
    assert (visit.account_id, visit.owner, visit.due_at) == (account.pk, carol, visit_at)

    # The complaint is on the account's 360° timeline (erin) and so is the visit (carol, who does it).
    page.goto(f"{live_server.url}{reverse('customers:account_detail', args=[account.pk])}")
    page.get_by_role("tab", name="Timeline").click()
    expect(page.locator(".timeline-complaint")).to_contain_text(complaint.number)
    owner = sign_in(chromium, live_server, "carol", locale="en-US")
    owner.goto(f"{live_server.url}{reverse('customers:account_detail', args=[account.pk])}")
    owner.get_by_role("tab", name="Timeline").click()
    expect(owner.locator(".timeline-follow_up")).to_contain_text("Follow-up visit due")
    owner.screenshot(path=str(folder / "account-timeline.png"), full_page=True)

    # The customer's private link shows the case closed.
    customer.goto(status_url)
    expect(customer.get_by_role("main")).to_contain_text("Closed")
    complaint.refresh_from_db()
    assert (complaint.state, complaint.compensation, complaint.reopen_count) == ("closed", 8000, 0)
