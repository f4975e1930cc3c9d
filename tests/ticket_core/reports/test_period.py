"""The report period: local days to UTC bounds, and the zone's offset changes inside a range."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ticket_core import InvalidValue
from ticket_core.reports import MAX_DAYS, make_period
from ticket_core.reports.period import iso_week

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def test_madrid_spring_forward_inside_the_range() -> None:
    p = make_period("2026-03-28", "2026-03-30", "Europe/Madrid", NOW)
    assert p.start == datetime(2026, 3, 27, 23, tzinfo=UTC)  # local midnight, UTC+1
    assert p.end == datetime(2026, 3, 30, 22, tzinfo=UTC)  # local midnight, UTC+2
    assert p.offsets() == [(p.start, 3600), (datetime(2026, 3, 29, 1, tzinfo=UTC), 7200)]
    assert p.days == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]


def test_a_half_hour_dst_change_is_found_to_the_minute() -> None:
    # Lord Howe Island moves from UTC+11 to UTC+10:30 at 02:00 local on 2026-04-05 (15:00 UTC on the 4th).
    p = make_period("2026-04-04", "2026-04-06", "Australia/Lord_Howe", NOW)
    assert [o for _, o in p.offsets()] == [39600, 37800]
    assert p.offsets()[1][0] == datetime(2026, 4, 4, 15, tzinfo=UTC)


def test_sao_paulo_has_no_dst_since_2019() -> None:
    assert len(make_period("2026-01-01", "2026-12-31", "America/Sao_Paulo", NOW).offsets()) == 1


def test_limits() -> None:
    assert len(make_period("2024-01-01", "2025-01-01", "UTC", NOW).days) == MAX_DAYS
    with pytest.raises(InvalidValue, match="at most"):
        make_period("2024-01-01", "2025-01-02", "UTC", NOW)
    assert iso_week(date(2026, 1, 1)) == "2026-W01" and iso_week(date(2027, 1, 1)) == "2026-W53"
