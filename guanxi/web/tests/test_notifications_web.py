"""The notification centre: the bell's unread count, the list, mark read, preferences."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.users.models import NotificationPreference
from guanxi.users.notifications import notify, unread_count

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_bell_shows_unread_count_and_mark_all_read_clears_it(client, carol):
    for i in range(3):
        notify(carol, kind="general", title=f"提醒{i}", url="/sales/my-day/")
    c = _login(client, carol)
    page = c.get(reverse("web:home")).content.decode()
    assert 'data-testid="notification-bell"' in page and reverse("web:notifications_bell") in page  # loaded by htmx
    bell = c.get(reverse("web:notifications_bell"), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="unread-count">3<' in bell
    assert c.post(reverse("web:notifications_read"), {"all": "1"}).status_code == 302
    assert unread_count(carol) == 0
    assert 'data-testid="unread-count"' not in c.get(reverse("web:notifications_bell")).content.decode()


def test_list_marks_one_read_and_opens_only_local_links(client, carol, dave):
    mine = notify(carol, kind="general", title="卡罗的通知", url="/sales/my-day/")
    outside = notify(carol, kind="general", title="外链", url="https://evil.example/")
    theirs = notify(dave, kind="general", title="Dave only")
    c = _login(client, carol)
    html = c.get(reverse("web:notifications")).content.decode()
    assert "卡罗的通知" in html and "Dave only" not in html
    r = c.post(reverse("web:notifications_read"), {"id": mine.pk, "open": "1"})
    assert r["Location"] == "/sales/my-day/"
    r = c.post(reverse("web:notifications_read"), {"id": outside.pk, "open": "1"})
    assert r["Location"] == reverse("web:notifications")
    c.post(reverse("web:notifications_read"), {"id": theirs.pk})  # not hers: ignored
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert unread_count(carol) == 0


def test_preferences_are_saved_per_kind(client, carol):
    c = _login(client, carol)
    assert c.post(reverse("web:notification_preferences"), {"in_app:general": "on", "email:general": "on"}).status_code == 302
    pref = NotificationPreference.objects.get(user=carol, kind="general")
    assert (pref.in_app, pref.email) == (True, True)


def test_writes_need_post(client, carol):
    c = _login(client, carol)
    assert c.get(reverse("web:notifications_read")).status_code == 405
    assert c.get(reverse("web:notification_preferences")).status_code == 405
