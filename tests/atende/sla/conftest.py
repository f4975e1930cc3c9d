"""SLA scanner fixtures: the ticket store on SQLite or PostgreSQL with a controllable clock, an SLA
configuration on the 24x7 clock (so percentages are minutes: P3 first response 100 minutes, resolution
1000), and the far sides of the notification channels: a fake Slack Web API and a local SMTP relay, reached
through the real connectors' Outbounds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectorContext, MemoryState, Outbound
from tests.connectors.email.conftest import FakeRelay, email_env_for, free_port
from tests.connectors.slack.conftest import slack_env
from tests.connectors.slack.fake_slack import FakeSlack
from tests.ticket_core.conftest import Clock
from ticket_core import NewTicket, RequesterIdentity, TicketPolicy, TicketStore
from ticket_core.sla import SlaConfig

SLA: dict[str, Any] = {
    "default_calendar": "always",
    "calendars": {"always": {"timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}}},
    "targets": {p: {"first_response": "100m", "resolution": "1000m", "mode": "24x7"}
                for p in ("P1", "P2", "P3", "P4", "P5")},
    "warnings": [75, 90],
    "notifications": {
        "channels": ["email", "slack"],
        "agents": {"marta": {"email": ["marta@example.com"], "slack": ["U0MARTA"]}},
        "teams": {"network": {"slack": ["C0NETOPS"]},
                  "default": {"slack": ["C0DESK"]}},
    },
    "escalations": [
        {"when": {"target": "resolution", "priorities": ["P3", "P4", "P5"]}, "raise_priority": True,
         "reassign": "lead", "notify": {"email": ["lead@example.com"]}},
    ],
}
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def sla_policy(**changes: Any) -> TicketPolicy:
    return TicketPolicy(sla_config=SlaConfig.from_mapping({**SLA, **changes}))


def new_ticket(address: str, category: str = "network") -> NewTicket:
    return NewTicket(title="VPN drops", description="The VPN drops every 5 minutes", category=category,
                     type="incident", impact="individual", urgency="high", channel="web",
                     requester=RequesterIdentity("web", address))


@pytest.fixture(params=BACKENDS)
def sla_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tickets.db'}"
    return str(request.getfixturevalue("postgres_database_url"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(sla_database_url: str, clock: Clock) -> Iterator[TicketStore]:
    with TicketStore.open(sla_database_url, sla_policy(), clock=clock) as s:
        yield s


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def slack_outbound(fake: FakeSlack, data_dir: Path) -> Outbound:
    """The real Slack connector's Outbound, talking to the fake Web API."""
    from connectors.slack import mount

    ctx = ConnectorContext(inbox=None, data_dir=data_dir, public_url=None)  # type: ignore[arg-type]
    mounted = mount(ctx, slack_env(fake))
    assert mounted is not None and mounted.outbound is not None
    mounted.outbound.retry_base_delay = 0.01  # type: ignore[attr-defined]
    return mounted.outbound


@pytest.fixture
async def email_relay() -> AsyncIterator[FakeRelay]:
    relay = FakeRelay()
    await relay.start()
    yield relay
    await relay.stop()


def email_outbound(relay: FakeRelay, data_dir: Path) -> Outbound:
    """The real e-mail connector's Outbound (its SMTP client), relaying to the local aiosmtpd server."""
    from connectors.email import mount

    ctx = ConnectorContext(inbox=None, data_dir=data_dir, public_url=None,  # type: ignore[arg-type]
                           state=MemoryState())
    mounted = mount(ctx, email_env_for(relay.port, free_port()))
    assert mounted is not None and mounted.outbound is not None
    mounted.outbound.retry_base_delay = 0.01  # type: ignore[attr-defined]
    return mounted.outbound
