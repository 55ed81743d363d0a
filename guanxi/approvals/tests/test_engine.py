"""The approvals engine (issue 6 item 8), as the people who use it: carol asks, erin / bob / helen
approve, alice administers the flows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType

from guanxi.approvals import services
from guanxi.approvals.models import ApprovalRequest
from guanxi.audit.models import AuditEntry
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.users.models import Notification

pytestmark = pytest.mark.django_db

ABOVE_5000 = {"field": "compensation", "op": "gt", "value": "5000"}


def _submit(carol, account, action, **payload):
    return services.approval_submit(actor=carol, action=action, obj=account, payload=payload or {"compensation": "8000"})


def _inbox(user):
    return list(services.inbox(user).values_list("pk", flat=True))


def test_no_flow_means_no_approval_needed(carol, account, action):
    assert services.flow_for(action, {"compensation": "8000"}) is None
    assert not services.needs_approval(action, {"compensation": "8000"})
    assert _submit(carol, account, action) is None
    assert not services.is_locked(account)
    assert ApprovalRequest.objects.count() == 0


def test_condition_compensation_above_5000(carol, account, action, make_flow):
    big = make_flow(condition=ABOVE_5000, name="大额赔偿")
    assert not services.needs_approval(action, {"compensation": "5000.00"})
    assert services.needs_approval(action, {"compensation": "5000.01"})
    assert not services.needs_approval(action, {"discount": "30"})  # no compensation: this flow does not apply
    assert _submit(carol, account, action, compensation="4999") is None
    request = _submit(carol, account, action, compensation=8000)
    assert request is not None and request.flow == big and request.payload == {"compensation": "8000"}


def test_first_matching_flow_by_priority_applies(action, make_flow):
    everything = make_flow(priority=9, name="兜底")
    big = make_flow(condition={"all": [ABOVE_5000, {"field": "region", "op": "eq", "value": "华东"}]}, priority=1)
    assert services.flow_for(action, {"compensation": "9000", "region": "华东"}) == big
    assert services.flow_for(action, {"compensation": "9000", "region": "华北"}) == everything


def test_sequential_steps_role_then_manager(carol, bob, erin, account, action, make_flow, calls):
    make_flow({"approver_kind": "role", "role_code": "service_agent"}, {"approver_kind": "manager"})
    request = _submit(carol, account, action)
    assert _inbox(erin) == [request.pk] and _inbox(bob) == []
    assert Notification.objects.filter(user=erin, kind=services.REQUESTED_KIND).count() == 1
    request = services.approval_decide(actor=erin, request=request, decision="approve")
    assert (request.state, request.step_position) == ("pending", 2)
    assert _inbox(erin) == [] and _inbox(bob) == [request.pk]
    assert calls == []
    request = services.approval_decide(actor=bob, request=request, decision="approve", comment="同意")
    assert request.state == "approved" and request.decided_at is not None
    assert calls == [("approved", request.pk)]
    assert Notification.objects.filter(user=carol, kind=services.DECIDED_KIND).count() == 2


def test_any_of_step_finishes_with_one_approval(carol, erin, ivy, account, action, make_flow, calls):
    make_flow({"approver_kind": "role", "role_code": "service_agent", "rule": "any"})
    request = _submit(carol, account, action)
    assert {u.username for u in services.approvers_for(request)} == {"erin", "ivy"}
    assert _inbox(erin) == _inbox(ivy) == [request.pk]
    services.approval_decide(actor=ivy, request=request, decision="approve")
    assert ApprovalRequest.objects.get(pk=request.pk).state == "approved"
    assert _inbox(erin) == [] and calls == [("approved", request.pk)]


def test_all_rule_needs_every_approver(carol, erin, ivy, account, action, make_flow, calls):
    make_flow({"approver_kind": "role", "role_code": "service_agent", "rule": "all"})
    request = _submit(carol, account, action)
    request = services.approval_decide(actor=erin, request=request, decision="approve")
    assert request.state == "pending" and calls == []
    assert [u.username for u in services.approvers_for(request)] == ["ivy"]
    assert _inbox(erin) == [] and _inbox(ivy) == [request.pk]
    with pytest.raises(PermissionDenied):  # she has decided: she may still read it, not decide twice
        services.approval_decide(actor=erin, request=request, decision="approve")
    request = services.approval_decide(actor=ivy, request=request, decision="approve")
    assert request.state == "approved" and calls == [("approved", request.pk)]


def test_manager_chain_two_levels(carol, bob, helen, account, action, make_flow, calls):
    make_flow({"approver_kind": "manager_chain", "levels": 2, "rule": "all"})
    request = _submit(carol, account, action)
    assert [u.username for u in services.approvers_for(request)] == ["bob"]
    assert _inbox(bob) == [request.pk] and _inbox(helen) == []
    request = services.approval_decide(actor=bob, request=request, decision="approve")
    assert request.state == "pending"
    assert _inbox(bob) == [] and _inbox(helen) == [request.pk]
    request = services.approval_decide(actor=helen, request=request, decision="approve")
    assert request.state == "approved" and calls == [("approved", request.pk)]


def test_manager_chain_any_lets_either_level_decide(carol, bob, helen, account, action, make_flow):
    make_flow({"approver_kind": "manager_chain", "levels": 2, "rule": "any"})
    request = _submit(carol, account, action)
    assert _inbox(bob) == _inbox(helen) == [request.pk]
    assert services.approval_decide(actor=helen, request=request, decision="approve").state == "approved"


def test_return_lets_requester_resubmit(carol, bob, account, action, make_flow, calls):
    make_flow()
    request = _submit(carol, account, action)
    with pytest.raises(ValidationFailed) as exc:
        services.approval_decide(actor=bob, request=request, decision="return", comment="  ")
    assert "comment" in exc.value.errors
    request = services.approval_decide(actor=bob, request=request, decision="return", comment="金额请附上依据")
    assert request.state == "returned" and calls == [("returned", request.pk)]
    assert not services.is_locked(account)
    again = _submit(carol, account, action, compensation="6000")
    assert again.pk != request.pk and again.state == "pending" and _inbox(bob) == [again.pk]
    assert services.pending_request_for(account) == again


def test_reject_calls_the_registered_callback(carol, bob, account, action, make_flow, calls):
    make_flow()
    request = _submit(carol, account, action)
    with pytest.raises(ValidationFailed):
        services.approval_decide(actor=bob, request=request, decision="reject")
    request = services.approval_decide(actor=bob, request=request, decision="reject", comment="超出权限")
    assert request.state == "rejected" and calls == [("rejected", request.pk)]
    note = Notification.objects.get(user=carol, kind=services.DECIDED_KIND)
    assert "超出权限" in note.body


def test_only_current_approvers_may_decide(carol, bob, dave, erin, alice, account, action, make_flow):
    make_flow({"approver_kind": "role", "role_code": "service_agent"}, {"approver_kind": "manager"})
    request = _submit(carol, account, action)
    with pytest.raises(NotFound):  # dave has nothing to do with it: he must not learn it exists
        services.approval_decide(actor=dave, request=request, decision="approve")
    with pytest.raises(NotFound):  # bob's step has not started
        services.approval_decide(actor=bob, request=request, decision="approve")
    for person in (carol, alice):  # they may read it, not decide it
        with pytest.raises(PermissionDenied):
            services.approval_decide(actor=person, request=request, decision="approve")
    with pytest.raises(NotFound):
        services.get_request(dave, request.pk)
    services.approval_decide(actor=erin, request=request, decision="approve")
    with pytest.raises(PermissionDenied):
        services.approval_decide(actor=erin, request=request, decision="approve")
    assert services.approval_decide(actor=bob, request=request, decision="approve").state == "approved"
    with pytest.raises(Conflict):
        services.approval_decide(actor=bob, request=request, decision="approve")


def test_the_requester_never_approves_their_own_request(bob, account, action, make_flow, carol):
    make_flow({"approver_kind": "role", "role_code": "sales_manager"})
    with pytest.raises(Conflict) as exc:  # bob is the only sales manager
        services.approval_submit(actor=bob, action=action, obj=account, payload={"compensation": "9000"})
    assert exc.value.code == "approval.no_approver"
    assert not services.is_locked(account)


def test_object_is_locked_while_pending(carol, bob, account, action, make_flow):
    make_flow()
    assert not services.is_locked(account)
    request = _submit(carol, account, action)
    assert services.is_locked(account) and services.pending_request_for(account) == request
    with pytest.raises(Conflict) as exc:
        _submit(carol, account, action)
    assert exc.value.status == 409 and exc.value.code == "approval.pending"
    services.approval_cancel(actor=carol, request=request)
    assert not services.is_locked(account)


def test_only_the_requester_or_an_administrator_cancels(carol, bob, alice, account, action, make_flow):
    make_flow()
    request = _submit(carol, account, action)
    with pytest.raises(PermissionDenied):
        services.approval_cancel(actor=bob, request=request)
    assert services.approval_cancel(actor=alice, request=request).state == "cancelled"


def test_reminder_sent_once_per_window(carol, bob, account, action, make_flow):
    make_flow({"approver_kind": "manager", "remind_after_hours": 24})
    request = _submit(carol, account, action)
    start = request.step_started_at

    def reminders():
        return Notification.objects.filter(user=bob, kind=services.REMINDER_KIND).count()

    assert services.send_reminders(now=start + timedelta(hours=23)) == 0
    assert services.send_reminders(now=start + timedelta(hours=25)) == 1
    assert services.send_reminders(now=start + timedelta(hours=25)) == 0
    assert services.send_reminders(now=start + timedelta(hours=47)) == 0
    assert reminders() == 1
    assert services.send_reminders(now=start + timedelta(hours=49)) == 1
    assert services.send_reminders(now=start + timedelta(hours=50)) == 0
    assert reminders() == 2
    services.approval_decide(actor=bob, request=request, decision="approve")
    assert services.send_reminders(now=start + timedelta(hours=200)) == 0


def test_decisions_are_audited(carol, bob, erin, account, action, make_flow):
    make_flow({"approver_kind": "role", "role_code": "service_agent"}, {"approver_kind": "manager"})
    request = _submit(carol, account, action)
    services.approval_decide(actor=erin, request=request, decision="approve", comment="属实")
    services.approval_decide(actor=bob, request=request, decision="reject", comment="请走另一流程")
    entries = list(AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(ApprovalRequest),
                                             object_id=request.pk).order_by("at", "id"))
    assert [(e.actor.username, e.action) for e in entries] == [("carol", "create"), ("erin", "update"), ("bob", "update")]
    assert entries[1].changes["decision"] == [None, "approve"] and entries[1].changes["step_position"] == [1, 2]
    assert entries[2].changes["comment"] == [None, "请走另一流程"] and entries[2].changes["state"] == ["pending", "rejected"]
    assert [(d.approver.username, d.decision) for d in request.decisions.all()] == [("erin", "approve"), ("bob", "reject")]


def test_a_failing_callback_undoes_the_decision(carol, bob, account, action, make_flow):
    from guanxi.approvals.registry import register_action

    def refuse(request):
        raise Conflict(code="test.refused")

    register_action(action, "x", fields={"compensation": "money"}, on_approved=refuse)
    make_flow()
    request = _submit(carol, account, action)
    with pytest.raises(Conflict):
        services.approval_decide(actor=bob, request=request, decision="approve")
    request.refresh_from_db()
    assert request.state == "pending" and request.decisions.count() == 0


def test_only_administrators_manage_flows(carol, action, make_flow):
    with pytest.raises(PermissionDenied):
        services.flow_create(actor=carol, action=action, name="x", steps=[{"approver_kind": "manager"}])


def test_flow_conditions_and_steps_are_validated(alice, action):
    for condition in ({"field": "colour", "op": "gt", "value": "1"}, {"field": "compensation", "op": "between", "value": "1"},
                      {"field": "compensation", "op": "gt", "value": "lots"}, {"field": "region", "op": "gt", "value": "华东"}):
        with pytest.raises(ValidationFailed):
            services.flow_create(actor=alice, action=action, name="x", condition=condition, steps=[{"approver_kind": "manager"}])
    with pytest.raises(ValidationFailed):
        services.flow_create(actor=alice, action=action, name="x", steps=[{"approver_kind": "role", "role_code": "pope"}])
    with pytest.raises(ValidationFailed):
        services.flow_create(actor=alice, action=action, name="x", steps=[])


def test_steps_are_added_reordered_and_removed_but_never_the_last(alice, make_flow):
    flow = make_flow({"approver_kind": "manager"})
    second = services.step_add(actor=alice, flow=flow, data={"approver_kind": "role", "role_code": "admin"})
    first = flow.steps.get(position=1)
    services.step_reorder(actor=alice, flow=flow, step_ids=[second.pk, first.pk])
    assert list(flow.steps.order_by("position").values_list("approver_kind", flat=True)) == ["role", "manager"]
    services.step_remove(actor=alice, flow=flow, step=second)
    assert list(flow.steps.values_list("position", flat=True)) == [1]
    with pytest.raises(ValidationFailed):
        services.step_remove(actor=alice, flow=flow, step=first)


def test_steps_of_a_flow_with_pending_requests_do_not_change(alice, carol, account, action, make_flow):
    flow = make_flow()
    _submit(carol, account, action)
    with pytest.raises(Conflict):
        services.step_add(actor=alice, flow=flow, data={"approver_kind": "role", "role_code": "admin"})
    with pytest.raises(Conflict):
        services.flow_delete(actor=alice, flow=flow)
