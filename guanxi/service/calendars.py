"""Working calendars for SLAs (DOMAIN §4 complaint principle 及时处理 "handle in time"; issue 6 item 3).

A ``WorkingCalendar`` row plus its ``CalendarDay`` rows (public holidays, 调休 make-up working days)
become the pure :class:`guanxi.service.business_hours.WorkingCalendar` the SLA arithmetic uses.

* Holidays are data: administrators enter each year's public holidays and make-up days; nothing
  here knows any country's calendar.
* Loading costs two queries; a :class:`CalendarCache` keeps the result for one request or one job
  run (a job that computes deadlines of thousands of complaints loads each calendar once). Every
  edit below touches the calendar's ``updated_at``, so a cache that outlives an edit notices.
* Exactly one calendar may be the default (a partial unique index); the admin services move the
  flag instead of failing on it.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record, snapshot
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.service import business_hours as bh
from guanxi.service.models import CalendarDay, CalendarDayKind, SlaPolicy, WorkingCalendar
from guanxi.users.models import User

CALENDAR_WRITABLE = ("name", "is_default", "time_zone", "day_start", "day_end", "lunch_start", "lunch_end", "weekend")
MAX_DAY_NOTE = 100
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def require_admin(actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators may change working calendars, complaint types and SLA policies."))


# --- loading ---------------------------------------------------------------------------------------

def to_business_calendar(calendar: WorkingCalendar, days: list[CalendarDay]) -> bh.WorkingCalendar:
    """The pure calendar of a row and its days."""
    lunch = (calendar.lunch_start, calendar.lunch_end) if calendar.lunch_start and calendar.lunch_end else None
    return bh.WorkingCalendar(
        tz=calendar.time_zone, day_start=calendar.day_start, day_end=calendar.day_end, lunch=lunch,
        weekend=frozenset(int(d) for d in (calendar.weekend or [])),
        holidays=frozenset(d.day for d in days if d.kind == CalendarDayKind.HOLIDAY),
        makeup_workdays=frozenset(d.day for d in days if d.kind == CalendarDayKind.MAKEUP),
    )


FALLBACK = bh.WorkingCalendar()  # Mon–Fri 09:00–18:00, lunch 12–13, Asia/Shanghai: when no calendar exists


class CalendarCache:
    """Pure calendars by calendar id (``None`` = the default calendar), for one request or job run."""

    def __init__(self) -> None:
        self._by_id: dict[int | None, bh.WorkingCalendar] = {}

    def get(self, calendar_id: int | None) -> bh.WorkingCalendar:
        if calendar_id not in self._by_id:
            self._by_id[calendar_id] = _load(calendar_id)
        return self._by_id[calendar_id]


def _load(calendar_id: int | None) -> bh.WorkingCalendar:
    qs = WorkingCalendar.objects.filter(pk=calendar_id) if calendar_id is not None else WorkingCalendar.objects.filter(is_default=True)
    calendar = qs.first()
    if calendar is None and calendar_id is not None:  # a policy's calendar was deleted meanwhile
        calendar = WorkingCalendar.objects.filter(is_default=True).first()
    if calendar is None:
        return FALLBACK
    return to_business_calendar(calendar, list(calendar.days.all()))


def load_calendar(calendar_id: int | None = None, *, cache: CalendarCache | None = None) -> bh.WorkingCalendar:
    """The pure calendar of ``calendar_id`` (default calendar when None; the built-in fallback when
    there is none at all)."""
    return (cache or CalendarCache()).get(calendar_id)


# --- administration --------------------------------------------------------------------------------

def _time(value: Any, field: str, errors: dict[str, list[str]]) -> time | None:
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return time.fromisoformat(str(value)[:8]).replace(second=0, microsecond=0)
    except ValueError:
        errors[field] = [_("Enter a time such as 09:00.")]
        return None


def clean_calendar_data(data: dict[str, Any], *, current: WorkingCalendar | None = None) -> dict[str, Any]:
    unknown = sorted(set(data) - set(CALENDAR_WRITABLE))
    if unknown:
        raise ValidationFailed({name: [_("Unknown or read-only field.")] for name in unknown})
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
        if not cleaned["name"] or len(cleaned["name"]) > 100:
            errors["name"] = [_("Give a name of 1 to 100 characters.")]
    if "is_default" in cleaned:
        cleaned["is_default"] = bool(cleaned["is_default"])
    if "time_zone" in cleaned:
        zone = str(cleaned["time_zone"] or "").strip()
        try:
            if not zone or len(zone) > 64:
                raise ZoneInfoNotFoundError(zone)
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = [_("Unknown time zone; use a name such as Asia/Shanghai.")]
        cleaned["time_zone"] = zone
    for key in ("day_start", "day_end", "lunch_start", "lunch_end"):
        if key in cleaned:
            cleaned[key] = _time(cleaned[key], key, errors)
            if cleaned[key] is None and key in ("day_start", "day_end") and key not in errors:
                errors[key] = [_("This field is required.")]
    if "weekend" in cleaned:
        days = cleaned["weekend"]
        if not isinstance(days, (list, tuple)) or len(days) > 7 or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days):
            errors["weekend"] = [_("Weekend days are weekday numbers from 0 (Monday) to 6 (Sunday).")]
        else:
            cleaned["weekend"] = sorted(set(days))
    if errors:
        raise ValidationFailed(errors)
    merged = {name: cleaned.get(name, getattr(current, name) if current else None) for name in CALENDAR_WRITABLE}
    if merged["day_start"] is None or merged["day_end"] is None:
        merged["day_start"], merged["day_end"] = merged["day_start"] or time(9), merged["day_end"] or time(18)
    if (merged["lunch_start"] is None) != (merged["lunch_end"] is None):
        raise ValidationFailed({"lunch_start": [_("Give both ends of the lunch break, or neither.")]})
    lunch = (merged["lunch_start"], merged["lunch_end"]) if merged["lunch_start"] and merged["lunch_end"] else None
    try:
        bh.WorkingCalendar(tz=merged["time_zone"] or "Asia/Shanghai", day_start=merged["day_start"] or time(9),
                           day_end=merged["day_end"] or time(18), lunch=lunch, weekend=frozenset(merged["weekend"] or []))
    except (ValueError, KeyError) as exc:
        raise ValidationFailed({"day_end": [_("The working day must start before it ends, and the lunch break must lie inside it.")]}) from exc
    if len(merged["weekend"] or []) == 7:
        raise ValidationFailed({"weekend": [_("At least one day of the week must be a working day.")]})
    return cleaned


def _take_default(calendar: WorkingCalendar) -> None:
    WorkingCalendar.objects.filter(is_default=True).exclude(pk=calendar.pk).update(is_default=False, updated_at=timezone.now())


@transaction.atomic
def calendar_create(*, actor: User, data: dict[str, Any]) -> WorkingCalendar:
    require_admin(actor)
    cleaned = clean_calendar_data(data)
    if not cleaned.get("name"):
        raise ValidationFailed({"name": [_("This field is required.")]})
    calendar = WorkingCalendar(**{k: v for k, v in cleaned.items() if k != "is_default"})
    if not WorkingCalendar.objects.filter(is_default=True).exists():
        cleaned["is_default"] = True  # the first calendar is the one SLAs use
    calendar.save()
    if cleaned.get("is_default"):
        _take_default(calendar)
        calendar.is_default = True
        calendar.save(update_fields=["is_default", "updated_at"])
    audit_record(actor=actor, obj=calendar, action=Action.CREATE)
    return calendar


@transaction.atomic
def calendar_update(*, actor: User, calendar: WorkingCalendar, data: dict[str, Any]) -> WorkingCalendar:
    require_admin(actor)
    current = WorkingCalendar.objects.select_for_update().get(pk=calendar.pk)
    cleaned = clean_calendar_data(data, current=current)
    if cleaned.get("is_default") is False and current.is_default:
        raise ValidationFailed({"is_default": [_("Make another calendar the default instead.")]})
    before = snapshot(current)
    for name, value in cleaned.items():
        setattr(current, name, value)
    if cleaned.get("is_default"):
        _take_default(current)
    current.save()
    audit_record(actor=actor, obj=current, action=Action.UPDATE, before=before)
    return current


@transaction.atomic
def calendar_delete(*, actor: User, calendar: WorkingCalendar) -> None:
    require_admin(actor)
    if calendar.is_default:
        raise ValidationFailed({"is_default": [_("The default calendar cannot be deleted; make another calendar the default first.")]})
    if SlaPolicy.objects.filter(calendar=calendar).exists():
        raise ValidationFailed({"calendar": [_("SLA policies still use this calendar.")]})
    audit_record(actor=actor, obj=calendar, action=Action.DELETE, changes={})
    calendar.delete()


def _day(value: Any) -> date:
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError as exc:
            raise ValidationFailed({"day": [_("Enter a date such as 2026-10-01.")]}) from exc
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationFailed({"day": [_("Enter a date between 2000 and 2100.")]})
    return day


def _days_state(calendar: WorkingCalendar) -> list[list[str]]:
    return [[d.day.isoformat(), d.kind] for d in calendar.days.order_by("day")]


@transaction.atomic
def calendar_day_set(*, actor: User, calendar: WorkingCalendar, day: Any, kind: str, note: str = "") -> CalendarDay:
    """Mark ``day`` a public holiday or a 调休 make-up working day (replacing what it was)."""
    require_admin(actor)
    the_day = _day(day)
    if kind not in CalendarDayKind.values:
        raise ValidationFailed({"kind": [_("Choose holiday or makeup.")]})
    note = str(note or "").strip()
    if len(note) > MAX_DAY_NOTE:
        raise ValidationFailed({"note": [_("At most %(max)d characters.") % {"max": MAX_DAY_NOTE}]})
    current = WorkingCalendar.objects.select_for_update().get(pk=calendar.pk)
    before = _days_state(current)
    row, _created = CalendarDay.objects.update_or_create(calendar=current, day=the_day, defaults={"kind": kind, "note": note})
    current.save(update_fields=["updated_at"])
    audit_record(actor=actor, obj=current, action=Action.UPDATE, changes={"days": [before, _days_state(current)]})
    return row


@transaction.atomic
def calendar_day_remove(*, actor: User, calendar: WorkingCalendar, day: Any) -> None:
    """Make ``day`` an ordinary day again (its weekday decides)."""
    require_admin(actor)
    the_day = _day(day)
    current = WorkingCalendar.objects.select_for_update().get(pk=calendar.pk)
    before = _days_state(current)
    if not CalendarDay.objects.filter(calendar=current, day=the_day).delete()[0]:
        raise NotFound()
    current.save(update_fields=["updated_at"])
    audit_record(actor=actor, obj=current, action=Action.UPDATE, changes={"days": [before, _days_state(current)]})
