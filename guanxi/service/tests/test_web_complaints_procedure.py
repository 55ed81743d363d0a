"""The complaint page walks the handling procedure (issue 6 items 2, 3 and 8; DOMAIN §4 "Complaints"):
one form per move with exactly the records it needs, the service's messages on the form when one is
missing, compensation above ¥5,000 locking the complaint until the manager approves, the manager's
override, reopening, stale forms, notes and handing over."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.approvals import services as approvals
from guanxi.service.models import Complaint, ComplaintEvent, FollowUpVisit
from guanxi.service.tests import complaint_factories as f

pytestmark = pytest.mark.django_db


def _client(client, user, language="en"):
    user.language = language
    user.save()
    client.force_login(user)
    return client


def _move(c, complaint: Complaint, target: str, records: dict[str, Any] | None = None, *, version: int | None = None, **extra: Any):
    complaint.refresh_from_db()
    data = {"target": target, f"to-{target}-version": version if version is not None else complaint.version}
    data.update({f"to-{target}-{k}": v for k, v in (records or {}).items()})
    data.update(extra)
    return c.post(reverse("service:complaint_transition", args=[complaint.pk]), data)


def _page(c, complaint: Complaint) -> str:
    r = c.get(reverse("service:complaint_detail", args=[complaint.pk]))
    assert r.status_code == 200
    return r.content.decode()


def test_the_page_shows_the_header_the_timers_and_what_the_next_step_needs(client, carol):
    acc = f.account(carol, name="杭州明湖科技有限公司")
    complaint = f.complaint(carol, acc, severity="high")
    html = _page(_client(client, carol), complaint)
    assert complaint.number in html and "杭州明湖科技有限公司" in html
    assert reverse("customers:account_detail", args=[acc.pk]) in html
    assert 'data-testid="sla-response"' in html and ("left" in html or "overdue" in html)
    assert 'data-testid="move-acknowledged"' in html
    assert "This step needs: Empathy (E), Listening notes (L)." in html
    assert 'name="to-acknowledged-version"' in html


def test_a_move_without_its_records_shows_one_message_per_missing_record(client, carol):
    complaint = f.complaint(carol, f.account(carol))
    c = _client(client, carol)
    r = _move(c, complaint, "acknowledged", {"empathy_note": "理解您的心情", "listening_note": ""})
    assert r.status_code == 422
    html = r.content.decode()
    with translation.override("en"):
        assert html.count("Fill this in before moving the complaint to “Acknowledged (empathy and listening)”.") == 1
    assert "理解您的心情" in html  # what was typed is kept
    assert Complaint.objects.get(pk=complaint.pk).state == "new"
    c2 = f.handle_to(carol, complaint, "acknowledged")
    r = _move(c, c2, "remedy_agreed", {"apology_note": "抱歉"})
    html = r.content.decode()
    # agreed remedy, department, person, root cause and compensation are all missing
    assert r.status_code == 422 and html.count("Fill this in before moving the complaint to “Apology and remedy agreed”.") == 5


def test_an_unknown_or_forbidden_move_is_refused_with_a_message(client, carol):
    complaint = f.complaint(carol, f.account(carol))
    c = _client(client, carol)
    r = _move(c, complaint, "closed")
    assert r.status_code == 422 and "A complaint cannot move from “New” to “Closed”." in r.content.decode()
    r = _move(c, complaint, "bogus")
    assert r.status_code == 422 and "Unknown state." in r.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).state == "new"


def test_a_stale_form_is_refused_keeps_the_text_and_offers_the_current_version(client, carol, bob):
    complaint = f.complaint(carol, f.account(carol))
    opened_version = complaint.version
    f.move(bob, complaint, "acknowledged", {"empathy_note": "bob 的共情", "listening_note": "bob 的记录"})  # bob, meanwhile
    complaint.refresh_from_db()
    c = _client(client, carol)
    r = _move(c, complaint, "remedy_agreed", {"apology_note": "carol 的道歉"}, version=opened_version)
    assert r.status_code == 409
    html = r.content.decode()
    assert "Someone else changed this complaint after you opened it, so nothing was saved." in html
    assert "carol 的道歉" in html and f'name="to-remedy_agreed-version" value="{complaint.version}"' in html
    assert Complaint.objects.get(pk=complaint.pk).apology_note == ""


def test_the_whole_procedure_through_the_web_ends_with_a_follow_up_visit(client, carol):
    acc = f.account(carol)
    complaint = f.complaint(carol, acc)
    c = _client(client, carol)
    when = (timezone.localtime() + timedelta(days=7)).replace(second=0, microsecond=0)
    steps = [
        ("acknowledged", {"empathy_note": "理解您的心情", "listening_note": "外包装破损"}),
        ("remedy_agreed", {"apology_note": "向您致歉", "agreed_remedy": "补发新货", "root_cause": "包装不牢", "compensation": "300",
                           "compensation_currency": "cny", "responsible_department_id": carol.department_id,
                           "responsible_person_id": carol.pk}),
        ("resolved", {"resolution": "新货已送达"}),
        ("confirmed", {"customer_confirmation": "客户电话确认满意"}),
        ("closed", {"follow_up_at": when.strftime("%Y-%m-%dT%H:%M")}),
    ]
    for target, records in steps:
        r = _move(c, complaint, target, records)
        assert r.status_code == 302, (target, r.content.decode()[:2000])
        assert Complaint.objects.get(pk=complaint.pk).state == target
    complaint.refresh_from_db()
    assert (complaint.compensation, complaint.compensation_currency) == (Decimal("300.00"), "CNY")
    visit = FollowUpVisit.objects.get(trigger="complaint_closed", source_id=complaint.pk)
    assert visit.due_at == when
    html = _page(c, complaint)
    assert 'data-testid="follow-up"' in html and "Follow-up visit scheduled" in html
    assert 'data-testid="move-acknowledged-reopen"' in html  # closed: reopening is the one move left


def test_compensation_above_5000_locks_the_page_until_bob_approves(client, carol, bob):
    complaint = f.handle_to(carol, f.complaint(carol, f.account(carol)), "acknowledged")
    c = _client(client, carol)
    records = {"apology_note": "向您致歉", "agreed_remedy": "全额退款", "root_cause": "批次质量问题", "compensation": "8000",
               "compensation_currency": "CNY", "responsible_department_id": carol.department_id, "responsible_person_id": carol.pk}
    r = _move(c, complaint, "remedy_agreed", records)
    assert r.status_code == 302
    request = approvals.pending_request_for(complaint)
    assert request is not None
    html = _page(c, complaint)
    assert 'data-testid="locked-notice"' in html and reverse("approvals:request_detail", args=[request.pk]) in html
    assert "Bob" in html.split('data-testid="locked-notice"')[1].split("</div>")[0]
    assert "<fieldset disabled>" in html
    assert reverse("service:complaint_edit", args=[complaint.pk]) not in html
    # A forged submit is refused as well (the service's lock), and says why.
    r = _move(c, complaint, "remedy_agreed", records)
    assert r.status_code == 409
    with translation.override("en"):
        assert "This complaint waits for the approval of its compensation" in r.content.decode()
    r = c.post(reverse("service:complaint_delete", args=[complaint.pk]), {"version": Complaint.objects.get(pk=complaint.pk).version})
    assert r.status_code == 422 and Complaint.objects.filter(pk=complaint.pk).exists()
    # Notes stay possible.
    assert c.post(reverse("service:complaint_note", args=[complaint.pk]), {"text": "已电话告知客户等待审批"}).status_code == 302
    approvals.approval_decide(actor=bob, request=request, decision="approve", comment="同意")
    html = _page(c, complaint)
    assert 'data-testid="locked-notice"' not in html and "Compensation approved" in html
    assert Complaint.objects.get(pk=complaint.pk).state == "remedy_agreed"


def test_only_a_manager_sees_and_makes_the_override_and_it_needs_a_reason(client, carol, bob):
    complaint = f.handle_to(carol, f.complaint(carol, f.account(carol)), "resolved")
    carols = _client(client, carol)
    html = _page(carols, complaint)
    assert 'data-testid="move-closed-override"' not in html and "only the owner's manager can close" in html
    r = _move(carols, complaint, "closed", {"follow_up_at": "2026-09-01T10:00", "override_reason": "客户失联"})
    assert r.status_code == 422
    assert "Only the owner&#x27;s manager or an administrator may close" in r.content.decode()
    client.logout()
    bobs = _client(client, bob)
    assert 'data-testid="move-closed-override"' in _page(bobs, complaint)
    r = _move(bobs, complaint, "closed", {"follow_up_at": "2026-09-01T10:00"})
    assert r.status_code == 422 and "Give the reason for closing without the customer&#x27;s confirmation." in r.content.decode()
    r = _move(bobs, complaint, "closed", {"follow_up_at": "2026-09-01T10:00", "override_reason": "客户失联三周"})
    assert r.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.state, complaint.override_reason) == ("closed", "客户失联三周")
    assert "skipped: closed by a manager's override" in _page(bobs, complaint)


def test_reopening_needs_a_reason_and_is_counted(client, carol):
    complaint = f.handle_to(carol, f.complaint(carol, f.account(carol)), "confirmed")
    c = _client(client, carol)
    r = _move(c, complaint, "acknowledged")
    assert r.status_code == 422 and "Say why the complaint is reopened." in r.content.decode()
    assert _move(c, complaint, "acknowledged", {"reopen_reason": "客户反映问题复发"}).status_code == 302
    complaint.refresh_from_db()
    assert (complaint.state, complaint.reopen_count) == ("acknowledged", 1)
    assert "reopened 1 time" in _page(c, complaint)


def test_notes_public_messages_and_handing_over(client, carol, bob, erin):
    complaint = f.complaint(carol, f.account(carol))
    c = _client(client, carol)
    url = reverse("service:complaint_note", args=[complaint.pk])
    assert c.post(url, {"text": ""}).status_code == 422
    assert c.post(url, {"text": "内部：客户是老客户"}).status_code == 302
    assert c.post(url, {"text": "我们已安排换货", "public": "on"}).status_code == 302
    kinds = list(ComplaintEvent.objects.filter(complaint=complaint).order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == ["note", "public_message"]
    html = _page(c, complaint)
    assert "内部：客户是老客户" in html and "Message to the customer" in html
    assign = reverse("service:complaint_assign", args=[complaint.pk])
    opened_version = complaint.version
    complaint = f.move(carol, complaint, "acknowledged", {"empathy_note": "e", "listening_note": "l"})
    r = c.post(assign, {"owner": erin.pk, "version": opened_version})
    assert r.status_code == 409 and "Someone else changed this complaint after you opened it" in r.content.decode()
    r = c.post(assign, {"owner": erin.pk, "version": complaint.version})
    assert r.status_code == 302 and r["Location"] == reverse("service:complaint_list")  # carol no longer sees it
    assert Complaint.objects.get(pk=complaint.pk).owner == erin


def test_delete_moves_the_complaint_to_the_trash(client, carol):
    complaint = f.complaint(carol, f.account(carol))
    c = _client(client, carol)
    assert c.post(reverse("service:complaint_delete", args=[complaint.pk]), {"version": complaint.version + 5}).status_code == 409
    r = c.post(reverse("service:complaint_delete", args=[complaint.pk]), {"version": complaint.version})
    assert r.status_code == 302
    assert Complaint._base_manager.get(pk=complaint.pk).deleted_at is not None
    assert c.get(reverse("service:complaint_detail", args=[complaint.pk])).status_code == 404


def test_the_complaint_page_query_count_does_not_grow_with_its_history(client, carol, django_assert_max_num_queries):
    complaint = f.handle_to(carol, f.complaint(carol, f.account(carol)), "confirmed")
    c = _client(client, carol)
    for i in range(15):
        c.post(reverse("service:complaint_note", args=[complaint.pk]), {"text": f"备注{i}", "public": "on" if i % 2 else ""})
    c.get(reverse("service:complaint_detail", args=[complaint.pk]))
    with django_assert_max_num_queries(20):
        assert c.get(reverse("service:complaint_detail", args=[complaint.pk])).status_code == 200
