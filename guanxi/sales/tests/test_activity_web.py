"""Activity pages: my day, create / edit / complete, calendar and its feed (issue 5 item 4)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.sales.activities import activity_create
from guanxi.sales.models import Activity, CalendarFeed
from guanxi.sales.tests import activity_factories as f

pytestmark = pytest.mark.django_db

def _client(client, user):
    client.force_login(user)
    return client


def test_my_day_lists_overdue_and_today_in_users_zone(client, carol):
    # Give carol a zone whose date differs from Shanghai's right now (the personas' default zone).
    shanghai_now = timezone.now().astimezone(ZoneInfo("Asia/Shanghai"))
    zone_name = "Etc/GMT+12" if shanghai_now.hour < 20 else "Pacific/Kiritimati"
    zone = ZoneInfo(zone_name)
    carol.timezone = zone_name
    carol.save(update_fields=["timezone"])
    today = timezone.now().astimezone(zone).date()
    assert today != shanghai_now.date()
    for subject, day, hour in (("今天凌晨的电话", today, time(0, 30)), ("昨晚的拜访", today - timedelta(days=1), time(23, 0)),
                               ("明天的会议", today + timedelta(days=1), time(0, 30))):
        activity_create(actor=carol, data={"kind": "call", "subject": subject, "due_at": datetime.combine(day, hour, tzinfo=zone)})
    r = _client(client, carol).get(reverse("sales:my_day"))
    assert r.status_code == 200
    assert [a.subject for a in r.context["day"].overdue] == ["昨晚的拜访"]
    assert [a.subject for a in r.context["day"].today] == ["今天凌晨的电话"]
    html = r.content.decode()
    assert "00:30" in html  # shown on carol's wall clock
    assert "明天的会议" not in html


def test_my_day_page_says_when_only_the_latest_overdue_items_are_shown(client, carol, monkeypatch):
    from guanxi.sales import activities

    monkeypatch.setattr(activities, "OVERDUE_SHOWN", 2)
    for i in range(3):
        activity_create(actor=carol, data={"kind": "call", "subject": f"逾期电话{i}", "due_at": timezone.now() - timedelta(days=3 - i)})
    html = _client(client, carol).get(reverse("sales:my_day")).content.decode()
    assert 'data-testid="overdue-total">(3)' in html and 'data-testid="overdue-capped"' in html
    assert "逾期电话0" not in html and "逾期电话1" in html and "逾期电话2" in html
    body = _client(client, carol).get("/api/v1/sales/my-day").json()  # the API says the same
    assert body["overdue_total"] == 3 and [a["subject"] for a in body["overdue"]] == ["逾期电话1", "逾期电话2"]


def test_rep_creates_activity_prefilled_from_an_opportunity_and_completes_it(client, carol):
    opp = f.opportunity(carol)
    c = _client(client, carol)
    page = c.get(reverse("sales:activity_create") + f"?opportunity={opp.pk}")
    assert page.status_code == 200
    assert page.context["form"].initial["account_id"] == opp.account_id
    r = c.post(reverse("sales:activity_create"), {
        "kind": "visit", "subject": "上门拜访", "due_at": "2026-05-01T09:30", "duration_minutes": "60",
        "account_id": opp.account_id, "opportunity_id": opp.pk,
    })
    activity = Activity.objects.get(subject="上门拜访")
    assert r.status_code == 302 and r["Location"] == reverse("sales:activity_detail", kwargs={"pk": activity.pk})
    assert activity.due_at == datetime(2026, 5, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert activity.opportunity_id == opp.pk
    r = c.post(reverse("sales:activity_complete", kwargs={"pk": activity.pk}), {"version": activity.version, "result": "客户同意试用"})
    assert r.status_code == 302
    activity.refresh_from_db()
    assert activity.done_at is not None and activity.result == "客户同意试用"


def test_activity_form_shows_errors_next_to_fields(client, carol):
    r = _client(client, carol).post(reverse("sales:activity_create"), {"kind": "call", "subject": "", "duration_minutes": "30"})
    assert r.status_code == 200
    assert r.context["form"].errors["subject"]
    assert 'role="alert"' in r.content.decode()
    assert not Activity.objects.exists()


def test_prefill_ignores_records_the_user_may_not_see(client, carol, dave):
    hidden = f.opportunity(dave)
    r = _client(client, carol).get(reverse("sales:activity_create") + f"?opportunity={hidden.pk}&account={hidden.account_id}")
    assert r.status_code == 200
    assert "opportunity_id" not in r.context["form"].initial and "account_id" not in r.context["form"].initial
    assert hidden.account.name not in r.content.decode()


def test_other_team_gets_404_and_read_only_gets_403_on_activities(client, carol, dave, grace):
    activity = activity_create(actor=carol, data={"kind": "task", "subject": "卡罗的任务"})
    detail = reverse("sales:activity_detail", kwargs={"pk": activity.pk})
    complete = reverse("sales:activity_complete", kwargs={"pk": activity.pk})
    assert _client(client, dave).get(detail).status_code == 404
    assert client.post(complete).status_code == 404
    assert _client(client, grace).get(detail).status_code == 200
    assert client.get(reverse("sales:activity_edit", kwargs={"pk": activity.pk})).status_code == 403
    assert client.post(complete).status_code == 403
    assert client.post(reverse("sales:activity_create"), {"kind": "task", "subject": "只读"}).status_code == 403
    activity.refresh_from_db()
    assert activity.done_at is None
    assert client.get(complete).status_code == 405  # writes are POST only


def test_calendar_month_shows_activities_and_feed_secret_is_shown_once(client, carol):
    activity_create(actor=carol, data={"kind": "meeting", "subject": "季度评审", "due_at": "2026-04-15T14:00"})
    c = _client(client, carol)
    r = c.get(reverse("sales:calendar") + "?date=2026-04-01")
    assert r.status_code == 200 and "季度评审" in r.content.decode()
    assert "季度评审" in c.get(reverse("sales:calendar") + "?view=week&date=2026-04-15").content.decode()
    assert "季度评审" not in c.get(reverse("sales:calendar") + "?view=week&date=2026-04-22").content.decode()
    r = c.post(reverse("sales:calendar_feed"))
    url = r.context["feed_url"]
    assert url and url in r.content.decode()
    assert client.get(url).status_code == 200  # the feed answers without a session too
    assert url not in c.get(reverse("sales:calendar")).content.decode()
    c.post(reverse("sales:calendar_feed_revoke"))
    assert not CalendarFeed.objects.filter(user=carol).exists()
    client.logout()
    assert client.get(url).status_code == 404
