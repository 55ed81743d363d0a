"""SLAs in business hours and their escalation (issue 6 item 3; DOMAIN §4 及时处理)."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from guanxi.dataio.jobs import _HANDLERS, _PERIODIC
from guanxi.service import calendars, complaint_admin, sla
from guanxi.service.models import ComplaintEvent, SlaPolicy, WorkingCalendar
from guanxi.service.tests import complaint_factories as f
from guanxi.users.models import Notification

pytestmark = pytest.mark.django_db

WED_10 = "2026-09-30 10:00"  # a Wednesday, Asia/Shanghai


def _filed(actor, acc=None, *, when=WED_10, **data):  # type: ignore[no-untyped-def]
    with freeze_time(f.at(when)):
        return f.complaint(actor, acc, **data)


def test_key_customer_gets_shorter_sla(carol):
    general = _filed(carol, f.account(carol, tier="general"), severity="high")
    key = _filed(carol, f.account(carol, tier="key"), severity="high")
    # high: 4 business hours for anyone, 2 for 主力 customers; lunch 12–13 does not count.
    assert general.respond_by == f.at("2026-09-30 15:00")
    assert key.respond_by == f.at("2026-09-30 12:00")
    assert key.sla_policy is not None and key.sla_policy.value_tier == "key"
    assert general.sla_policy is not None and general.sla_policy.value_tier == ""


def test_sla_counts_business_hours_over_a_holiday(alice, carol):
    calendar = WorkingCalendar.objects.get(is_default=True)
    for day in ("2026-10-01", "2026-10-02"):
        calendars.calendar_day_set(actor=alice, calendar=calendar, day=day, kind="holiday", note="国庆节")
    # medium: one business day (480 min). Wed 17:00–18:00 = 60; Thu, Fri holidays; weekend; Mon 09–12 +
    # 13–17 = the other 420.
    c = _filed(carol, f.account(carol), when="2026-09-30 17:00", severity="medium")
    assert c.respond_by == f.at("2026-10-05 17:00")
    # A 调休 make-up Saturday counts as a working day.
    calendars.calendar_day_set(actor=alice, calendar=calendar, day="2026-10-03", kind="makeup")
    c = _filed(carol, f.account(carol), when="2026-09-30 17:00", severity="medium")
    assert c.respond_by == f.at("2026-10-03 17:00")


def test_sla_state_shows_remaining_business_minutes(carol):
    c = _filed(carol, f.account(carol), severity="high")
    state = sla.sla_state(c, f.at("2026-09-30 14:00"))
    assert state.response is not None and (state.response.remaining_minutes, state.response.breached) == (60, False)
    state = sla.sla_state(c, f.at("2026-09-30 16:00"))
    assert state.response is not None and (state.response.remaining_minutes, state.response.breached) == (-60, True)
    assert state.breached


def test_breach_escalates_exactly_once(carol, bob):
    c = _filed(carol, f.account(carol), severity="high")
    assert sla.escalate_breaches(f.at("2026-09-30 14:59"))["response"] == 0
    first = sla.escalate_breaches(f.at("2026-09-30 16:00"))
    second = sla.escalate_breaches(f.at("2026-09-30 16:05"))
    assert first["response"] == 1 and second["response"] == 0
    assert Notification.objects.filter(user=bob, kind="service.sla_breach").count() == 1
    assert Notification.objects.filter(user=carol, kind="service.sla_breach").count() == 1
    c.refresh_from_db()
    assert c.response_breach_notified_at == f.at("2026-09-30 16:00") and c.owner == carol
    assert ComplaintEvent.objects.filter(complaint=c, kind="escalated").count() == 1


def test_an_answered_complaint_does_not_escalate_its_response(carol, bob):
    c = _filed(carol, f.account(carol), severity="high")
    with freeze_time(f.at("2026-09-30 11:00")):
        f.move(carol, c, "acknowledged", {"empathy_note": "e", "listening_note": "l"})
    assert sla.escalate_breaches(f.at("2026-09-30 16:00"))["response"] == 0


def test_breach_can_reassign_to_the_manager(alice, carol, bob):
    policy = SlaPolicy.objects.get(severity="critical", value_tier="")
    complaint_admin.sla_policy_update(actor=alice, policy=policy, data={"reassign_on_breach": True})
    c = _filed(carol, f.account(carol), severity="critical")
    sla.escalate_breaches(f.at("2026-10-02 09:00"))  # both the response and the resolution targets passed
    c.refresh_from_db()
    assert c.owner == bob
    assert c.response_breach_notified_at and c.resolution_breach_notified_at
    assert ComplaintEvent.objects.filter(complaint=c, kind="reassigned").count() == 1


def test_escalation_runs_every_five_minutes_as_a_job():
    assert _HANDLERS[sla.ESCALATION_JOB] is sla.sla_escalation_job
    assert _PERIODIC[sla.ESCALATION_JOB].total_seconds() == 300


def test_only_administrators_edit_calendars_and_policies(carol, alice):
    from guanxi.core.errors import PermissionDenied, ValidationFailed

    calendar = WorkingCalendar.objects.get(is_default=True)
    with pytest.raises(PermissionDenied):
        calendars.calendar_day_set(actor=carol, calendar=calendar, day="2026-10-01", kind="holiday")
    with pytest.raises(PermissionDenied):
        complaint_admin.sla_policy_update(actor=carol, policy=SlaPolicy.objects.first(), data={"response_minutes": 1})  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        calendars.calendar_update(actor=alice, calendar=calendar, data={"lunch_start": "19:00", "lunch_end": "20:00"})
