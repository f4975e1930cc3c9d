"""The reporting period: local calendar days in a time zone, turned into UTC bounds and into an SQL
expression that gives each timestamp its local day.

SQLite has no time zones, so the database is never asked to convert one. Within a range the zone's UTC offset
changes only at a handful of instants (DST), so the local day of a UTC timestamp is
``(epoch + offset) // 86400`` with the offset a short ``CASE`` over those instants, computed here in Python:
one integer expression that SQLite and PostgreSQL both evaluate inside a ``GROUP BY``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BigInteger, Integer, case, cast, extract, func, literal
from sqlalchemy.sql.elements import ColumnElement

from ticket_core.domain import InvalidValue

#: The longest range one report covers (a leap year and a day): the series stay a readable size.
MAX_DAYS = 367
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class Period:
    """``first``..``last`` inclusive, as local days in ``zone``; ``start``/``end`` are the UTC bounds
    (``end`` exclusive); ``now`` is when the report is computed (the backlog's and the SLA's reference)."""

    first: date
    last: date
    zone: ZoneInfo
    start: datetime
    end: datetime
    now: datetime

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def offsets(self) -> list[tuple[datetime, int]]:
        """``[(from_utc, offset_seconds), ...]``: the zone's UTC offset from each instant on, in the range."""
        found = [(self.start, _offset(self.zone, self.start))]
        for t in _hours(self.start, self.end):
            if _offset(self.zone, t) != found[-1][1]:
                found.append((_transition(self.zone, t - timedelta(hours=1), t), _offset(self.zone, t)))
        return found


def zone_named(name: str) -> ZoneInfo:
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidValue(f"tz: unknown time zone {name!r}") from exc


def make_period(first: str | date, last: str | date, tz: str, now: datetime) -> Period:
    """Validate a report's query: ISO dates, ``first <= last``, at most :data:`MAX_DAYS` days, a known IANA
    zone. Raises :class:`InvalidValue` with a message a client can act on."""
    d1, d2 = _day(first, "from"), _day(last, "to")
    if d2 < d1:
        raise InvalidValue(f"to ({d2}) is before from ({d1})")
    if (d2 - d1).days + 1 > MAX_DAYS:
        raise InvalidValue(f"the range covers {(d2 - d1).days + 1} days; at most {MAX_DAYS}")
    zone = zone_named(tz)
    start = datetime.combine(d1, time(), zone).astimezone(UTC)
    end = datetime.combine(d2 + timedelta(days=1), time(), zone).astimezone(UTC)
    return Period(d1, d2, zone, start, end, now.astimezone(UTC))


def epoch_seconds(column: Any, dialect: str) -> ColumnElement[int]:
    """Whole seconds since 1970 of a UTC timestamp column, on SQLite or PostgreSQL."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(extract("epoch", column)), BigInteger)


def local_day(column: Any, period: Period, dialect: str) -> ColumnElement[int]:
    """Days since 1970-01-01 of ``column``'s local date in the period's zone (see the module docstring)."""
    offsets = period.offsets()
    offset: ColumnElement[int]
    if len(offsets) == 1:
        offset = literal(offsets[0][1])
    else:
        whens = [(column < nxt[0], cur[1]) for cur, nxt in pairwise(offsets)]
        offset = case(*whens, else_=offsets[-1][1])
    return cast((epoch_seconds(column, dialect) + offset) // 86400, Integer)


def day_of(number: int) -> date:
    return date.fromordinal(int(number) + _EPOCH_ORDINAL)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _day(value: str | date, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from exc


def _offset(zone: ZoneInfo, t: datetime) -> int:
    delta = t.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def _hours(start: datetime, end: datetime) -> Iterator[datetime]:
    t = start + timedelta(hours=1)
    while t < end:
        yield t
        t += timedelta(hours=1)


def _transition(zone: ZoneInfo, lo: datetime, hi: datetime) -> datetime:
    """The first minute in ``(lo, hi]`` at which the offset is ``hi``'s (offsets change on whole minutes)."""
    target = _offset(zone, hi)
    while hi - lo > timedelta(minutes=1):
        mid = lo + timedelta(minutes=((hi - lo) // timedelta(minutes=1)) // 2)
        if _offset(zone, mid) == target:
            hi = mid
        else:
            lo = mid
    return hi
