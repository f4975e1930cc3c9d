"""An SLA configuration on a UTC office calendar, so expected due times can be worked out by hand:
Monday to Friday 09:00-18:00, P3 first response 4 business hours and resolution 24 business hours, P1 24x7."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.ticket_core.conftest import Clock
from ticket_core import TicketPolicy, TicketStore
from ticket_core.sla import SlaConfig

OFFICE: dict[str, Any] = {
    "default_calendar": "office",
    "calendars": {"office": {"timezone": "UTC", "hours": {"mon-fri": "09:00-18:00"}}},
    "targets": {
        "P1": {"first_response": "15m", "resolution": "4h", "mode": "24x7"},
        "P2": {"first_response": "1h", "resolution": "8h"},
        "P3": {"first_response": "4h", "resolution": "24h"},
        "P4": {"first_response": "8h", "resolution": "72h"},
        "P5": {"first_response": "48h", "resolution": "240h"},
    },
}


def office_config(**changes: Any) -> SlaConfig:
    return SlaConfig.from_mapping({**OFFICE, **changes})


@pytest.fixture
def sla_store(database_url: str, clock: Clock) -> Iterator[TicketStore]:
    s = TicketStore.open(database_url, TicketPolicy(sla_config=office_config()), clock=clock)
    try:
        yield s
    finally:
        s.close()
