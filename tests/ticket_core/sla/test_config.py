"""The SLA data file: the shipped default and the worked example in docs/ load; mistakes are refused with a
message that names them; ATENDE_SLA_TARGETS keeps each target's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ticket_core import InvalidValue, TicketPolicy
from ticket_core.sla import SlaConfig

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "sla-example.yaml"


def test_the_shipped_default_is_office_hours_with_p1_on_24x7() -> None:
    config = SlaConfig.load()
    assert config.targets["P1"].resolution.mode == "24x7"
    assert config.targets["P3"].resolution.mode == "business"
    assert config.levels == (75, 90, 100) and config.pausing == frozenset({"pending_user"})
    friday = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    policy = TicketPolicy(sla_config=config)
    first, _ = policy.due_times("P3", friday)
    assert first == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # 1h Friday + 3h Monday


def test_the_worked_example_in_the_docs_loads_and_chooses_calendars() -> None:
    config = SlaConfig.load(EXAMPLE)
    assert config.calendar_for("network").name == "new_york"
    assert config.calendar_for("network", "ceo@example.com").name == "always"
    assert config.calendar_for("hardware", "ana@example.com.br").name == "sao_paulo"
    assert config.calendar_for("hardware", "ana@example.com").name == "madrid"
    assert config.team_for("network").addresses["slack"] == ("C0NETOPS",)
    assert config.team_for("printing").addresses["slack"] == ("C0SERVICEDESK",)
    assert config.agent_recipients("marta").addresses["email"] == ("marta@example.com",)
    assert config.agent_recipients("pat@example.com").addresses["email"] == ("pat@example.com",)
    assert config.targets["P5"].first_response.duration == timedelta(days=2)
    assert config.calendars["sao_paulo"].holidays.subdivision == "SP"
    assert [e.target for e in config.escalations] == ["resolution", "first_response"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"targets": {"P1": {"first_response": "15m"}}}, "resolution is required"),
        ({"targets": {"P9": {"first_response": "1h", "resolution": "2h"}}}, "unknown priority"),
        ({"default_calendar": "mars"}, "default_calendar"),
        ({"calendar_rules": [{"category": "network", "calendar": "mars"}]}, "unknown calendar"),
        ({"pausing_statuses": ["waiting"]}, "pausing statuses"),
        ({"warnings": [120]}, "percentages"),
        ({"colour": "blue"}, "unknown keys"),
        ({"calendars": {"x": {"timezone": "Mars/Base", "hours": {"mon": "09:00-10:00"}}}}, "time zone"),
        ({"calendars": {"x": {"hours": {"mon": "09:00-10:00"}, "holidays": {"country": "XX"}}}}, "holidays"),
        ({"escalations": [{"when": {"target": "lunch"}}]}, "target"),
    ],
)
def test_mistakes_are_refused_by_name(change: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {
        "calendars": {"office": {"timezone": "UTC", "hours": {"mon-fri": "09:00-18:00"}}},
        "targets": {p: {"first_response": "1h", "resolution": "8h"} for p in ("P1", "P2", "P3", "P4", "P5")},
    }
    with pytest.raises(InvalidValue, match=message):
        SlaConfig.from_mapping({**base, **change})


def test_sla_targets_override_moves_durations_and_keeps_the_clock() -> None:
    config = SlaConfig.load().with_durations({"P3": (timedelta(hours=2), timedelta(hours=10))})
    assert config.targets["P3"].first_response.duration == timedelta(hours=2)
    assert config.targets["P3"].first_response.mode == "business"
    assert config.targets["P1"].first_response.duration == timedelta(minutes=15)
