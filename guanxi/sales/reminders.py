"""Activity reminders (issue 5 item 4): a periodic job (every minute, started by the scheduler tick)
sends each due reminder exactly once, in the app and by email per the owner's preferences.

Exactly once: each activity is claimed with a conditional UPDATE (``reminded_at IS NULL``) in the
same transaction as its notification, and the notification carries a dedupe key; two overlapping
runs cannot both send, and a failed send rolls the claim back so the next run tries again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from guanxi.dataio.jobs import JobContext, job_handler
from guanxi.sales.activities import user_zone
from guanxi.sales.models import Activity, ActivityKind
from guanxi.users.notifications import notify, register_kind

REMINDER_KIND = "sales.activity_reminder"
BATCH = 500
register_kind(REMINDER_KIND, _("Activity reminders"), in_app=True, email=True)


def activity_url(activity_id: int) -> str | None:
    """The activity's page once the web UI has one (``sales:activity_detail``), else the calendar."""
    for name, args in (("sales:activity_detail", [activity_id]), ("sales:calendar", [])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


def _send_one(activity_id: int, now: datetime) -> bool:
    with transaction.atomic():
        if not Activity.objects.filter(pk=activity_id, reminded_at__isnull=True).update(reminded_at=now):
            return False  # another run took it
        activity = Activity.objects.select_related("owner").get(pk=activity_id)
        owner = activity.owner
        if owner is None or activity.due_at is None or activity.remind_at is None:
            return False
        due = timezone.localtime(activity.due_at, user_zone(owner))
        sent = notify(
            owner,
            kind=REMINDER_KIND,
            title=_("Reminder: %(subject)s"),
            body=_("%(kind)s due at %(due)s."),
            params={"subject": activity.subject, "kind": ActivityKind(activity.kind).label, "due": _Due(due)},
            url=activity_url(activity.pk),
            key=f"activity-reminder:{activity.pk}:{activity.remind_at.isoformat()}",
        )
        return sent is not None


class _Due:
    """A due time formatted in whatever language is active when the text is rendered."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __str__(self) -> str:
        return date_format(self.moment, "DATETIME_FORMAT")


def send_due_reminders(*, now: datetime | None = None) -> int:
    """Send every reminder due by ``now`` for open activities; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    last_id = 0
    while True:
        ids = list(
            Activity.objects.filter(remind_at__lte=now, reminded_at__isnull=True, done_at__isnull=True,
                                    owner__is_active=True, pk__gt=last_id)
            .order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return sent
        for activity_id in ids:
            sent += _send_one(activity_id, now)
        last_id = ids[-1]


@job_handler("sales.send_reminders", every=timedelta(minutes=1))
def reminders_job(ctx: JobContext, **params: Any) -> dict[str, Any]:
    return {"sent": send_due_reminders()}
