"""Notifications: one way for any subsystem to tell a user something (in the app and by email).

    notify(user, kind="sales.activity_reminder", title=gettext_lazy("Reminder: %(subject)s"),
           params={"subject": activity.subject}, url="/...", key=f"reminder:{activity.pk}")

* Texts are rendered in the RECIPIENT's language (``user.language``), not the caller's: pass lazy
  strings (``gettext_lazy``) and their ``params`` separately, and ``notify`` formats them under
  ``translation.override``.
* ``key`` makes it idempotent per user: a second ``notify`` with the same key does nothing and
  returns None (a reminder is sent exactly once even if two runs race: the unique constraint wins).
* Preferences per kind (``NotificationPreference``; defaults from ``register_kind``) decide whether
  it shows in the app and whether it is emailed. Email goes through Django's email backend after
  the transaction commits (console in the demo), so a rolled-back change sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.errors import ValidationFailed
from guanxi.users.models import Notification, NotificationPreference, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: Any  # a lazy string
    in_app: bool = True
    email: bool = False


_KINDS: dict[str, NotificationKind] = {}


def register_kind(code: str, label: Any, *, in_app: bool = True, email: bool = False) -> None:
    """Declare a kind of notification and its default channels (users may change them)."""
    _KINDS[code] = NotificationKind(code, label, in_app, email)


def kinds() -> list[NotificationKind]:
    return [_KINDS[code] for code in sorted(_KINDS)]


register_kind("general", gettext_lazy("General messages"))


def _render(text: Any, params: Mapping[str, Any] | None) -> str:
    rendered = str(text() if callable(text) else text)
    return rendered % dict(params) if params else rendered


def channels(user: User, kind: str) -> tuple[bool, bool]:
    """(in_app, email) for this user and kind."""
    pref = NotificationPreference.objects.filter(user=user, kind=kind).values_list("in_app", "email").first()
    if pref is not None:
        return pref[0], pref[1]
    default = _KINDS.get(kind)
    return (default.in_app, default.email) if default else (True, False)


def notify(
    user: User,
    *,
    kind: str,
    title: Any,
    body: Any = "",
    url: str | None = None,
    key: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Notification | None:
    """Store (and email, per preference) one notification for ``user``; None if ``key`` was already
    used for this user or the user is inactive."""
    if not user.is_active:
        return None
    in_app, email = channels(user, kind)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _render(title, params)[:200]
        text = _render(body, params) if body else ""
    notification = Notification(user=user, kind=kind, title=subject, body=text[:5000], url=(url or "")[:500],
                                key=key[:200] if key else None, in_app=in_app)
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        if key is None:
            raise
        return None  # already sent under this key
    if email and user.email:
        transaction.on_commit(partial(_send_email, notification.pk), robust=True)
    return notification


def _send_email(notification_id: int) -> None:
    notification = Notification.objects.select_related("user").filter(pk=notification_id, emailed_at__isnull=True).first()
    if notification is None:
        return
    body = notification.body
    if notification.url:
        base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
        link = notification.url if "://" in notification.url else f"{base}{notification.url}"
        body = f"{body}\n\n{link}".strip()
    send_mail(notification.title, body, settings.DEFAULT_FROM_EMAIL, [notification.user.email])
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's own in-app notifications (nobody else's, administrators included)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user_id=user.pk, in_app=True)


def unread_count(user: Any) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


def mark_read(user: User, ids: Iterable[int] | str) -> int:
    """Mark some (a list of ids) or all (``"all"``) of the user's notifications read; returns how
    many changed. Ids of other users' notifications are ignored (they are not the user's to read)."""
    qs = notifications_for(user).filter(read_at__isnull=True)
    if ids != "all":
        qs = qs.filter(pk__in=[i for i in ids if isinstance(i, int)])
    return qs.update(read_at=timezone.now())


def preferences(user: User) -> list[dict[str, Any]]:
    """Every registered kind with this user's effective channels."""
    stored = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    result = []
    for kind in kinds():
        pref = stored.get(kind.code)
        result.append({
            "kind": kind.code, "label": str(kind.label),
            "in_app": pref.in_app if pref else kind.in_app, "email": pref.email if pref else kind.email,
        })
    return result


@transaction.atomic
def preferences_set(user: User, changes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = list(changes)
    unknown = sorted({str(r.get("kind")) for r in rows if r.get("kind") not in _KINDS})
    if unknown:
        raise ValidationFailed({"kind": [_("Unknown notification kind: %(kinds)s.") % {"kinds": ", ".join(unknown)}]})
    for row in rows:
        NotificationPreference.objects.update_or_create(
            user=user, kind=row["kind"], defaults={"in_app": bool(row["in_app"]), "email": bool(row["email"])})
    return preferences(user)
