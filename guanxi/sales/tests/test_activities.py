from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.customers.timeline import account_timeline
from guanxi.sales.activities import (
    account_activities,
    activity_complete,
    activity_create,
    activity_delete,
    activity_reopen,
    activity_update,
    calendar_range,
    my_day,
)
from guanxi.sales.models import Activity
from guanxi.sales.tests import activity_factories as f

pytestmark = pytest.mark.django_db


def _at(y, m, d, h=9, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=UTC)


def test_rep_creates_an_activity_with_a_reminder_computed_from_the_due_time(carol):
    due = _at(2026, 3, 2, 2)
    activity = activity_create(actor=carol, data={"kind": "visit", "subject": "拜访", "due_at": due, "remind_minutes_before": 30})
    assert activity.owner == carol and activity.team is not None
    assert activity.remind_at == due - timedelta(minutes=30)
    changed = activity_update(actor=carol, activity=activity, version=activity.version, data={"due_at": due + timedelta(hours=1)})
    assert changed.remind_at == due + timedelta(minutes=30)


def test_linking_an_opportunity_takes_its_account_and_a_contact_must_belong_to_the_account(carol):
    acct = f.account(carol)
    opp = f.opportunity(carol, acct=acct)
    activity = activity_create(actor=carol, data={"subject": "跟进", "opportunity_id": opp.pk})
    assert activity.account_id == acct.pk
    stranger = f.contact(carol, f.account(carol))
    with pytest.raises(ValidationFailed) as exc:
        activity_create(actor=carol, data={"subject": "电话", "account_id": acct.pk, "contact_id": stranger.pk})
    assert "contact_id" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        activity_create(actor=carol, data={"subject": "电话", "account_id": f.account(carol).pk, "opportunity_id": opp.pk})
    assert "opportunity_id" in exc.value.errors


def test_rep_cannot_link_an_activity_to_another_teams_account(carol, dave):
    with pytest.raises(ValidationFailed) as exc:
        activity_create(actor=carol, data={"subject": "偷看", "account_id": f.account(dave).pk})
    assert "account_id" in exc.value.errors


def test_other_team_cannot_change_an_activity_and_read_only_may_not(carol, dave, grace):
    activity = activity_create(actor=carol, data={"subject": "拜访"})
    with pytest.raises(NotFound):
        activity_update(actor=dave, activity=activity, version=activity.version, data={"subject": "x"})
    with pytest.raises(PermissionDenied):
        activity_complete(actor=grace, activity=activity)


def test_complete_reopen_and_delete_are_versioned(carol):
    activity = activity_create(actor=carol, data={"subject": "拜访"})
    done = activity_complete(actor=carol, activity=activity, version=activity.version, result="签了意向书")
    assert done.done_at is not None and done.result == "签了意向书"
    with pytest.raises(VersionConflict):
        activity_reopen(actor=carol, activity=done, version=activity.version)
    reopened = activity_reopen(actor=carol, activity=done, version=done.version)
    assert reopened.done_at is None
    activity_delete(actor=carol, activity=reopened, version=reopened.version)
    assert not Activity.objects.filter(pk=activity.pk).exists()


def test_my_day_lists_overdue_items_in_the_users_time_zone(carol):
    # carol lives in Asia/Shanghai (UTC+8): 2026-03-02 23:30 UTC is already 3 March, 07:30 there.
    early_tomorrow = activity_create(actor=carol, data={"subject": "今天早上", "due_at": _at(2026, 3, 2, 23, 30)})
    late_yesterday = activity_create(actor=carol, data={"subject": "昨天晚上", "due_at": _at(2026, 3, 2, 15, 0)})
    done_yesterday = activity_create(actor=carol, data={"subject": "昨天做完", "due_at": _at(2026, 3, 2, 1)})
    activity_complete(actor=carol, activity=done_yesterday)
    activity_create(actor=carol, data={"subject": "明天", "due_at": _at(2026, 3, 3, 16, 30)})
    day = my_day(carol, today=date(2026, 3, 3))
    assert [a.pk for a in day.overdue] == [late_yesterday.pk]
    assert [a.pk for a in day.today] == [early_tomorrow.pk]


def test_my_day_shows_the_latest_overdue_items_and_counts_them_all(carol, monkeypatch):
    from guanxi.sales import activities

    monkeypatch.setattr(activities, "OVERDUE_SHOWN", 3)
    made = [activity_create(actor=carol, data={"subject": f"逾期{i}", "due_at": _at(2026, 2, 20 + i)}) for i in range(5)]
    done = activity_create(actor=carol, data={"subject": "做完了", "due_at": _at(2026, 2, 27)})
    activity_complete(actor=carol, activity=done)
    day = my_day(carol, today=date(2026, 3, 3))
    assert [a.pk for a in day.overdue] == [a.pk for a in made[2:]]  # the latest three, oldest first
    assert day.overdue_total == 5  # done items are not overdue
    fewer = my_day(carol, today=date(2026, 2, 23))  # 20, 21 and 22 February are overdue then
    assert [a.pk for a in fewer.overdue] == [a.pk for a in made[:3]] and fewer.overdue_total == 3


def test_calendar_range_shows_a_manager_the_teams_activities_but_not_another_team(bob, carol, dave):
    mine = activity_create(actor=carol, data={"subject": "拜访", "due_at": _at(2026, 3, 5)})
    activity_create(actor=dave, data={"subject": "西区", "due_at": _at(2026, 3, 5)})
    pks = [a.pk for a in calendar_range(bob, _at(2026, 3, 1), _at(2026, 4, 1))]
    assert pks == [mine.pk]


def test_activities_appear_on_the_accounts_360_timeline_in_one_query(carol, django_assert_num_queries):
    acct = f.account(carol)
    activity_create(actor=carol, data={"subject": "第一次拜访", "kind": "visit", "account_id": acct.pk})
    activity_create(actor=carol, data={"subject": "电话回访", "kind": "call", "account_id": acct.pk})
    from guanxi.sales.activities import timeline_items

    with django_assert_num_queries(1):
        items = timeline_items(acct, 10)
    assert {i.kind for i in items} == {"activity"}
    assert any("电话回访" in i.title for i in account_timeline(acct))
    assert account_activities(acct).count() == 2
