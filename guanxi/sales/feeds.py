"""Per-user iCalendar feeds (issue 5 item 4): a secret URL a calendar app subscribes to.

Only a SHA-256 of the secret is stored (like API tokens); the secret is shown once, when the feed
is created. Creating it again rotates the secret (the old URL stops working); revoking deletes it.
The feed lists the user's own activities from 30 days ago to a year ahead, built with ``ical.py``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record
from guanxi.sales.activities import user_zone
from guanxi.sales.ical import CalendarEvent, build_calendar
from guanxi.sales.models import Activity, CalendarFeed
from guanxi.users.models import User

PAST_DAYS = 30
FUTURE_DAYS = 366
MAX_EVENTS = 5000


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def feed_create(*, actor: User) -> str:
    """Create (or rotate) the actor's feed; returns the secret token, which is not stored."""
    token = secrets.token_urlsafe(32)
    feed, created = CalendarFeed.objects.update_or_create(user=actor, defaults={"token_hash": hash_token(token), "last_used_at": None})
    audit_record(actor=actor, obj=feed, action=Action.CREATE if created else Action.UPDATE, changes={"token": ["…", "…"]})
    return token


@transaction.atomic
def feed_revoke(*, actor: User) -> bool:
    """Delete the actor's feed; True if there was one."""
    feed = CalendarFeed.objects.filter(user=actor).first()
    if feed is None:
        return False
    audit_record(actor=actor, obj=feed, action=Action.DELETE, changes={})
    feed.delete()
    return True


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed of a token (and mark it used), or None."""
    if not token or len(token) > 200:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=hash_token(token), user__is_active=True).first()
    if feed is not None:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed


def feed_calendar(user: User, *, now=None) -> bytes:  # type: ignore[no-untyped-def]
    """The VCALENDAR of the user's own activities from 30 days ago to a year ahead."""
    now = now or timezone.now()
    rows = (Activity.objects.filter(owner_id=user.pk, due_at__gte=now - timedelta(days=PAST_DAYS),
                                    due_at__lt=now + timedelta(days=FUTURE_DAYS))
            .select_related("account").order_by("due_at", "id")[:MAX_EVENTS])
    events = []
    for activity in rows:
        assert activity.due_at is not None
        description = "\n".join(part for part in (
            str(activity.account) if activity.account else "", activity.description, activity.result) if part)
        events.append(CalendarEvent(
            uid=f"activity-{activity.pk}@guanxi",
            start=activity.due_at,
            end=activity.due_at + timedelta(minutes=activity.duration_minutes) if activity.duration_minutes else None,
            summary=f"{activity.get_kind_display()}: {activity.subject}",
            description=description,
            url=None,
            done=activity.done_at is not None,
            alarm_minutes_before=activity.remind_minutes_before if activity.done_at is None else None,
        ))
    return build_calendar(events, name=_("Guanxi activities · %(user)s") % {"user": user}, tz=str(user_zone(user)))
