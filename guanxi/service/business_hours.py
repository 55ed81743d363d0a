"""Business-hours arithmetic for service SLAs (DOMAIN §4 complaint principle 及时处理 "handle in time").

An SLA target such as "answer a complaint within 4 business hours" counts only working time on a
:class:`WorkingCalendar`: working days (weekdays minus public holidays, plus 调休 make-up workdays) and,
within a day, the hours from ``day_start`` to ``day_end`` minus the lunch break.

Rules decided here:

- **Working time is half-open.** A day's working periods are ``[day_start, lunch start)`` and
  ``[lunch end, day_end)``. A moment outside them (night, lunch, weekend, holiday, exactly ``day_end``)
  rolls forward to the next working moment. Adding minutes that end exactly at a period's end returns
  that end (``09:00 + 180 min = 12:00``, not 13:00).
- **Real minutes.** Period bounds are wall-clock times in the calendar's zone, but lengths are measured
  in real elapsed time (through UTC), so a working period spanning a DST change is an hour shorter or
  longer. Results are returned in the zone of the ``start`` given.
- **Per-day walk.** Functions step one calendar day at a time (never one minute at a time), so a
  target of weeks costs a few dozen iterations.
- **Holidays are data.** Public holidays and make-up workdays are entered by admins each year; nothing
  here knows any country's calendar. A date may not be both.
- **Pauses.** :func:`sla_status` can stop the clock (e.g. while waiting for the customer): business
  time inside a pause does not count towards the target.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)
NO_TIME = timedelta(0)
# A calendar that has no working day within this many consecutive days is treated as broken.
MAX_IDLE_DAYS = 3 * 366

Period = tuple[datetime, datetime]  # aware UTC, start < end


@dataclass(frozen=True)
class WorkingCalendar:
    """When the service desk works. ``weekend`` uses ``date.weekday()`` numbers (Monday 0 … Sunday 6).

    ``holidays`` are non-working even on weekdays; ``makeup_workdays`` (调休) are working even on weekend days.
    """

    tz: str = "Asia/Shanghai"
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    lunch: tuple[time, time] | None = (time(12, 0), time(13, 0))
    weekend: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # raises ZoneInfoNotFoundError (a KeyError) for an unknown zone
        if not self.day_start < self.day_end:
            raise ValueError("day_start must be before day_end.")
        if self.lunch is not None and not self.day_start < self.lunch[0] < self.lunch[1] < self.day_end:
            raise ValueError("The lunch break must lie strictly inside the working day.")
        if not self.weekend <= frozenset(range(7)):
            raise ValueError("Weekend days are weekday numbers 0 (Monday) to 6 (Sunday).")
        if self.holidays & self.makeup_workdays:
            raise ValueError("A date cannot be both a holiday and a make-up workday.")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)  # ZoneInfo caches instances per key

    def periods_of_day(self) -> tuple[tuple[time, time], ...]:
        """The working periods of a working day as wall-clock times."""
        if self.lunch is None:
            return ((self.day_start, self.day_end),)
        return ((self.day_start, self.lunch[0]), (self.lunch[1], self.day_end))


@dataclass(frozen=True)
class SlaStatus:
    """Where an SLA timer stands (DOMAIN §4 及时处理).

    ``due_at`` is in ``opened_at``'s zone. ``remaining_minutes`` is business minutes left at ``done_at``
    (if done) or ``now``, negative when breached. ``paused`` is True while an open pause stops the clock;
    then ``due_at`` assumes the pause ends ``now`` and moves later while it lasts.
    """

    due_at: datetime
    remaining_minutes: int
    breached: bool
    paused: bool
    done: bool


# ---------------------------------------------------------------- days and periods


def is_working_day(cal: WorkingCalendar, day: date) -> bool:
    """True on a make-up workday; False on a holiday; otherwise True unless the weekday is a weekend day."""
    if day in cal.makeup_workdays:
        return True
    if day in cal.holidays:
        return False
    return day.weekday() not in cal.weekend


def working_periods(cal: WorkingCalendar, day: date) -> list[Period]:
    """The day's working periods as aware UTC datetimes (empty on a non-working day)."""
    if not is_working_day(cal, day):
        return []
    zone = cal.zone
    return [
        (
            datetime.combine(day, start, tzinfo=zone).astimezone(UTC),
            datetime.combine(day, end, tzinfo=zone).astimezone(UTC),
        )
        for start, end in cal.periods_of_day()
    ]


def _require_aware(**moments: datetime) -> None:
    for name, moment in moments.items():
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime.")


def _periods_from(cal: WorkingCalendar, start_utc: datetime) -> Iterator[Period]:
    """Working periods (clipped to begin no earlier than ``start_utc``) in order, for ever."""
    day = start_utc.astimezone(cal.zone).date()
    idle = 0
    while True:
        periods = working_periods(cal, day)
        idle = 0 if periods else idle + 1
        if idle > MAX_IDLE_DAYS:
            raise ValueError("The working calendar has no working day in three years.")
        for begin, end in periods:
            if end > start_utc:
                yield max(begin, start_utc), end
        day += timedelta(days=1)


