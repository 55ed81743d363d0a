"""Complaint services: taxonomy, the handling procedure, reopen, compensation approval (issue 6
items 1, 2, 8 and 9; DOMAIN §4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from guanxi.approvals import services as approvals
from guanxi.approvals.models import ApprovalRequest
from guanxi.audit.models import AuditEntry
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.customers.timeline import account_timeline
from guanxi.service import complaints
from guanxi.service.models import ComplaintEvent, ComplaintType, FollowUpVisit
from guanxi.service.tests import complaint_factories as f
from guanxi.users.models import Notification

pytestmark = pytest.mark.django_db


def test_the_taxonomy_of_domain_4_is_built_in():
    names = set(ComplaintType.objects.filter(built_in=True).values_list("category", "name_zh"))
    assert names == {
        ("product", "质量不良"), ("product", "价格过高"), ("product", "标示不符"),
        ("service", "服务方式欠妥"), ("service", "服务态度欠佳"), ("service", "自身不良行为"), ("service", "服务作业不当"),
        ("service", "服务制度"),
    }


def test_a_complaint_gets_a_yearly_tracking_number_and_is_audited(carol):
    acc = f.account(carol)
    first, second = f.complaint(carol, acc), f.complaint(carol, acc)
    year = first.opened_at.astimezone().year
    assert first.number.startswith(f"TS-{year}-") and len(first.number) == len(f"TS-{year}-000001")
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert first.owner == carol and first.state == "new"
    assert AuditEntry.objects.filter(object_id=first.pk, action="create", content_type__model="complaint").exists()
    assert ComplaintEvent.objects.get(complaint=first).kind == "created"


def test_the_order_must_belong_to_the_account_and_the_contact_to_the_account(carol):
    acc, other = f.account(carol), f.account(carol)
    order = f.order(carol, other)
    with pytest.raises(ValidationFailed) as exc:
        f.complaint(carol, acc, order_id=order.pk)
    assert "order_id" in exc.value.errors
    stranger = f.contact(carol, other)
    with pytest.raises(ValidationFailed) as exc:
        f.complaint(carol, acc, contact_id=stranger.pk)
    assert "contact_id" in exc.value.errors
    # An order alone brings its account along.
    c = f.complaint(carol, order_id=order.pk)
    assert c.account_id == other.pk


def test_dave_cannot_file_a_complaint_on_carols_account(carol, dave):
    acc = f.account(carol)
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        f.complaint(dave, acc)
    assert exc.value.errors["account_id"] == ["No such account."]


def test_grace_read_only_cannot_file_complaints(carol, grace):
    with pytest.raises(PermissionDenied):
        f.complaint(grace, f.account(carol))


def test_cannot_acknowledge_without_empathy_and_listening_notes(carol):
    c = f.complaint(carol, f.account(carol))
    with pytest.raises(ValidationFailed) as exc:
        f.move(carol, c, "acknowledged", {"empathy_note": "  "})
    assert set(exc.value.errors) == {"empathy_note", "listening_note"}
    c.refresh_from_db()
    assert c.state == "new" and c.responded_at is None
    c = f.move(carol, c, "acknowledged", {"empathy_note": "理解", "listening_note": "记录要点"})
    assert c.state == "acknowledged" and c.responded_at is not None


def test_the_remedy_needs_apology_and_assigned_responsibility(carol):
    c = f.handle_to(carol, f.complaint(carol, f.account(carol)), "acknowledged")
    with pytest.raises(ValidationFailed) as exc:
        f.move(carol, c, "remedy_agreed", {"apology_note": "抱歉"})
    assert {"agreed_remedy", "responsible_department_id", "responsible_person_id", "root_cause", "compensation"} <= set(exc.value.errors)
    assert "apology_note" not in exc.value.errors


def test_skipping_a_step_is_refused(carol):
    c = f.complaint(carol, f.account(carol))
    with pytest.raises(ValidationFailed) as exc:
        f.move(carol, c, "resolved", {"resolution": "已处理"})
    assert list(exc.value.errors) == ["state"]


def test_closing_without_confirmation_needs_a_manager_and_a_reason(carol, bob, alice):
    c = f.handle_to(carol, f.complaint(carol, f.account(carol)), "resolved")
    future = "2030-01-10T10:00:00+08:00"
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        f.move(carol, c, "closed", {"follow_up_at": future}, override_reason="客户联系不上")
    assert "manager" in exc.value.errors["override_reason"][0]
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        f.move(bob, c, "closed", {"follow_up_at": future})
    assert "reason" in exc.value.errors["override_reason"][0]
    c = f.move(bob, c, "closed", {"follow_up_at": future}, override_reason="客户多次联系不上")
    assert c.state == "closed" and c.closed_at is not None and c.override_reason == "客户多次联系不上"
    event = ComplaintEvent.objects.filter(complaint=c, kind="state").last()
    assert event is not None and (event.from_state, event.to_state, event.actor) == ("resolved", "closed", bob)


def test_closing_needs_a_follow_up_and_schedules_the_visit(carol):
    c = f.handle_to(carol, f.complaint(carol, f.account(carol)), "confirmed")
    with pytest.raises(ValidationFailed) as exc:
        f.move(carol, c, "closed")
    assert list(exc.value.errors) == ["follow_up_at"]
    c = f.move(carol, c, "closed", {"follow_up_at": "2030-01-10T10:00:00+08:00"})
    assert c.state == "closed"
    assert FollowUpVisit.objects.filter(source_id=c.pk, trigger="complaint_closed", account=c.account).count() == 1


def test_reopen_is_counted(carol):
    c = f.handle_to(carol, f.complaint(carol, f.account(carol)), "confirmed")
    c = f.move(carol, c, "closed", {"follow_up_at": "2030-01-10T10:00:00+08:00"})
    with pytest.raises(ValidationFailed) as exc:
        f.move(carol, c, "acknowledged")
    assert list(exc.value.errors) == ["reopen_reason"]
    c = f.move(carol, c, "acknowledged", {"reopen_reason": "客户反映问题再次出现"})
    assert (c.state, c.reopen_count, c.resolved_at, c.closed_at, c.customer_confirmation) == ("acknowledged", 1, None, None, "")
    for target, records in f.PROCEDURE[1:]:
        c = f.move(carol, c, target, records)
    c = f.move(carol, c, "acknowledged", {"reopen_reason": "又坏了"})
    assert c.reopen_count == 2
    assert ComplaintEvent.objects.filter(complaint=c, kind="state", to_state="acknowledged", note="又坏了").exists()


def test_a_stale_version_is_refused(carol):
    c = f.complaint(carol, f.account(carol))
    with pytest.raises(VersionConflict):
        complaints.complaint_transition(actor=carol, complaint=c, target="acknowledged", version=c.version + 5,
                                        records={"empathy_note": "e", "listening_note": "l"})


def test_dave_gets_404_on_carols_complaint_and_grace_403(carol, dave, grace):
    c = f.complaint(carol, f.account(carol))
    with pytest.raises(NotFound):
        complaints.get_complaint(dave, c.pk)
    with pytest.raises(NotFound):
        f.move(dave, c, "acknowledged", {"empathy_note": "e", "listening_note": "l"})
    assert complaints.get_complaint(grace, c.pk) == c
    with pytest.raises(PermissionDenied):
        f.move(grace, c, "acknowledged", {"empathy_note": "e", "listening_note": "l"})


def test_the_owner_and_the_responsible_person_are_notified(carol, bob, erin):
    c = f.complaint(carol, f.account(carol))
    c = f.move(carol, c, "acknowledged", {"empathy_note": "e", "listening_note": "l"})
    c = f.move(bob, c, "remedy_agreed", {**f.PROCEDURE[1][1], "responsible_department_id": erin.department_id,
                                          "responsible_person_id": erin.pk})
    assert Notification.objects.filter(user=erin, kind="service.complaint_assigned").count() == 1
    assert Notification.objects.filter(user=carol, kind="service.complaint_updated").count() == 1  # bob's move, not her own


def test_complaints_show_on_the_accounts_360_timeline_as_the_viewer_may_see(carol, dave, erin):
    acc = f.account(carol)
    c = f.complaint(carol, acc)
    assert [i.kind for i in account_timeline(acc, actor=carol, kinds={"complaint"})] == ["complaint"]
    assert c.number in account_timeline(acc, actor=carol, kinds={"complaint"})[0].title
    assert account_timeline(acc, actor=dave, kinds={"complaint"}) == []


def test_compensation_above_5000_waits_for_managers_approval_and_locks_the_complaint(carol, bob):
    c = f.handle_to(carol, f.complaint(carol, f.account(carol)), "acknowledged")
    records = {**f.PROCEDURE[1][1], "compensation": "8000", "responsible_department_id": carol.department_id,
               "responsible_person_id": carol.pk}
    c = f.move(carol, c, "remedy_agreed", records)
    # Held: the move and the compensation wait; the other records are saved; the complaint is locked.
    assert (c.state, c.compensation, c.apology_note) == ("acknowledged", None, "向您致歉")
    request = approvals.pending_request_for(c)
    assert request is not None and request.payload["compensation"] == "8000.00"
    assert [u.username for u in approvals.approvers_for(request)] == ["bob"]
    with pytest.raises(Conflict) as exc:
        f.move(carol, c, "remedy_agreed", records)
    assert exc.value.code == "complaint.locked"
    with pytest.raises(Conflict):
        c.refresh_from_db()
        complaints.complaint_update(actor=carol, complaint=c, version=c.version, data={"title": "改标题"})
    with pytest.raises(Conflict) as exc:
        complaints.complaint_delete(actor=carol, complaint=c, version=c.version)
    assert exc.value.code == "complaint.locked"
    approvals.approval_decide(actor=bob, request=request, decision="approve", comment="同意")
    c.refresh_from_db()
    assert (c.state, c.compensation) == ("remedy_agreed", Decimal("8000.00"))
    assert not approvals.is_locked(c)
    assert ComplaintEvent.objects.filter(complaint=c, kind="comp_approved", actor=bob).exists()
    f.move(carol, c, "resolved", {"resolution": "已赔偿"})


def test_rejected_compensation_is_cleared_with_the_comment(carol, bob):
    c = f.handle_to(carol, f.complaint(carol, f.account(carol)), "acknowledged")
    c = f.move(carol, c, "remedy_agreed", {**f.PROCEDURE[1][1], "compensation": "9000", "responsible_person_id": carol.pk,
                                           "responsible_department_id": carol.department_id})
    request = approvals.pending_request_for(c)
    assert isinstance(request, ApprovalRequest)
    approvals.approval_decide(actor=bob, request=request, decision="reject", comment="金额过高，改为换货")
    c.refresh_from_db()
    assert (c.state, c.compensation) == ("acknowledged", None)
    event = ComplaintEvent.objects.get(complaint=c, kind="comp_rejected")
    assert event.note == "金额过高，改为换货" and event.actor == bob
    assert not complaints.is_locked(c)


def test_compensation_up_to_5000_needs_no_approval(carol):
    c = f.handle_to(carol, f.complaint(carol, f.account(carol)), "acknowledged")
    c = f.move(carol, c, "remedy_agreed", {**f.PROCEDURE[1][1], "compensation": "5000", "responsible_person_id": carol.pk,
                                           "responsible_department_id": carol.department_id})
    assert (c.state, c.compensation) == ("remedy_agreed", Decimal("5000.00"))
    assert approvals.pending_request_for(c) is None and not ApprovalRequest.objects.exists()


def test_the_timeline_provider_costs_one_query(carol, django_assert_num_queries):
    from guanxi.service.complaint_timeline import complaint_items

    acc = f.account(carol)
    for _ in range(3):
        f.complaint(carol, acc)
    with django_assert_num_queries(1):
        assert len(complaint_items(acc, 10)) == 3


def test_webhooks_fire_on_complaint_moves_and_on_the_compensation_approval(alice, carol, bob, django_capture_on_commit_callbacks):
    from guanxi.dataio import webhooks
    from guanxi.dataio.models import WebhookDelivery

    events = ["complaint.state_changed", "approval.requested", "approval.decided"]
    webhooks.endpoint_create(actor=alice, url="https://hooks.example.com/h", events=events)
    with django_capture_on_commit_callbacks(execute=True):
        c = f.handle_to(carol, f.complaint(carol, f.account(carol)), "acknowledged")
        c = f.move(carol, c, "remedy_agreed", {**f.PROCEDURE[1][1], "compensation": "8000", "responsible_person_id": carol.pk,
                                               "responsible_department_id": carol.department_id})
        approvals.approval_decide(actor=bob, request=approvals.pending_request_for(c), decision="approve", comment="同意")
    sent = list(WebhookDelivery.objects.values_list("event", "payload"))
    assert sorted(e for e, _ in sent) == ["approval.decided", "approval.requested", "complaint.state_changed", "complaint.state_changed"]
    moves = sorted((p["from_state"], p["state"]) for e, p in sent if e == "complaint.state_changed")
    assert moves == [("acknowledged", "remedy_agreed"), ("new", "acknowledged")]
    [decided] = [p for e, p in sent if e == "approval.decided"]
    assert (decided["state"], decided["decision"], decided["decided_by"], decided["object_id"]) == ("approved", "approve", bob.pk, c.pk)
    assert decided["object_type"] == "service.complaint"
