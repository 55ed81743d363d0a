from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.utils.translation import gettext_lazy

from guanxi.users.models import Notification
from guanxi.users.notifications import mark_read, notify, preferences_set, register_kind, unread_count

pytestmark = pytest.mark.django_db

register_kind("test.ping", gettext_lazy("Test pings"), in_app=True, email=True)


def test_notification_with_a_key_is_stored_once(carol):
    first = notify(carol, kind="general", title="你好", key="k1")
    again = notify(carol, kind="general", title="你好", key="k1")
    assert first is not None and again is None
    assert Notification.objects.filter(user=carol).count() == 1


def test_notification_is_rendered_in_the_recipients_language(carol, dave):
    # carol reads Chinese, dave English; the same call renders each in their own language
    # (a message already in the zh-Hans catalogue).
    title = gettext_lazy("Cancelled by %(user)s.")
    zh = notify(carol, kind="general", title=title, params={"user": "鲍勃"})
    en = notify(dave, kind="general", title=title, params={"user": "Bob"})
    assert en.title == "Cancelled by Bob."
    assert zh.title == "已由 鲍勃 取消。"


def test_email_follows_the_users_preference(carol, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(carol, kind="test.ping", title="one", body="body", url="/x/")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [carol.email]
    preferences_set(carol, [{"kind": "test.ping", "in_app": False, "email": False}])
    with django_capture_on_commit_callbacks(execute=True):
        notify(carol, kind="test.ping", title="two")
    assert len(mail.outbox) == 1
    assert unread_count(carol) == 1  # the second is not shown in the app


def test_mark_read_touches_only_the_users_own_notifications(carol, dave):
    mine = notify(carol, kind="general", title="a")
    notify(carol, kind="general", title="b")
    theirs = notify(dave, kind="general", title="c")
    assert mark_read(carol, [mine.pk, theirs.pk]) == 1
    assert unread_count(carol) == 1 and unread_count(dave) == 1
    assert mark_read(carol, "all") == 1 and unread_count(carol) == 0


def test_notification_api_is_the_recipients_alone(carol, dave):
    note = notify(carol, kind="general", title="私人")
    client = Client()
    client.force_login(dave)
    assert client.post(f"/api/v1/notifications/{note.pk}/read").status_code == 404
    assert client.get("/api/v1/notifications/").json()["items"] == []
    client.force_login(carol)
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 1}
    assert client.post(f"/api/v1/notifications/{note.pk}/read").json()["read_at"] is not None
    prefs = client.get("/api/v1/notifications/preferences").json()
    assert {"general", "test.ping"} <= {p["kind"] for p in prefs}
    r = client.put("/api/v1/notifications/preferences", [{"kind": "nope", "in_app": True, "email": False}], content_type="application/json")
    assert r.status_code == 422
