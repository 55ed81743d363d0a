"""SLA business-hours arithmetic (DOMAIN §4 及时处理), checked against timetables worked out by hand.

Default calendar: 09:00–12:00 and 13:00–18:00 = 3 h + 5 h = 480 business minutes a working day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.service import business_hours
from guanxi.service.business_hours import (
    WorkingCalendar,
    add_business_minutes,
    business_minutes_between,
    is_working_day,
    next_working_moment,
    sla_status,
)

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")

# Example data only (admins enter the real holidays each year): the 2026 National Day holiday as
# 1–7 October off, with Saturday 10 October a make-up workday (调休).
NATIONAL_DAY_2026 = frozenset(date(2026, 10, d) for d in range(1, 8))
MAKEUP_2026 = frozenset({date(2026, 10, 10)})
CHINA = WorkingCalendar(holidays=NATIONAL_DAY_2026, makeup_workdays=MAKEUP_2026)
PLAIN = WorkingCalendar()
BERLIN_CAL = WorkingCalendar(tz="Europe/Berlin")


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


def berlin(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN)


# ---------------------------------------------------------------- working days


def test_a_weekday_holiday_is_not_a_working_day():
    assert date(2026, 10, 1).weekday() == 3  # Thursday
    assert not is_working_day(CHINA, date(2026, 10, 1))


def test_a_makeup_saturday_is_a_working_day_but_other_saturdays_are_not():
    assert is_working_day(CHINA, date(2026, 10, 10))
    assert not is_working_day(CHINA, date(2026, 10, 17))
    assert is_working_day(CHINA, date(2026, 10, 9))  # an ordinary Friday


def test_a_date_cannot_be_both_holiday_and_makeup_workday():
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar(holidays=frozenset({date(2026, 10, 10)}), makeup_workdays=MAKEUP_2026)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"day_start": time(18), "day_end": time(9)},
        {"lunch": (time(8), time(9))},
        {"lunch": (time(13), time(12))},
        {"weekend": frozenset({7})},
    ],
)
def test_an_impossible_calendar_is_refused(kwargs):
    with pytest.raises(ValueError):
        WorkingCalendar(**kwargs)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(KeyError):
        WorkingCalendar(tz="Asia/Atlantis")


# ---------------------------------------------------------------- adding minutes


def test_a_complaint_opened_before_national_day_is_due_the_day_after_the_holiday():
    # Opened Wed 30 Sep 17:00, target 4 business hours = 240 min.
    #   30 Sep 17:00–18:00 → 60 min used, 180 left.
    #   1–7 Oct holiday (3 and 4 Oct are also the weekend) → nothing.
    #   Thu 8 Oct 09:00 + 180 min = 12:00, exactly the start of lunch: the target is met at 12:00
    #   (a period's end counts as reached; it does not jump to 13:00).
    assert add_business_minutes(CHINA, sh(2026, 9, 30, 17), 240) == sh(2026, 10, 8, 12)


def test_the_result_keeps_the_zone_of_the_start():
    start = sh(2026, 9, 30, 17).astimezone(UTC)  # 09:00 UTC
    due = add_business_minutes(CHINA, start, 240)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 10, 8, 4, tzinfo=UTC)  # 12:00 in Shanghai (UTC+8)


def test_a_start_on_a_holiday_rolls_to_the_next_working_morning():
    # Sat 3 Oct (holiday week) 10:00 → next working moment Thu 8 Oct 09:00, + 30 = 09:30.
    assert add_business_minutes(CHINA, sh(2026, 10, 3, 10), 30) == sh(2026, 10, 8, 9, 30)


def test_a_start_on_a_makeup_saturday_counts_that_saturday():
    # Sat 10 Oct is a working day: 10:00 + 60 = 11:00 the same Saturday.
    assert add_business_minutes(CHINA, sh(2026, 10, 10, 10), 60) == sh(2026, 10, 10, 11)
    # 17:00 + 120: 60 on Saturday, Sunday off, Mon 12 Oct 09:00 + 60 = 10:00.
    assert add_business_minutes(CHINA, sh(2026, 10, 10, 17), 120) == sh(2026, 10, 12, 10)


def test_a_start_during_lunch_waits_for_the_afternoon():
    # 12:30 is lunch: rolls to 13:00, + 30 = 13:30.
    assert add_business_minutes(PLAIN, sh(2026, 6, 1, 12, 30), 30) == sh(2026, 6, 1, 13, 30)


def test_work_across_lunch_skips_the_break():
    # 11:30 + 60: 30 min before lunch, then 13:00 + 30 = 13:30.
    assert add_business_minutes(PLAIN, sh(2026, 6, 1, 11, 30), 60) == sh(2026, 6, 1, 13, 30)


def test_a_start_exactly_at_day_end_begins_the_next_morning():
    # 18:00 is no longer working time (periods are half-open): Tue 09:00 + 30 = 09:30.
    assert add_business_minutes(PLAIN, sh(2026, 6, 1, 18), 30) == sh(2026, 6, 2, 9, 30)


def test_a_friday_evening_start_spans_the_weekend():
    # Fri 5 Jun 17:00 + 120: 60 on Friday, Mon 8 Jun 09:00 + 60 = 10:00.
    assert add_business_minutes(PLAIN, sh(2026, 6, 5, 17), 120) == sh(2026, 6, 8, 10)


def test_a_full_day_ends_at_day_end_and_one_more_minute_is_next_working_day():
    assert add_business_minutes(PLAIN, sh(2026, 6, 5, 9), 480) == sh(2026, 6, 5, 18)
    assert add_business_minutes(PLAIN, sh(2026, 6, 5, 9), 481) == sh(2026, 6, 8, 9, 1)


def test_zero_minutes_is_the_next_working_moment():
    assert add_business_minutes(PLAIN, sh(2026, 6, 1, 10, 15), 0) == sh(2026, 6, 1, 10, 15)
    assert add_business_minutes(PLAIN, sh(2026, 6, 1, 23), 0) == sh(2026, 6, 2, 9)
    assert next_working_moment(PLAIN, sh(2026, 6, 6, 11)) == sh(2026, 6, 8, 9)  # Saturday → Monday


def test_ten_working_days_end_on_the_tenth_evening_walking_one_day_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Mon 1 Jun 09:00 + 10 × 480 min: Mon 1 … Fri 12 Jun are the 10 working days → Fri 12 Jun 18:00.
    calls: list[date] = []
    real = business_hours.working_periods

    def spy(cal: WorkingCalendar, day: date) -> list[business_hours.Period]:
        calls.append(day)
        return real(cal, day)

    monkeypatch.setattr(business_hours, "working_periods", spy)
    assert add_business_minutes(PLAIN, sh(2026, 6, 1, 9), 4800) == sh(2026, 6, 12, 18)
    assert len(calls) == 12  # 1–12 June, one look per calendar day, not one per minute


def test_a_calendar_without_lunch_has_a_continuous_day():
    cal = WorkingCalendar(lunch=None)
    assert add_business_minutes(cal, sh(2026, 6, 1, 11, 30), 60) == sh(2026, 6, 1, 12, 30)


def test_naive_datetimes_and_negative_minutes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(PLAIN, datetime(2026, 6, 1, 9), 10)
    with pytest.raises(ValueError):
        add_business_minutes(PLAIN, sh(2026, 6, 1, 9), -1)


def test_a_calendar_that_never_works_is_reported_instead_of_looping_for_ever():
    cal = WorkingCalendar(weekend=frozenset(range(7)))
    with pytest.raises(ValueError, match="no working day"):
        add_business_minutes(cal, sh(2026, 6, 1, 9), 1)


# ---------------------------------------------------------------- counting minutes


def test_minutes_between_skip_lunch_nights_and_weekends():
    assert business_minutes_between(PLAIN, sh(2026, 6, 1, 11), sh(2026, 6, 1, 14)) == 120  # 11–12 + 13–14
    assert business_minutes_between(PLAIN, sh(2026, 6, 5, 17), sh(2026, 6, 8, 10)) == 120  # Fri 17–18 + Mon 9–10
    assert business_minutes_between(CHINA, sh(2026, 9, 30, 17), sh(2026, 10, 8, 12)) == 240


def test_minutes_between_is_zero_when_end_is_not_after_start():
    assert business_minutes_between(PLAIN, sh(2026, 6, 1, 14), sh(2026, 6, 1, 11)) == 0
    assert business_minutes_between(PLAIN, sh(2026, 6, 1, 14), sh(2026, 6, 1, 14)) == 0


def test_minutes_between_drop_leftover_seconds():
    assert business_minutes_between(PLAIN, sh(2026, 6, 1, 9), sh(2026, 6, 1, 9, 1, 59)) == 1


# ---------------------------------------------------------------- a zone with summer time


def test_a_weekend_across_the_spring_change_in_berlin_still_ends_at_ten_on_monday():
    # Berlin moves to summer time on Sun 29 Mar 2026. Fri 27 Mar 17:00 CET + 120:
    # 60 on Friday, Monday 09:00 CEST + 60 = 10:00 CEST (08:00 UTC). Adding 2 h + 64 h of real time
    # instead would land on 11:00.
    due = add_business_minutes(BERLIN_CAL, berlin(2026, 3, 27, 17), 120)
    assert due == berlin(2026, 3, 30, 10)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert business_minutes_between(BERLIN_CAL, berlin(2026, 3, 27, 17), due) == 120


def test_a_weekend_across_the_autumn_change_in_berlin_still_ends_at_ten_on_monday():
    # Back to winter time on Sun 25 Oct 2026: Fri 23 Oct 17:00 CEST + 120 → Mon 26 Oct 10:00 CET (09:00 UTC).
    due = add_business_minutes(BERLIN_CAL, berlin(2026, 10, 23, 17), 120)
    assert due == berlin(2026, 10, 26, 10)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_a_night_shift_counts_real_minutes_across_the_clock_change():
    # A 00:00–06:00 shift every day: on 29 Mar the clocks jump 02:00 → 03:00, so it lasts 5 real hours;
    # on 25 Oct 03:00 → 02:00 repeats an hour, so it lasts 7.
    night = WorkingCalendar(tz="Europe/Berlin", day_start=time(0), day_end=time(6), lunch=None, weekend=frozenset())
    assert business_minutes_between(night, berlin(2026, 3, 28, 0), berlin(2026, 3, 28, 6)) == 360
    assert business_minutes_between(night, berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 6)) == 300
    assert business_minutes_between(night, berlin(2026, 10, 25, 0), berlin(2026, 10, 25, 6)) == 420
    assert add_business_minutes(night, berlin(2026, 3, 29, 0), 300) == berlin(2026, 3, 29, 6)
    # 301 minutes: the whole short shift, then 1 minute of the next night.
    assert add_business_minutes(night, berlin(2026, 3, 29, 0), 301) == berlin(2026, 3, 30, 0, 1)


# ---------------------------------------------------------------- SLA status


def test_sla_before_the_due_moment_shows_minutes_left():
    # Opened 30 Sep 17:00, 240 min, now Thu 8 Oct 11:00: used 60 + 120 = 180 → 60 left.
    status = sla_status(CHINA, sh(2026, 9, 30, 17), 240, now=sh(2026, 10, 8, 11))
    assert status.due_at == sh(2026, 10, 8, 12)
    assert (status.remaining_minutes, status.breached, status.paused, status.done) == (60, False, False, False)


def test_sla_after_the_due_moment_is_breached_with_negative_minutes():
    # now 8 Oct 13:30: used 60 + 180 + 30 (13:00–13:30) = 270 → −30.
    status = sla_status(CHINA, sh(2026, 9, 30, 17), 240, now=sh(2026, 10, 8, 13, 30))
    assert (status.remaining_minutes, status.breached) == (-30, True)


def test_sla_done_exactly_on_time_is_not_breached_whenever_it_is_looked_at():
    status = sla_status(CHINA, sh(2026, 9, 30, 17), 240, now=sh(2026, 12, 1, 9), done_at=sh(2026, 10, 8, 12))
    assert (status.remaining_minutes, status.breached, status.done) == (0, False, True)


def test_sla_done_half_a_minute_late_is_breached():
    # Done 8 Oct 13:00:30: 240.5 business minutes used → −0.5 rounds down to −1. (12:00–13:00 is lunch.)
    status = sla_status(CHINA, sh(2026, 9, 30, 17), 240, now=sh(2026, 10, 9, 9), done_at=sh(2026, 10, 8, 13, 0, 30))
    assert (status.remaining_minutes, status.breached) == (-1, True)


def test_a_pause_moves_the_due_moment_by_the_paused_business_time():
    # Mon 1 Jun 09:00, 240 min; without a pause due 14:00 (09–12 = 180, 13–14 = 60).
    # Paused 10:00–11:00: 60 used by 10:00, 180 left from 11:00: 11–12 = 60, 13:00 + 120 = 15:00.
    opened = sh(2026, 6, 1, 9)
    assert sla_status(PLAIN, opened, 240, now=opened).due_at == sh(2026, 6, 1, 14)
    status = sla_status(PLAIN, opened, 240, now=sh(2026, 6, 1, 14), pauses=[(sh(2026, 6, 1, 10), sh(2026, 6, 1, 11))])
    assert status.due_at == sh(2026, 6, 1, 15)
    # now 14:00: used 09–10 + 11–12 + 13–14 = 180 → 60 left.
    assert (status.remaining_minutes, status.breached, status.paused) == (60, False, False)


def test_an_open_pause_stops_the_clock_and_assumes_it_ends_now():
    # Paused since 10:00, now 11:30: used 60, left 180. If work resumes now: 11:30–12:00 = 30,
    # 13:00 + 150 = 15:30.
    opened = sh(2026, 6, 1, 9)
    status = sla_status(PLAIN, opened, 240, now=sh(2026, 6, 1, 11, 30), pauses=[(sh(2026, 6, 1, 10), None)])
    assert (status.due_at, status.remaining_minutes, status.paused) == (sh(2026, 6, 1, 15, 30), 180, True)


def test_overlapping_pauses_count_once_and_pauses_before_opening_are_ignored():
    # Pauses 09:30–10:30 and 10:00–11:00 merge into 09:30–11:00 (90 min); 08:00–08:30 is before opening.
    opened = sh(2026, 6, 1, 9)
    pauses = [
        (sh(2026, 6, 1, 10), sh(2026, 6, 1, 11)),
        (sh(2026, 6, 1, 9, 30), sh(2026, 6, 1, 10, 30)),
        (sh(2026, 6, 1, 8), sh(2026, 6, 1, 8, 30)),
    ]
    status = sla_status(PLAIN, opened, 240, now=sh(2026, 6, 1, 12), pauses=pauses)
    # used 09:00–09:30 + 11:00–12:00 = 90 → 150 left; due: 13:00 + 150 = 15:30.
    assert (status.remaining_minutes, status.due_at) == (150, sh(2026, 6, 1, 15, 30))


def test_sla_due_moment_is_in_the_zone_of_the_opening():
    status = sla_status(CHINA, sh(2026, 9, 30, 17).astimezone(UTC), 240, now=sh(2026, 9, 30, 17))
    assert status.due_at == datetime(2026, 10, 8, 4, tzinfo=UTC)
    assert status.due_at.tzinfo is UTC


# ---------------------------------------------------------------- properties

working_days_2026 = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))
calendars = st.sampled_from([CHINA, BERLIN_CAL, WorkingCalendar(lunch=None, weekend=frozenset({6}))])


@st.composite
def starts_in_working_time(draw: st.DrawFn) -> tuple[WorkingCalendar, datetime]:
    cal = draw(calendars)
    day = draw(working_days_2026.filter(lambda d: is_working_day(cal, d)))
    begin, end = draw(st.sampled_from(business_hours.working_periods(cal, day)))
    offset = draw(st.integers(min_value=0, max_value=int((end - begin).total_seconds()) - 1))
    return cal, (begin + timedelta(seconds=offset)).astimezone(cal.zone)


@settings(max_examples=200, deadline=None)
@given(starts_in_working_time(), st.integers(min_value=0, max_value=20_000))
def test_counting_back_the_minutes_added_from_working_time_gives_them_again(cal_start, minutes):
    cal, start = cal_start
    assert business_minutes_between(cal, start, add_business_minutes(cal, start, minutes)) == minutes


@settings(max_examples=200, deadline=None)
@given(
    calendars,
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.integers(min_value=0, max_value=5_000),
    st.integers(min_value=1, max_value=5_000),
)
def test_adding_in_two_steps_equals_adding_at_once_from_any_moment(cal, start, a, b):
    once = add_business_minutes(cal, start, a + b)
    assert add_business_minutes(cal, add_business_minutes(cal, start, a), b) == once
    assert business_minutes_between(cal, start, once) == a + b
    assert once > add_business_minutes(cal, start, a)


@settings(max_examples=100, deadline=None)
@given(
    calendars,
    st.integers(min_value=0, max_value=2 * 365 * 24 * 60),
    st.integers(min_value=0, max_value=3_000),
    st.integers(min_value=0, max_value=6_000),
)
def test_sla_remaining_is_target_minus_business_minutes_elapsed(cal, opened_minute, target, later):
    # Whole-minute moments, so elapsed business time is whole minutes and nothing is rounded away.
    opened = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=opened_minute)
    now = opened + timedelta(minutes=later)
    status = sla_status(cal, opened, target, now=now)
    assert status.remaining_minutes == target - business_minutes_between(cal, opened, now)
    assert status.breached == (status.remaining_minutes < 0)
    # Breached only after the due moment; after it, not yet breached only while the clock stands still.
    if status.breached:
        assert now > status.due_at
    if now > status.due_at and not status.breached:
        assert business_minutes_between(cal, status.due_at, now) == 0
