"""Exact report figures on the seeded history (tests/atende/reports/history.py), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.atende.reports.history import EXPECTED, EXPECTED_SLA_BY_PRIORITY, FIRST, LAST
from tests.ticket_core.conftest import Clock
from ticket_core import InvalidValue, TicketStore

Seeded = tuple[TicketStore, Clock, dict[str, str]]


def test_every_figure_of_the_seeded_history(seeded: Seeded) -> None:
    store, _, _ = seeded
    report = store.report_summary(FIRST, LAST, "UTC")
    for key, value in EXPECTED.items():
        assert report[key] == value, key
    for priority, (fr_met, fr, res_met, res) in EXPECTED_SLA_BY_PRIORITY.items():
        row = report["sla_by_priority"][priority]
        assert (row["first_response_met"], row["first_response_total"]) == (fr_met, fr), priority
        assert (row["resolution_met"], row["resolution_total"]) == (res_met, res), priority
    assert report["sla_by_priority"]["P4"]["first_response_met_rate"] == 0.5714
    assert report["sla_by_priority"]["P2"]["first_response_met_rate"] is None  # nothing due: no rate


def test_daily_series_add_up_and_sit_on_the_right_days(seeded: Seeded) -> None:
    store, _, _ = seeded
    report = store.report_summary(FIRST, LAST, "UTC")
    days = report["days"]
    assert len(days) == 14 and days[0] == FIRST and days[-1] == LAST
    for dim, totals in (("channel", "by_channel"), ("category", "by_category"), ("language", "by_language")):
        assert {k: sum(v) for k, v in report[f"volume_by_{dim}"].items()} == report[totals]
    alert = report["volume_by_origin"]["alert"]
    assert alert[days.index("2026-03-12")] == 1 and sum(alert) == 1
    user = report["volume_by_origin"]["user"]
    assert user[days.index("2026-03-10")] == 2  # 7 and 13
    assert report["volume_by_channel"]["email"][days.index("2026-03-04")] == 1


def test_day_boundaries_follow_the_time_zone(seeded: Seeded) -> None:
    store, _, _ = seeded
    # Tokyo (UTC+9): 2026-03-02 is 03-01 15:00 .. 03-02 15:00 UTC: ana's 09:00 ticket only.
    assert store.report_summary("2026-03-02", "2026-03-02", "Asia/Tokyo")["tickets_created"] == 1
    # Los Angeles (UTC-8): 2026-03-03 is 03-03 08:00 .. 03-04 08:00 UTC: bea's, not carl's 03-04 09:00.
    la = store.report_summary("2026-03-03", "2026-03-03", "America/Los_Angeles")
    assert la["by_channel"] == {"telegram": 1}


def test_a_dst_change_inside_the_range(seeded: Seeded) -> None:
    store, clock, _ = seeded
    clock.now = datetime(2026, 4, 1, tzinfo=UTC)
    # Madrid moves from UTC+1 to UTC+2 at 2026-03-29 01:00 UTC. 03-28 23:30 UTC is 03-29 00:30 local;
    # 03-29 22:30 UTC is 03-30 00:30 local (already summer time).
    report = store.report_summary("2026-03-28", "2026-03-30", "Europe/Madrid")
    assert report["volume_by_language"]["es"] == [0, 1, 1]
    utc = store.report_summary("2026-03-28", "2026-03-30", "UTC")
    assert utc["volume_by_language"]["es"] == [1, 1, 0]


def test_an_empty_period_has_null_rates(seeded: Seeded) -> None:
    store, _, _ = seeded
    report = store.report_summary("2025-01-01", "2025-01-31", "UTC")
    assert report["tickets_created"] == 0 and report["by_channel"] == {}
    for key in (
        "deflection_rate",
        "first_contact_resolution_rate",
        "sla_first_response_met_rate",
        "sla_resolution_met_rate",
        "csat_average",
        "category_corrected_rate",
    ):
        assert report[key] is None, key
    assert report["csat_responses"] == 0 and report["backlog_open"] == 0


@pytest.mark.parametrize(
    ("first", "last", "tz"),
    [
        ("2026-03-40", LAST, "UTC"),
        ("20260302", LAST, "UTC"),
        (FIRST, "2026-03-01", "UTC"),  # to before from
        ("2024-01-01", "2026-01-01", "UTC"),  # more than MAX_DAYS
        (FIRST, LAST, "Mars/Olympus"),
        (FIRST, LAST, "../../etc/passwd"),
        (FIRST, LAST, ""),
    ],
)
def test_bad_queries_are_refused(seeded: Seeded, first: str, last: str, tz: str) -> None:
    store, _, _ = seeded
    with pytest.raises(InvalidValue):
        store.report_summary(first, last, tz)
