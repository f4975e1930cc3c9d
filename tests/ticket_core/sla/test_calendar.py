"""Business-hours calendars, property-tested across weekends, holidays and DST changes.

The strongest check compares the span arithmetic with a brute force that knows nothing about spans: it walks
the window minute by minute and asks the local wall clock (weekday, holiday, opening hours) whether the desk
is open. DST changes in Europe/Madrid and America/New_York fall inside the generated windows often, because
the windows are drawn around them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticket_core import InvalidValue
from ticket_core.sla import Calendar, Holidays, parse_hours

MADRID = Calendar(
    "madrid", "Europe/Madrid",
    parse_hours({"mon-thu": ["09:00-14:00", "15:00-18:00"], "fri": "08:00-15:00"}, "madrid"),
    Holidays("ES", "MD", frozenset({date(2026, 12, 24), date(2026, 12, 31)})),
)
NEW_YORK = Calendar(
    "ny", "America/New_York", parse_hours({"mon-fri": "09:00-17:00"}, "ny"), Holidays("US", "NY")
)
# Open across local midnight and at 01:00-03:00, the hours a DST change removes or repeats.
NIGHT_SHIFT = Calendar(
    "night", "Europe/Madrid", parse_hours({"mon-sun": ["00:00-03:30", "22:00-24:00"]}, "night"), Holidays()
)
SAO_PAULO = Calendar(
    "sp", "America/Sao_Paulo", parse_hours({"mon-fri": "09:00-18:00"}, "sp"), Holidays("BR", "SP")
)
CALENDARS = [MADRID, NEW_YORK, NIGHT_SHIFT, SAO_PAULO]

# DST changes 2025-2027 (both zones) and ordinary weeks, with holidays (Christmas, Good Friday ...) nearby.
ANCHORS = [
    datetime(2025, 3, 9, tzinfo=UTC), datetime(2025, 3, 30, tzinfo=UTC), datetime(2025, 10, 26, tzinfo=UTC),
    datetime(2025, 11, 2, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 29, tzinfo=UTC),
    datetime(2026, 4, 3, tzinfo=UTC), datetime(2026, 10, 25, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC),
    datetime(2026, 12, 24, tzinfo=UTC), datetime(2027, 3, 14, tzinfo=UTC), datetime(2027, 3, 28, tzinfo=UTC),
    datetime(2026, 7, 9, tzinfo=UTC), datetime(2026, 6, 15, tzinfo=UTC),
]


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    anchor = draw(st.sampled_from(ANCHORS))
    minutes = draw(st.integers(min_value=-4 * 1440, max_value=4 * 1440))
    seconds = draw(st.sampled_from([0, 0, 0, 17, 59]))
    return anchor + timedelta(minutes=minutes, seconds=seconds)


durations = st.integers(min_value=0, max_value=120 * 3600).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from(CALENDARS)


def open_by_wall_clock(cal: Calendar, at: datetime) -> bool:
    """Brute force: is the desk open at ``at``, judged only by the local wall clock."""
    local = at.astimezone(ZoneInfo(cal.timezone))
    if local.date() in cal.holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(a <= minute < b for a, b in cal.hours[local.weekday()])


@settings(max_examples=150, deadline=None)
@given(calendars, instants(), durations)
def test_adding_business_time_then_measuring_it_back_is_the_identity(
    cal: Calendar, start: datetime, amount: timedelta
) -> None:
    end = cal.add(start, amount)
    assert end >= start
    assert cal.business_time(start, end) == amount


@settings(max_examples=150, deadline=None)
@given(calendars, instants(), durations)
def test_a_deadline_lands_on_open_wall_clock_time(cal: Calendar, start: datetime, amount: timedelta) -> None:
    end = cal.add(start, amount)
    if amount > timedelta(0):
        # The last second before the deadline was open time by the local wall clock.
        assert open_by_wall_clock(cal, end - timedelta(seconds=1))


@settings(max_examples=150, deadline=None)
@given(calendars, instants(), instants(), instants())
def test_elapsed_business_time_is_additive_and_monotone(
    cal: Calendar, a: datetime, b: datetime, c: datetime
) -> None:
    t1, t2, t3 = sorted((a, b, c))
    assert cal.business_time(t1, t3) == cal.business_time(t1, t2) + cal.business_time(t2, t3)
    assert cal.business_time(t1, t2) <= cal.business_time(t1, t3)
    assert cal.business_time(t3, t1) == timedelta(0)


@settings(max_examples=40, deadline=None)
@given(calendars, instants(), st.integers(min_value=1, max_value=3 * 1440))
def test_elapsed_business_time_never_counts_closed_hours(
    cal: Calendar, start: datetime, minutes: int
) -> None:
    """Minute by minute against the wall clock, windows up to three days around DST changes and holidays."""
    start = start.replace(second=0)
    expected = sum(
        open_by_wall_clock(cal, start + timedelta(minutes=m)) for m in range(minutes)
    )
    assert cal.business_time(start, start + timedelta(minutes=minutes)) == timedelta(minutes=expected)


def _local(cal: Calendar, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(cal.timezone))  # type: ignore[misc]


@pytest.mark.parametrize(
    ("cal", "start", "amount", "expected"),
    [
        # Madrid springs forward on Sunday 29 March 2026: Friday 14:00 CET + 2h (Friday closes at 15:00) lands
        # on Monday 10:00 CEST, not 09:00 or 11:00.
        (MADRID, (2026, 3, 27, 14, 0), timedelta(hours=2), (2026, 3, 30, 10, 0)),
        # ... and falls back on Sunday 25 October: Friday 14:30 CEST + 1h -> Monday 09:30 CET.
        (MADRID, (2026, 10, 23, 14, 30), timedelta(hours=1), (2026, 10, 26, 9, 30)),
        # Good Friday (3 April 2026) and Maundy Thursday are closed in Madrid.
        (MADRID, (2026, 4, 1, 17, 0), timedelta(hours=2), (2026, 4, 6, 10, 0)),
        # New York springs forward on Sunday 8 March 2026: Friday 16:00 EST + 2h -> Monday 10:00 EDT.
        (NEW_YORK, (2026, 3, 6, 16, 0), timedelta(hours=2), (2026, 3, 9, 10, 0)),
        # ... falls back on 1 November; Thanksgiving (26 November) is closed.
        (NEW_YORK, (2026, 10, 30, 16, 0), timedelta(hours=2), (2026, 11, 2, 10, 0)),
        (NEW_YORK, (2026, 11, 25, 16, 0), timedelta(hours=2), (2026, 11, 27, 10, 0)),
        # Sao Paulo: 9 July is a state holiday (BR-SP), 2 November a national one.
        (SAO_PAULO, (2026, 7, 8, 17, 0), timedelta(hours=2), (2026, 7, 10, 10, 0)),
        (SAO_PAULO, (2026, 10, 30, 17, 0), timedelta(hours=2), (2026, 11, 3, 10, 0)),
        # The night shift on the day Madrid skips 02:00-03:00: 00:00-03:30 holds 2.5 hours that night.
        (NIGHT_SHIFT, (2026, 3, 29, 0, 0), timedelta(hours=2, minutes=30), (2026, 3, 29, 3, 30)),
        (NIGHT_SHIFT, (2026, 3, 29, 0, 0), timedelta(hours=2, minutes=31), (2026, 3, 29, 22, 1)),
    ],
)
def test_a_target_across_a_dst_change_or_holiday_lands_on_the_right_wall_clock_time(
    cal: Calendar, start: tuple[int, ...], amount: timedelta, expected: tuple[int, ...]
) -> None:
    due = cal.add(_local(cal, *start), amount)
    local = due.astimezone(ZoneInfo(cal.timezone))
    assert (local.year, local.month, local.day, local.hour, local.minute) == expected


def test_sao_paulo_keeps_one_offset_since_2019() -> None:
    """No DST since 2019: the first Sunday of November (the old change) moves nothing."""
    zone = ZoneInfo("America/Sao_Paulo")
    offsets = {datetime(2026, m, d, 12, tzinfo=zone).utcoffset() for m in range(1, 13) for d in (1, 15)}
    assert offsets == {timedelta(hours=-3)}
    start = _local(SAO_PAULO, 2026, 11, 6, 17, 0)  # Friday; the old DST began on the first Sunday of November
    due = SAO_PAULO.add(start, timedelta(hours=2))
    assert due.astimezone(UTC) == datetime(2026, 11, 9, 13, 0, tzinfo=UTC)
    # In 2018 the same weekend did change the clocks (the zone database knows history).
    assert datetime(2018, 11, 5, 12, tzinfo=zone).utcoffset() == timedelta(hours=-2)


def test_a_week_of_madrid_business_time() -> None:
    monday = _local(MADRID, 2026, 6, 15, 0, 0)
    assert MADRID.business_time(monday, monday + timedelta(days=7)) == timedelta(hours=4 * 8 + 7)


@pytest.mark.parametrize(
    "hours",
    [{"mon": "18:00-09:00"}, {"funday": "09:00-10:00"}, {"mon": "9-10"}, {"mon": "09:00-25:00"}, {}],
)
def test_bad_hours_are_refused(hours: dict[str, str]) -> None:
    with pytest.raises(InvalidValue):
        Calendar("x", "UTC", parse_hours(hours, "x"))


def test_unknown_zone_and_holiday_region_are_refused() -> None:
    week = parse_hours({"mon-fri": "09:00-17:00"}, "x")
    with pytest.raises(InvalidValue, match="time zone"):
        Calendar("x", "Mars/Olympus", week)
    with pytest.raises(InvalidValue, match="holidays"):
        Holidays("ES", "ZZ")
