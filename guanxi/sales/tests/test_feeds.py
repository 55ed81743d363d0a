from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from guanxi.sales.activities import activity_create
from guanxi.sales.feeds import feed_create, feed_revoke
from guanxi.sales.models import CalendarFeed

pytestmark = pytest.mark.django_db


def _url(token: str) -> str:
    return f"/calendar/{token}.ics"


def test_calendar_feed_parses_and_has_the_users_activities_only(carol, dave):
    soon = timezone.now() + timedelta(days=2)
    activity_create(actor=carol, data={"kind": "visit", "subject": "拜访王总", "due_at": soon, "remind_minutes_before": 30})
    activity_create(actor=dave, data={"kind": "call", "subject": "Dave's call", "due_at": soon})
    token = feed_create(actor=carol)
    assert CalendarFeed.objects.get(user=carol).token_hash != token  # only the hash is stored
    r = Client().get(_url(token))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(r.content).walk("VEVENT")]
    assert len(summaries) == 1 and "拜访王总" in summaries[0]
    assert CalendarFeed.objects.get(user=carol).last_used_at is not None


def test_revoked_calendar_feed_returns_404(carol):
    token = feed_create(actor=carol)
    feed_revoke(actor=carol)
    assert Client().get(_url(token)).status_code == 404
    assert Client().get(_url("not-a-token")).status_code == 404


def test_creating_the_feed_again_rotates_the_secret(carol):
    old = feed_create(actor=carol)
    new = feed_create(actor=carol)
    assert Client().get(_url(old)).status_code == 404
    assert Client().get(_url(new)).status_code == 200
