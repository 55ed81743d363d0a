"""Follow-up visits (回访, issue 6 item 7): rules schedule them once, owners complete them, the
overdue list, notifications when due, and the outcome on the 360° timeline."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.customers.orders import order_create
from guanxi.customers.timeline import account_timeline
from guanxi.service import followups
from guanxi.service.models import FollowUpOutcome, FollowUpTrigger, FollowUpVisit
from guanxi.service.tests import survey_factories as f
from guanxi.users.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(org):
    return org.users


@pytest.fixture
def acc(users):
    return f.account(users["carol"], tier="key")


def _rule(users, trigger, days, tier=""):
    return followups.rule_create(actor=users["alice"], data={"trigger": trigger, "days_after": days, "value_tier": tier})


def test_only_admins_manage_rules(users):
    for name in ("bob", "carol", "erin", "grace"):
        with pytest.raises(PermissionDenied):
            followups.rule_create(actor=users[name], data={"trigger": "order_delivered", "days_after": 3})
    with pytest.raises(ValidationFailed):
        followups.rule_create(actor=users["alice"], data={"trigger": "whenever", "days_after": -1})


def test_followup_scheduled_once_after_complaint_closes(users, acc):
    _rule(users, FollowUpTrigger.COMPLAINT_CLOSED, 3)
    _rule(users, FollowUpTrigger.COMPLAINT_CLOSED, 2, tier="key")  # the key-tier rule wins
    closed = timezone.now()
    complaint = f.complaint(users["erin"], acc, closed_at=closed)
    visit = followups.schedule_for_complaint(complaint)
    again = followups.schedule_for_complaint(complaint)
    assert again == visit and FollowUpVisit.objects.count() == 1
    assert visit.due_at == closed + timedelta(days=2)
    assert visit.owner == users["carol"]  # the account's owner
    assert (visit.trigger, visit.source_id) == (FollowUpTrigger.COMPLAINT_CLOSED, complaint.pk)


def test_complaint_follow_up_at_wins_and_no_rule_means_no_visit(users, acc):
    assert followups.schedule_for_complaint(f.complaint(users["erin"], acc, closed_at=timezone.now())) is None
    when = timezone.now() + timedelta(days=10)
    visit = followups.schedule_for_complaint(f.complaint(users["erin"], acc, follow_up_at=when))
    assert visit.due_at == when and visit.rule is None
    assert followups.schedule_for_complaint(f.complaint(users["erin"], None, follow_up_at=when)) is None


def test_order_delivered_and_key_account_event_schedule_once(users, acc):
    _rule(users, FollowUpTrigger.ORDER_DELIVERED, 5)
    order = order_create(actor=users["carol"], account=acc, data={"order_date": date(2026, 3, 1), "amount": Decimal("10")})
    delivered = timezone.now()
    visit = followups.schedule_for_order_delivered(order, delivered_at=delivered)
    assert visit.due_at == delivered + timedelta(days=5)
    assert followups.schedule_for_order_delivered(order) == visit
    event_at = timezone.now()
    ka = followups.schedule_for_key_account_event(acc, 77, event_at)
    assert ka.due_at == event_at + timedelta(days=7)
    assert followups.schedule_for_key_account_event(acc, 77, event_at) == ka
    assert FollowUpVisit.objects.count() == 2


_events = itertools.count(1000)


def _visit(users, acc, due_in_days=-1):
    """A visit due ``due_in_days`` from now (a key-account event a week before that)."""
    return followups.schedule_for_key_account_event(acc, next(_events), timezone.now() + timedelta(days=due_in_days - 7))


def test_overdue_followups_listed(users, acc):
    late = _visit(users, acc, due_in_days=-2)
    soon = _visit(users, acc, due_in_days=2)
    dave_acc = f.account(users["dave"])
    followups.schedule_for_key_account_event(dave_acc, 5, timezone.now() - timedelta(days=9))
    assert list(followups.overdue(users["carol"])) == [late]
    assert list(followups.due_soon(users["carol"])) == [soon]
    assert len(followups.overdue(users["alice"])) == 2
    assert list(followups.overdue(users["bob"])) == [late]  # his subordinate's, not dave's


def test_followup_complete_records_outcome_once_and_audits(users, acc):
    visit = _visit(users, acc)
    with pytest.raises(NotFound):
        followups.followup_complete(actor=users["dave"], visit=visit, outcome="satisfied", satisfaction=5, notes="", version=visit.version)
    with pytest.raises(PermissionDenied):
        followups.followup_complete(actor=users["grace"], visit=visit, outcome="satisfied", satisfaction=5, notes="", version=visit.version)
    with pytest.raises(ValidationFailed):
        followups.followup_complete(actor=users["carol"], visit=visit, outcome="happy", satisfaction=6, notes="", version=visit.version)
    with pytest.raises(VersionConflict):
        followups.followup_complete(actor=users["carol"], visit=visit, outcome="satisfied", satisfaction=5, notes="", version=99)
    done = followups.followup_complete(actor=users["carol"], visit=visit, outcome=FollowUpOutcome.SATISFIED, satisfaction=4,
                                       notes="客户很满意", version=visit.version)
    assert done.done_at is not None and done.satisfaction == 4
    with pytest.raises(Conflict):
        followups.followup_complete(actor=users["carol"], visit=done, outcome="neutral", satisfaction=3, notes="", version=done.version)
    from guanxi.audit.models import AuditEntry

    assert AuditEntry.objects.filter(object_id=done.pk, action="update", changes__has_key="outcome").exists()


def test_followup_outcome_on_360_timeline(users, acc, django_assert_max_num_queries):
    visit = _visit(users, acc)
    followups.followup_complete(actor=users["carol"], visit=visit, outcome=FollowUpOutcome.DISSATISFIED, satisfaction=2,
                                notes="送货太慢", version=visit.version)
    with django_assert_max_num_queries(1):
        from guanxi.service.survey_timeline import follow_up_items

        items = follow_up_items(acc, 10, users["carol"])
    assert len(items) == 1 and "送货太慢" in items[0].detail and "2/5" in items[0].detail
    kinds = {i.kind for i in account_timeline(acc, actor=users["carol"])}
    assert "follow_up" in kinds
    assert not [i for i in account_timeline(acc, actor=users["dave"]) if i.kind == "follow_up"]


def test_owner_is_notified_once_when_a_visit_is_due(users, acc):
    visit = _visit(users, acc, due_in_days=-1)
    _visit(users, acc, due_in_days=3)  # not due yet
    assert followups.notify_due_visits() == 1
    assert followups.notify_due_visits() == 0
    note = Notification.objects.get(kind=followups.DUE_KIND)
    assert note.user == users["carol"] and note.key == f"{followups.DUE_KIND}:{visit.pk}"
