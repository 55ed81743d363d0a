"""iCalendar feed of sales activities — visits and calls planned ahead (DOMAIN §2, "plan before the visit").

Pure: services turn activities into ``CalendarEvent`` values; this module builds the RFC 5545 text
with the ``icalendar`` library (which does all escaping and line folding) and can read it back.

Choices:

* Times are written in UTC (``...Z``); ``tz`` only names the calendar's display zone
  (``X-WR-TIMEZONE``) for clients that honour it.
* ``STATUS``: RFC 5545 allows only TENTATIVE / CONFIRMED / CANCELLED on a VEVENT (COMPLETED is a
  VTODO status), so every activity is ``CONFIRMED``. Whether it is done travels in the extension
  property ``X-GUANXI-DONE:TRUE|FALSE``; summaries are never altered.
* A ``VALARM`` (ACTION:DISPLAY, TRIGGER ``-PT<n>M`` before start) is written whenever
  ``alarm_minutes_before`` is set, done or not — the caller decides (pass None for done activities
  to stop reminders).
* An event without ``end`` has no DTEND (RFC 5545: it then ends when it starts).

Known library limitation (icalendar 7.3.2): a literal backslash followed by a capital N in a text
(a Windows path such as C:<backslash>Notes) is written as a newline escape, so clients show a line
break there; CR and CRLF line ends come back as LF. Everything else (commas, semicolons, newlines, backslashes, Chinese) round-trips; see
``test_ical.py::test_backslash_capital_n_survives`` (xfail until the library is fixed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Component, Event
from icalendar.parser import unescape_backslash
from icalendar.prop import vText

PRODID = "-//Guanxi CRM//EN"
DONE_PROPERTY = "X-GUANXI-DONE"


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One activity in the feed. ``start``/``end`` must be timezone-aware."""

    uid: str
    start: datetime
    end: datetime | None
    summary: str
    description: str
    url: str | None
    done: bool
    alarm_minutes_before: int | None

    def __post_init__(self) -> None:
        if not self.uid:
            raise ValueError("A calendar event needs a UID.")
        for moment in (self.start, self.end):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(f"Event {self.uid}: times must be timezone-aware.")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"Event {self.uid}: end is before start.")
        if self.alarm_minutes_before is not None and self.alarm_minutes_before < 0:
            raise ValueError(f"Event {self.uid}: alarm_minutes_before must not be negative.")


def _alarm(event: CalendarEvent, minutes: int) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", event.summary)  # DISPLAY alarms require a DESCRIPTION
    alarm.add("trigger", timedelta(minutes=-minutes))
    return alarm


def _vevent(event: CalendarEvent, stamp: datetime) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", event.start.astimezone(UTC))
    if event.end is not None:
        vevent.add("dtend", event.end.astimezone(UTC))
    vevent.add("summary", event.summary)
    if event.description:
        vevent.add("description", event.description)
    if event.url:
        vevent.add("url", event.url)
    vevent.add("status", "CONFIRMED")
    vevent.add(DONE_PROPERTY, "TRUE" if event.done else "FALSE")
    if event.alarm_minutes_before is not None:
        vevent.add_component(_alarm(event, event.alarm_minutes_before))
    return vevent


def build_calendar(events: Iterable[CalendarEvent], *, name: str, tz: str = "Asia/Shanghai", stamp: datetime | None = None) -> bytes:
    """A complete VCALENDAR (UTF-8 bytes) with one VEVENT per event.

    ``name`` becomes ``NAME`` and ``X-WR-CALNAME`` (read back with ``calendar_name``); ``tz`` (an IANA zone, validated) becomes ``X-WR-TIMEZONE``;
    ``stamp`` is the DTSTAMP of every event (default: now, UTC; pass one for reproducible output).
    """
    ZoneInfo(tz)  # raises ZoneInfoNotFoundError for an unknown zone
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # The library types NAME / X-WR-CALNAME as "unknown" and would write them unescaped (a newline
    # even makes it fail); wrapping in vText makes it escape them as RFC 5545 TEXT.
    calendar.add("name", vText(name))  # RFC 7986
    calendar.add("x-wr-calname", vText(name))  # what Google / Apple / Outlook read
    calendar.add("x-wr-timezone", tz)
    for event in events:
        calendar.add_component(_vevent(event, stamp))
    return calendar.to_ical()


def _alarm_minutes(vevent: Component) -> int | None:
    for alarm in vevent.walk("VALARM"):
        trigger = alarm.decoded("trigger")
        if isinstance(trigger, timedelta):
            return int(-trigger.total_seconds() // 60)
    return None


def _event_from(vevent: Component) -> CalendarEvent:
    end = vevent.decoded("dtend") if "DTEND" in vevent else None
    return CalendarEvent(
        uid=str(vevent["UID"]),
        start=vevent.decoded("dtstart"),
        end=end,
        summary=str(vevent.get("SUMMARY", "")),
        description=str(vevent.get("DESCRIPTION", "")),
        url=str(vevent["URL"]) if "URL" in vevent else None,
        done=str(vevent.get(DONE_PROPERTY, "FALSE")).upper() == "TRUE",
        alarm_minutes_before=_alarm_minutes(vevent),
    )


def calendar_name(data: bytes) -> str:
    """The calendar name (``X-WR-CALNAME``) of a feed built by ``build_calendar``, unescaped."""
    raw = Calendar.from_ical(data).get("X-WR-CALNAME")
    # Parsed as an unknown property, so the library left it escaped; undo with its own RFC 5545 unescaper.
    return "" if raw is None else unescape_backslash(raw.to_ical().decode())


def parse_calendar(data: bytes) -> list[CalendarEvent]:
    """Read a feed built by ``build_calendar`` back into events (times in UTC), in feed order."""
    calendar = Calendar.from_ical(data)
    return [_event_from(vevent) for vevent in calendar.walk("VEVENT")]
