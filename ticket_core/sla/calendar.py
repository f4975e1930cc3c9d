"""Business-hours calendars: when the desk is open, measured and added in UTC without losing wall-clock truth.

A calendar is a time zone, the opening hours of each weekday (local wall-clock spans) and the days it is
closed (public holidays from the ``holidays`` package for a country and subdivision, plus the desk's own
dates). Everything is computed on *spans*: the UTC intervals in which the desk is open, generated day by day
in local time and converted to UTC, so a DST change shortens or lengthens the night, never a business hour,
and "09:00" stays 09:00 on either side of it.

Two operations, exact to the microsecond (``timedelta`` arithmetic, no floats):

- :meth:`Calendar.business_time` -- how much open time lies in ``[start, end)``;
- :meth:`Calendar.add` -- the instant at which ``amount`` of open time has passed after ``start``.

``business_time(start, add(start, x)) == x`` for every ``x >= 0``: the property tests hold us to it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from ticket_core.domain import InvalidValue

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = timedelta(days=1)
#: A calendar with no open day in this many days is refused instead of looping for ever.
_MAX_CLOSED_DAYS = 800


@functools.lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays_lib.country_holidays(country, subdiv=subdivision, years=year).keys())


@dataclass(frozen=True, slots=True)
class Holidays:
    """Closed days: the public holidays of ``country``/``subdivision`` (ISO codes, e.g. ES/MD, BR/SP, US/NY)
    and the desk's own ``dates``."""

    country: str | None = None
    subdivision: str | None = None
    dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.country is None and self.subdivision is not None:
            raise InvalidValue("holidays: a subdivision needs its country")
        if self.country is not None:
            try:
                holidays_lib.country_holidays(self.country, subdiv=self.subdivision, years=2026)
            except NotImplementedError as exc:
                raise InvalidValue(f"holidays: {exc}") from None

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if day in self.dates:
            return True
        return self.country is not None and day in _public_holidays(self.country, self.subdivision, day.year)


#: One weekday's opening hours: ``(start_minute, end_minute)`` pairs, minutes after local midnight (end may
#: be 1440, midnight of the next day), sorted and not overlapping.
DayHours = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Calendar:
    """A business-hours calendar. ``hours[weekday]`` (0 = Monday) are the local opening spans."""

    name: str
    timezone: str
    hours: tuple[DayHours, ...]
    holidays: Holidays = field(default_factory=Holidays)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidValue(f"calendar {self.name}: unknown time zone {self.timezone!r}") from None
        if len(self.hours) != 7:
            raise InvalidValue(f"calendar {self.name}: hours for 7 weekdays expected")
        for day in self.hours:
            previous = 0
            for start, end in day:
                if not 0 <= start < end <= 1440 or start < previous:
                    raise InvalidValue(f"calendar {self.name}: opening spans must be sorted, non-empty and "
                                       "within one day")
                previous = end
        if not any(self.hours):
            raise InvalidValue(f"calendar {self.name}: open on no weekday")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key

    @property
    def mode(self) -> str:
        return "business"

    def spans_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open UTC spans from ``start`` on, the first one clipped to begin at ``start``; endless."""
        start = _utc(start)
        zone = self.zone
        day = start.astimezone(zone).date() - _DAY  # a span of yesterday may still be open
        last_end = start
        closed_days = 0
        while True:
            yielded = False
            if day not in self.holidays:
                for a, b in self.hours[day.weekday()]:
                    s, e = _local(day, a, zone), _local(day, b, zone)
                    s = max(s, last_end)
                    if e > s:
                        yielded = True
                        last_end = e
                        yield s, e
            closed_days = 0 if yielded else closed_days + 1
            if closed_days > _MAX_CLOSED_DAYS:
                raise InvalidValue(f"calendar {self.name}: closed for more than {_MAX_CLOSED_DAYS} days")
            day += _DAY

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """Open time within ``[start, end)`` (zero when ``end <= start``)."""
        start, end = _utc(start), _utc(end)
        total = timedelta(0)
        if end <= start:
            return total
        for s, e in self.spans_from(start):
            if s >= end:
                break
            total += min(e, end) - s
        return total

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which ``amount`` of open time has passed after ``start``. A deadline that falls on
        the end of a span is that end (18:00 today, not 09:00 tomorrow)."""
        start = _utc(start)
        if amount <= timedelta(0):
            return start
        for s, e in self.spans_from(start):
            if e - s >= amount:
                return s + amount
            amount -= e - s
        raise AssertionError("unreachable: spans_from is endless")

    def is_open(self, at: datetime) -> bool:
        s, _ = next(self.spans_from(at))
        return s <= _utc(at)


@dataclass(frozen=True, slots=True)
class AlwaysOpen:
    """The 24x7 clock: every second counts (P1 targets, typically)."""

    name: str = "24x7"

    @property
    def mode(self) -> str:
        return "24x7"

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        return max(timedelta(0), _utc(end) - _utc(start))

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return _utc(start) + max(amount, timedelta(0))

    def is_open(self, at: datetime) -> bool:
        return True


ALWAYS_OPEN = AlwaysOpen()
Clockwork = Calendar | AlwaysOpen


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Local wall-clock ``minute`` of ``day`` as UTC (1440 is the next midnight). A wall-clock time skipped by
    a spring-forward change maps as Python's fold=0 does, i.e. past the gap."""
    if minute >= 1440:
        day, minute = day + _DAY, minute - 1440
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise InvalidValue(f"naive datetime {value!r}: SLA times are timezone-aware")
    return value.astimezone(UTC)


# -- reading calendars from the data file -------------------------------------------------------------------

def parse_hours(data: Mapping[str, Any], what: str) -> tuple[DayHours, ...]:
    """``{"mon-fri": ["09:00-13:00", "14:00-18:00"], "sat": "10:00-14:00", "sun": []}``; a later key
    overrides an earlier one for the days it names."""
    days: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
    for key, spans in data.items():
        for weekday in _weekdays(str(key), what):
            items: Sequence[Any] = [spans] if isinstance(spans, str) else list(spans or [])
            days[weekday] = sorted(_span(str(s), what) for s in items)
    return tuple(tuple(d) for d in days)


def _weekdays(key: str, what: str) -> list[int]:
    out: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise InvalidValue(f"{what}: unknown weekday in {key!r} (mon, tue ... sun, ranges like mon-fri)")
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if b < a:
            raise InvalidValue(f"{what}: weekday range {part!r} runs backwards")
        out.extend(range(a, b + 1))
    return out


def _span(text: str, what: str) -> tuple[int, int]:
    start, sep, end = text.replace(" ", "").partition("-")
    if not sep:
        raise InvalidValue(f"{what}: opening span {text!r} must look like 09:00-18:00")
    a, b = _minute(start, what), _minute(end, what)
    if not a < b:
        raise InvalidValue(f"{what}: opening span {text!r} must end after it starts (split overnight spans)")
    return a, b


def _minute(text: str, what: str) -> int:
    hh, sep, mm = text.partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and len(mm) == 2):
        raise InvalidValue(f"{what}: time {text!r} must look like HH:MM")
    value = int(hh) * 60 + int(mm)
    if int(mm) >= 60 or value > 1440:
        raise InvalidValue(f"{what}: time {text!r} out of range (00:00 to 24:00)")
    return value