def _periods_between(cal: WorkingCalendar, start_utc: datetime, end_utc: datetime) -> Iterator[Period]:
    """Working periods clipped to ``[start_utc, end_utc)``."""
    zone = cal.zone
    day = start_utc.astimezone(zone).date()
    last = end_utc.astimezone(zone).date()
    while day <= last:
        for begin, end in working_periods(cal, day):
            lo, hi = max(begin, start_utc), min(end, end_utc)
            if lo < hi:
                yield lo, hi
        day += timedelta(days=1)


# ---------------------------------------------------------------- public arithmetic


def next_working_moment(cal: WorkingCalendar, moment: datetime) -> datetime:
    """``moment`` itself if it is working time, else the start of the next working period (same zone)."""
    _require_aware(moment=moment)
    begin, _ = next(_periods_from(cal, moment.astimezone(UTC)))
    return begin.astimezone(moment.tzinfo)


def _add(cal: WorkingCalendar, start_utc: datetime, remaining: timedelta) -> datetime:
    for begin, end in _periods_from(cal, start_utc):
        if remaining <= end - begin:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("unreachable: _periods_from never ends")  # pragma: no cover


def add_business_minutes(cal: WorkingCalendar, start: datetime, minutes: int) -> datetime:
    """The moment ``minutes`` business minutes after ``start`` (aware), in ``start``'s zone.

    A start outside working time first rolls to the next working moment (so 0 minutes gives that moment).
    """
    _require_aware(start=start)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise ValueError("minutes must be a non-negative whole number.")
    return _add(cal, start.astimezone(UTC), minutes * MINUTE).astimezone(start.tzinfo)


def business_time_between(cal: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time in ``[start, end)``; zero when ``end <= start``."""
    _require_aware(start=start, end=end)
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    if end_utc <= start_utc:
        return NO_TIME
    return sum((hi - lo for lo, hi in _periods_between(cal, start_utc, end_utc)), NO_TIME)


def business_minutes_between(cal: WorkingCalendar, start: datetime, end: datetime) -> int:
    """Whole business minutes in ``[start, end)`` (seconds left over are dropped); 0 when ``end <= start``."""
    return business_time_between(cal, start, end) // MINUTE


# ---------------------------------------------------------------- SLA timers


def _merged_pauses(pauses: Sequence[tuple[datetime, datetime | None]], opened: datetime, until: datetime) -> tuple[list[Period], bool]:
    """Pauses clipped to ``[opened, until]`` and merged, in UTC; plus whether one is still open at ``until``.

    An open pause (end ``None``) lasts until ``until``.
    """
    clipped: list[Period] = []
    is_open = False
    for begin, end in pauses:
        _require_aware(pause_start=begin)
        if end is not None:
            _require_aware(pause_end=end)
        stop = until if end is None or end >= until else end.astimezone(UTC)
        is_open = is_open or ((end is None or end > until) and begin.astimezone(UTC) <= until)
        lo = max(begin.astimezone(UTC), opened)
        if lo < stop:
            clipped.append((lo, stop))
    merged: list[Period] = []
    for lo, hi in sorted(clipped):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged, is_open


def _due_with_pauses(cal: WorkingCalendar, opened: datetime, target: timedelta, pauses: list[Period]) -> datetime:
    """The moment the unpaused business time since ``opened`` reaches ``target`` (pauses sorted, disjoint)."""
    clock, need = opened, target
    for lo, hi in pauses:
        candidate = _add(cal, clock, need)
        if lo >= candidate:
            return candidate
        need -= business_time_between(cal, clock, lo)
        clock = hi
    return _add(cal, clock, need)


def sla_status(
    cal: WorkingCalendar,
    opened_at: datetime,
    target_minutes: int,
    now: datetime,
    done_at: datetime | None = None,
    *,
    pauses: Sequence[tuple[datetime, datetime | None]] = (),
) -> SlaStatus:
    """Due moment and remaining business minutes of a target of ``target_minutes`` from ``opened_at``.

    The clock runs in business time from ``opened_at`` until ``done_at`` (when the work was done) or else
    ``now``, stopped during ``pauses`` (``(start, end)``; ``end=None`` = still paused). ``breached`` means
    more than the target was used; finishing exactly on ``due_at`` is on time. Remaining minutes are
    rounded down, so any part-minute overrun already reads −1.
    """
    _require_aware(opened_at=opened_at, now=now)
    if done_at is not None:
        _require_aware(done_at=done_at)
    if isinstance(target_minutes, bool) or not isinstance(target_minutes, int) or target_minutes < 0:
        raise ValueError("target_minutes must be a non-negative whole number.")
    opened = opened_at.astimezone(UTC)
    until = max(opened, (done_at if done_at is not None else now).astimezone(UTC))
    merged, is_open = _merged_pauses(pauses, opened, until)
    target = target_minutes * MINUTE
    paused_time = sum((business_time_between(cal, lo, hi) for lo, hi in merged), NO_TIME)
    left = target - (business_time_between(cal, opened, until) - paused_time)
    return SlaStatus(
        due_at=_due_with_pauses(cal, opened, target, merged).astimezone(opened_at.tzinfo),
        remaining_minutes=left // MINUTE,
        breached=left < NO_TIME,
        paused=is_open and done_at is None,
        done=done_at is not None,
    )
