"""Activities (calls, visits, meetings, emails, tasks) — services and selectors (DOMAIN §2, visits
and calls; issue 5 item 4).

Every write goes through here (web UI, API, SPIN call logging) and is audited through
``guanxi.audit.lifecycle``. An activity is an owned record: ``visible_to`` decides who sees it.
Its links (account / contact / opportunity) must be visible to the actor and consistent with each
other: the contact belongs to the account, the opportunity's account is the account (an activity
given only an opportunity takes the opportunity's account).

Reminders: ``remind_at = due_at - remind_minutes_before``; the periodic job in ``reminders.py``
sends each one exactly once (``reminded_at``). Changing the due time or the reminder re-arms it.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit import lifecycle
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import Account, Contact, ContactAccount
from guanxi.sales.models import Activity, ActivityKind, Opportunity
from guanxi.users.models import User
from guanxi.users.visibility import can_see, editable_by, visible_to

ACTIVITY_WRITABLE = (
    "kind", "subject", "description", "due_at", "duration_minutes", "remind_minutes_before",
    "result", "account_id", "contact_id", "opportunity_id",
)
MAX_DURATION_MINUTES = 7 * 24 * 60  # a week-long visit is the longest activity we plan
MAX_REMIND_MINUTES = 28 * 24 * 60  # remind at most four weeks ahead
LINKS: tuple[tuple[str, type[Any]], ...] = (("account_id", Account), ("contact_id", Contact), ("opportunity_id", Opportunity))


def user_zone(user: Any) -> zoneinfo.ZoneInfo:
    """The user's time zone (default Asia/Shanghai, the settings' TIME_ZONE)."""
    try:
        return zoneinfo.ZoneInfo(getattr(user, "timezone", "") or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _as_validation_failed(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed({k: [str(m) for m in v] for k, v in exc.message_dict.items()})


def _parse_moment(value: Any, actor: User) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=user_zone(actor))  # a naive time is the actor's wall clock
    return value


def _int_in(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high and str(number) == str(value).strip().lstrip("+") else None


def clean_activity_data(data: dict[str, Any], *, actor: User) -> dict[str, Any]:
    """Validate the writable fields one by one (links are checked by ``_check_links``)."""
    unknown = sorted(set(data) - set(ACTIVITY_WRITABLE))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    if "kind" in cleaned and cleaned["kind"] not in ActivityKind.values:
        errors["kind"] = [_("Unknown activity kind.")]
    if "subject" in cleaned:
        cleaned["subject"] = str(cleaned["subject"] or "").strip()
        if not cleaned["subject"]:
            errors["subject"] = [_("This field is required.")]
        elif len(cleaned["subject"]) > 200:
            errors["subject"] = [_("At most 200 characters.")]
    for key in ("description", "result"):
        if key in cleaned:
            cleaned[key] = str(cleaned[key] or "")
            if len(cleaned[key]) > 10000:
                errors[key] = [_("At most 10,000 characters.")]
    if "due_at" in cleaned and cleaned["due_at"] not in (None, ""):
        moment = _parse_moment(cleaned["due_at"], actor)
        if moment is None or not (1970 <= moment.year <= 2999):
            errors["due_at"] = [_("Enter a date and time such as 2026-03-01T09:30.")]
        cleaned["due_at"] = moment
    elif "due_at" in cleaned:
        cleaned["due_at"] = None
    if "duration_minutes" in cleaned:
        minutes = _int_in(cleaned["duration_minutes"], 0, MAX_DURATION_MINUTES)
        if minutes is None:
            errors["duration_minutes"] = [_("Enter a whole number of minutes between 0 and %(max)d.") % {"max": MAX_DURATION_MINUTES}]
        cleaned["duration_minutes"] = minutes
    if "remind_minutes_before" in cleaned and cleaned["remind_minutes_before"] not in (None, ""):
        minutes = _int_in(cleaned["remind_minutes_before"], 0, MAX_REMIND_MINUTES)
        if minutes is None:
            errors["remind_minutes_before"] = [
                _("Enter a whole number of minutes between 0 and %(max)d.") % {"max": MAX_REMIND_MINUTES}]
        cleaned["remind_minutes_before"] = minutes
    elif "remind_minutes_before" in cleaned:
        cleaned["remind_minutes_before"] = None
    for key, _model in LINKS:
        if key in cleaned and cleaned[key] in ("", 0):
            cleaned[key] = None
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _visible_link(actor: User, model: type[Any], pk: Any, field: str) -> Any:
    try:
        return visible_to(actor, model.objects.all()).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise ValidationFailed({field: [_("No such record, or you may not see it.")]}) from None


def _check_links(actor: User, cleaned: dict[str, Any], current: Activity | None) -> None:
    """Links must be visible (only when they change) and consistent with each other."""
    def value(key: str) -> Any:
        return cleaned[key] if key in cleaned else (getattr(current, key) if current else None)

    for key, model in LINKS:
        if key in cleaned and cleaned[key] is not None and (current is None or getattr(current, key) != cleaned[key]):
            _visible_link(actor, model, cleaned[key], key)
    opportunity_id, account_id, contact_id = value("opportunity_id"), value("account_id"), value("contact_id")
    if opportunity_id is not None:
        opportunity_account = Opportunity.objects.filter(pk=opportunity_id).values_list("account_id", flat=True).first()
        if account_id is None:
            cleaned["account_id"] = account_id = opportunity_account
        elif account_id != opportunity_account:
            raise ValidationFailed({"opportunity_id": [_("This opportunity belongs to another account.")]})
    if contact_id is not None and account_id is not None:
        if not ContactAccount.objects.filter(contact_id=contact_id, account_id=account_id).exists():
            raise ValidationFailed({"contact_id": [_("This contact does not belong to the account.")]})


def _reminder_fields(activity: Activity, cleaned: dict[str, Any]) -> dict[str, Any]:
    """remind_at from the (new) due time and lead time; a changed remind_at is armed again."""
    due = cleaned.get("due_at", activity.due_at)
    before = cleaned.get("remind_minutes_before", activity.remind_minutes_before)
    remind_at = due - timedelta(minutes=before) if due is not None and before is not None else None
    if remind_at == activity.remind_at and activity.pk is not None:
        return {}
    return {"remind_at": remind_at, "reminded_at": None}


@transaction.atomic
def activity_create(*, actor: User, data: dict[str, Any]) -> Activity:
    """Create an activity owned by the actor (team: the actor's first team)."""
    cleaned = clean_activity_data(data, actor=actor)
    if not cleaned.get("subject"):
        raise ValidationFailed({"subject": [_("This field is required.")]})
    _check_links(actor, cleaned, None)
    activity = Activity(**cleaned)
    for name, value in _reminder_fields(activity, {}).items():
        setattr(activity, name, value)
    activity.team = actor.teams.order_by("pk").first()
    try:
        return lifecycle.record_create(actor=actor, obj=activity)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc


@transaction.atomic
def activity_update(*, actor: User, activity: Activity, version: int | None, data: dict[str, Any]) -> Activity:
    if not editable_by(actor, activity):
        raise PermissionDenied() if can_see(actor, activity) else NotFound()
    cleaned = clean_activity_data(data, actor=actor)
    if "subject" in cleaned and not cleaned["subject"]:
        raise ValidationFailed({"subject": [_("This field is required.")]})
    _check_links(actor, cleaned, activity)
    cleaned.update(_reminder_fields(activity, cleaned))
    try:
        return lifecycle.record_update(actor=actor, obj=activity, version=version, changes=cleaned)
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc


@transaction.atomic
def activity_complete(*, actor: User, activity: Activity, version: int | None = None, result: str | None = None) -> Activity:
    """Mark done (now), optionally recording the result. Completing a done activity keeps its time."""
    changes: dict[str, Any] = {}
    if activity.done_at is None:
        changes["done_at"] = timezone.now()
    if result is not None:
        changes.update(clean_activity_data({"result": result}, actor=actor))
    return lifecycle.record_update(actor=actor, obj=activity, version=version, changes=changes)


@transaction.atomic
def activity_reopen(*, actor: User, activity: Activity, version: int | None = None) -> Activity:
    return lifecycle.record_update(actor=actor, obj=activity, version=version, changes={"done_at": None})


def activity_delete(*, actor: User, activity: Activity, version: int | None = None) -> Activity:
    return lifecycle.record_delete(actor=actor, obj=activity, version=version)


# --- selectors -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MyDay:
    """The actor's own day: overdue open items (the latest ``OVERDUE_SHOWN``, oldest first, and
    how many there are in all) and everything due today."""

    day: date
    overdue: list[Activity]
    today: list[Activity]
    overdue_total: int = 0


# A rep back from a month away may have hundreds of open items: the page shows the latest ones
# (the most likely still to matter) and says how many there are, instead of growing without end.
OVERDUE_SHOWN = 100


def day_bounds(day: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def my_day(actor: User, *, today: date | None = None) -> MyDay:
    """"My day" (issue 5 item 4): the actor's own activities — not done and due before today
    (overdue), and those due today (done or not) — with today in the actor's time zone."""
    zone = user_zone(actor)
    today = today or timezone.now().astimezone(zone).date()
    start, end = day_bounds(today, zone)
    mine = Activity.objects.filter(owner_id=actor.pk).select_related("account", "contact", "opportunity")
    due_today = list(mine.filter(due_at__gte=start, due_at__lt=end).order_by("due_at", "id"))
    open_overdue = mine.filter(due_at__lt=start, done_at__isnull=True)
    overdue = list(open_overdue.order_by("-due_at", "-id")[:OVERDUE_SHOWN])[::-1]
    total = len(overdue) if len(overdue) < OVERDUE_SHOWN else open_overdue.count()
    return MyDay(day=today, overdue=overdue, today=due_today, overdue_total=total)


def calendar_range(actor: User, start: datetime, end: datetime, *, owner_id: int | None = None) -> QuerySet[Activity]:
    """Activities the actor may see that are due in ``[start, end)``, optionally of one owner."""
    qs = visible_to(actor, Activity.objects.filter(due_at__gte=start, due_at__lt=end))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs.select_related("owner", "account").order_by("due_at", "id")


def account_activities(account: Account, *, actor: User | None = None) -> QuerySet[Activity]:
    """Activities linked to an account, newest first (all of them: the 360° page shares what every
    subsystem knows; pass ``actor`` to keep only those the actor may see)."""
    qs = Activity.objects.filter(account_id=account.pk)
    if actor is not None:
        qs = visible_to(actor, qs)
    return qs.select_related("owner", "contact", "opportunity").order_by(
        Coalesce("done_at", "due_at", "created_at").desc(), F("id").desc())


def timeline_items(account: Account, limit: int, actor: Any = None) -> list[Any]:
    """The 360° timeline provider (``guanxi.customers.timeline``): activities and logged calls of
    the account that the viewer may see, newest first, in ONE query (the call plan comes with its
    activity)."""
    from guanxi.customers.timeline import TimelineItem

    qs = Activity.objects.filter(account_id=account.pk)
    rows = (
        (qs if actor is None else visible_to(actor, qs))
        .select_related("owner", "call_plan")
        .annotate(at=Coalesce("done_at", "due_at", "created_at"))
        .order_by(F("at").desc(), F("id").desc())[:limit]
    )
    items = []
    for activity in rows:
        plan = getattr(activity, "call_plan", None)
        detail = activity.result
        if plan is not None and plan.logged_at is not None:
            detail = _("Outcome: %(outcome)s · S %(s)d · P %(p)d · I %(i)d · N %(n)d · explicit needs %(needs)d") % {
                "outcome": plan.get_outcome_display(), "s": plan.s_asked, "p": plan.p_asked, "i": plan.i_asked,
                "n": plan.n_asked, "needs": plan.explicit_needs}
        status = _("done") if activity.done_at else _("planned")
        items.append(TimelineItem(
            at=activity.at,  # type: ignore[attr-defined]
            kind="activity",
            title=f"{activity.get_kind_display()} · {activity.subject} ({status})",
            detail=detail[:300],
            actor=str(activity.owner) if activity.owner else "",
        ))
    return items
