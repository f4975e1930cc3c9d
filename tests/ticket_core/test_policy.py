"""ITIL priority matrix and SLA targets: defaults, overrides from settings, refusal of bad settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticket_core import InvalidValue, TicketPolicy
from ticket_core.policy import parse_duration

DEFAULT_CELLS = [
    ("organization", "high", "P1"),
    ("organization", "medium", "P2"),
    ("organization", "low", "P3"),
    ("team", "high", "P2"),
    ("team", "medium", "P3"),
    ("team", "low", "P4"),
    ("individual", "high", "P3"),
    ("individual", "medium", "P4"),
    ("individual", "low", "P5"),
]


@pytest.mark.parametrize(("impact", "urgency", "priority"), DEFAULT_CELLS)
def test_default_matrix(impact: str, urgency: str, priority: str) -> None:
    assert TicketPolicy().priority(impact, urgency) == priority


@pytest.mark.parametrize(
    ("priority", "first_response", "resolution"),
    [
        ("P1", timedelta(minutes=15), timedelta(hours=4)),
        ("P2", timedelta(hours=1), timedelta(hours=8)),
        ("P3", timedelta(hours=4), timedelta(days=1)),
        ("P4", timedelta(hours=8), timedelta(days=3)),
        ("P5", timedelta(days=2), timedelta(days=10)),
    ],
)
def test_default_sla_due_times(priority: str, first_response: timedelta, resolution: timedelta) -> None:
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert TicketPolicy().due_times(priority, start) == (start + first_response, start + resolution)


def test_defaults() -> None:
    policy = TicketPolicy()
    assert policy.reopen_window == timedelta(days=7)
    assert policy.auto_close_after == timedelta(days=3)


def test_partial_override_keeps_other_defaults() -> None:
    policy = TicketPolicy.from_mapping(
        {
            "matrix": {"team": {"high": "p1"}},
            "sla": {"P1": {"first_response": "10m"}, "P5": {"resolution": 20160}},
            "reopen_window_days": 14,
            "auto_close_days": "36h",
        }
    )
    assert policy.priority("team", "high") == "P1"
    assert policy.priority("team", "medium") == "P3"
    assert policy.sla["P1"].first_response == timedelta(minutes=10)
    assert policy.sla["P1"].resolution == timedelta(hours=4)
    assert policy.sla["P5"].resolution == timedelta(days=14)  # bare numbers are minutes
    assert policy.reopen_window == timedelta(days=14)  # bare numbers are days here
    assert policy.auto_close_after == timedelta(hours=36)


def test_from_json_equals_from_mapping() -> None:
    text = '{"matrix": {"individual": {"low": "P4"}}, "reopen_window_days": 0}'
    policy = TicketPolicy.from_json(text)
    assert policy.priority("individual", "low") == "P4"
    assert policy.reopen_window == timedelta(0)
    assert TicketPolicy.from_json("{}") == TicketPolicy()


@pytest.mark.parametrize(
    "settings",
    [
        {"matrix": {"team": {"high": "P9"}}},
        {"matrix": {"galaxy": {"high": "P1"}}},
        {"matrix": {"team": {"critical": "P1"}}},
        {"matrix": {"team": "P1"}},
        {"sla": {"P6": {"resolution": "1h"}}},
        {"sla": {"P1": {"resolution": "soon"}}},
        {"sla": {"P1": {"resolution": "-1h"}}},
        {"sla": {"P1": {"respond": "1h"}}},
        {"auto_close_days": 0},
        {"auto_close_days": True},
        {"priorities": {}},
    ],
)
def test_bad_settings_fail_fast(settings: dict[str, object]) -> None:
    with pytest.raises(InvalidValue):
        TicketPolicy.from_mapping(settings)


def test_invalid_json_is_reported() -> None:
    with pytest.raises(InvalidValue, match="invalid JSON"):
        TicketPolicy.from_json("{matrix")
    with pytest.raises(InvalidValue):
        TicketPolicy.from_json("[1, 2]")


def test_incomplete_matrix_is_refused() -> None:
    with pytest.raises(InvalidValue, match="missing impact"):
        TicketPolicy(matrix={"team": {"low": "P1", "medium": "P1", "high": "P1"}})


def test_unknown_impact_or_urgency() -> None:
    with pytest.raises(InvalidValue):
        TicketPolicy().priority("everyone", "high")
    with pytest.raises(InvalidValue):
        TicketPolicy().priority("team", "whenever")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("90s", timedelta(seconds=90)),
        (30, timedelta(minutes=30)),
        (" 1.5h ", timedelta(minutes=90)),
        (timedelta(hours=2), timedelta(hours=2)),
    ],
)
def test_parse_duration(value: object, expected: timedelta) -> None:
    assert parse_duration(value, what="x") == expected
