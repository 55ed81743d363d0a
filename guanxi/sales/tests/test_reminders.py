from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from guanxi.dataio.jobs import registered_kinds
from guanxi.sales.activities import activity_complete, activity_create, activity_update
from guanxi.sales.reminders import send_due_reminders
from guanxi.sales.tests import activity_factories  # noqa: F401  (registers the job handlers)
from guanxi.users.models import Notification

pytestmark = pytest.mark.django_db


def test_reminder_is_sent_exactly_once(carol, django_capture_on_commit_callbacks):
    now = timezone.now()
    activity = activity_create(actor=carol, data={"subject": "拜访王总", "due_at": now + timedelta(minutes=10), "remind_minutes_before": 15})
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders(now=now) == 1
        assert send_due_reminders(now=now + timedelta(minutes=1)) == 0
    notes = Notification.objects.filter(user=carol, kind="sales.activity_reminder")
    assert notes.count() == 1 and "拜访王总" in notes.get().title
    assert len(mail.outbox) == 1
    activity.refresh_from_db()
    assert activity.reminded_at is not None


def test_reminder_is_not_sent_early_nor_for_done_activities(carol):
    now = timezone.now()
    later = activity_create(actor=carol, data={"subject": "明天", "due_at": now + timedelta(days=1), "remind_minutes_before": 15})
    done = activity_create(actor=carol, data={"subject": "做完了", "due_at": now, "remind_minutes_before": 5})
    activity_complete(actor=carol, activity=done)
    assert send_due_reminders(now=now) == 0
    assert send_due_reminders(now=later.remind_at) == 1


def test_moving_the_due_time_arms_the_reminder_again(carol):
    now = timezone.now()
    activity = activity_create(actor=carol, data={"subject": "电话", "due_at": now, "remind_minutes_before": 0})
    assert send_due_reminders(now=now) == 1
    activity.refresh_from_db()
    moved = activity_update(actor=carol, activity=activity, version=activity.version, data={"due_at": now + timedelta(hours=2)})
    assert moved.reminded_at is None
    assert send_due_reminders(now=now + timedelta(hours=2)) == 1


def test_the_reminder_job_runs_every_minute():
    from guanxi.dataio.jobs import _PERIODIC

    assert "sales.send_reminders" in registered_kinds()
    assert _PERIODIC["sales.send_reminders"] == timedelta(minutes=1)
