"""A seeded history of known tickets, written through TicketStore with a controlled clock, whose every
report figure is counted by hand below (docs/reports.md has the definitions).

Default policy, 24x7 targets: P1 15 min / 4 h, P3 4 h / 1 d, P4 8 h / 3 d, P5 2 d / 10 d. The report period is
2026-03-02 (Mon) .. 2026-03-15 (Sun) in UTC and the report is computed at NOW (Sun 2026-03-15 20:00 UTC).

 #  who   channel   category            lang  prio  story
 1  ana   web       network             en    P4    reply +1h, resolved +2h, CSAT 5          -> first contact
 2  bea   telegram  email               es    P4    reply +9h (late), resolved, reopened, resolved, CSAT 2
 3  carl  email     access              pt    P4    reply +1h, resolved +3h, CSAT 4; carl back 2 days later
 4  carl  email     printing            pt    P4    never answered, still new (FR and resolution breached)
 5  dan   web       password            en    -     self-service, accepted, not back         -> deflected
 6  eva   slack     password            es    -     self-service, but eva reports password again next day
 7  eva   slack     password            es    P4    reply +1h, resolved +5h, CSAT 3          -> first contact
 8  fay   web       network -> vpn      en    P4    self-service reopened by fay; agent corrects the category
 9  -     alert     server              -     P1    alert-opened; reply +10 min, resolved 5 h later (late)
10  gus   whatsapp  hardware->printing  es    P3    the bot (not an agent) re-files it; in progress, overdue
12  jon   web       network             en    P4    created 10 h before NOW, unanswered past its 8 h
13  lia   web       email               pt    P5    answered, waiting on lia (pending_user)
11  ivy   web       network             en    P4    created 2026-02-27, before the period: backlog only
D1, D2  Madrid DST-day tickets (2026-03-28 23:30, 2026-03-29 22:30 UTC), after NOW: outside all the above
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.ticket_core.conftest import Clock, new_ticket
from ticket_core import TicketStore

FIRST, LAST = "2026-03-02", "2026-03-15"
NOW = datetime(2026, 3, 15, 20, 0, tzinfo=UTC)
AGENT = "marta"


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def seed(store: TicketStore, clock: Clock) -> dict[str, str]:
    """Write the history; returns the references by story number."""
    refs: dict[str, str] = {}

    def file(key: str, when: datetime, who: str, channel: str, **fields: Any) -> str:
        clock.now = when
        fields.setdefault("impact", "individual")
        fields.setdefault("urgency", "medium")  # P4
        ticket = store.create_ticket(new_ticket(channel=channel, address=who, **fields))
        refs[key] = ticket.reference
        return ticket.reference

    def then(when: datetime) -> None:
        clock.now = when

    def reply(ref: str, when: datetime) -> None:
        then(when)
        store.record_event(ref, "agent_reply", {"text": "On it."}, AGENT)

    def resolve(ref: str, when: datetime) -> None:
        then(when)
        store.transition(ref, "resolved", AGENT)

    def csat(ref: str, score: int) -> None:
        store.set_csat(ref, score)

    r = file("1", at(2, 9), "ana", "web", category="network", language="en")
    reply(r, at(2, 10))
    resolve(r, at(2, 11))
    csat(r, 5)

    r = file("2", at(3, 9), "bea", "telegram", category="email", language="es")
    reply(r, at(3, 18))
    resolve(r, at(4, 9))
    then(at(4, 12))
    store.transition(r, "open", "requester")
    resolve(r, at(5, 9))
    csat(r, 2)

    r = file("3", at(4, 9), "carl", "email", category="access", language="pt")
    reply(r, at(4, 10))
    resolve(r, at(4, 12))
    csat(r, 4)
    file("4", at(6, 9), "carl", "email", category="printing", language="pt")

    file(
        "5",
        at(5, 10),
        "dan",
        "web",
        category="password",
        language="en",
        status="self_service_resolved",
        kb_article_id="kb-password-reset",
    )

    file(
        "6",
        at(9, 10),
        "eva",
        "slack",
        category="password",
        language="es",
        status="self_service_resolved",
        kb_article_id="kb-password-reset",
    )
    r = file("7", at(10, 10), "eva", "slack", category="password", language="es")
    reply(r, at(10, 11))
    resolve(r, at(10, 15))
    csat(r, 3)

    r = file(
        "8",
        at(11, 10),
        "fay",
        "web",
        category="network",
        language="en",
        status="self_service_resolved",
        kb_article_id="kb-vpn",
    )
    then(at(11, 12))
    store.transition(r, "open", "requester")  # due times start now: 20:00 and 2026-03-14 12:00
    then(at(11, 13))
    store.update(r, AGENT, category="vpn")
    reply(r, at(11, 14))
    resolve(r, at(12, 9))

    r = file(
        "9",
        at(12, 3),
        "prometheus",
        "alert",
        category="server",
        language=None,
        impact="organization",
        urgency="high",
    )  # P1: due 03:15 and 07:00
    reply(r, at(12, 3, 10))
    resolve(r, at(12, 8))

    r = file("10", at(13, 9), "gus", "whatsapp", category="hardware", language="es", impact="team")  # P3
    then(at(13, 9, 1))
    store.update(r, "bot", category="printing")
    then(at(13, 11))
    store.update(r, AGENT, assignee=AGENT, status="in_progress")
    reply(r, at(13, 12))

    file("12", at(15, 10), "jon", "web", category="network", language="en")

    r = file("13", at(10, 12), "lia", "web", category="email", language="pt", urgency="low")  # P5
    reply(r, at(10, 13))
    then(at(10, 14))
    store.transition(r, "open", AGENT)
    store.transition(r, "pending_user", AGENT)

    file("11", at(27, 9, month=2), "ivy", "web", category="network", language="en")

    for key, when in (("D1", at(28, 23, 30)), ("D2", at(29, 22, 30))):
        r = file(key, when, "dst-" + key, "web", category="network", language="es")
        resolve(r, when + timedelta(minutes=30))
    clock.now = NOW
    return refs


#: The report over FIRST..LAST in UTC at NOW, counted by hand from the table above.
EXPECTED: dict[str, Any] = {
    "tickets_created": 12,
    "by_channel": {"alert": 1, "email": 2, "slack": 2, "telegram": 1, "web": 5, "whatsapp": 1},
    "by_category": {
        "access": 1,
        "email": 2,
        "network": 2,
        "password": 3,
        "printing": 2,
        "server": 1,
        "vpn": 1,
    },
    "by_language": {"en": 4, "es": 4, "pt": 3, "unknown": 1},
    "alert_opened": 1,
    "user_opened": 11,
    # 5 (dan) only: 6 reported again within 7 days, 8 reopened.
    "deflection": {"deflected": 1, "user_opened": 11},
    "deflection_rate": 0.0909,
    # resolved by an agent: 1, 2, 3, 7, 8; first contact: 1, 7 (2 and 8 reopened, carl came back after 3).
    "first_contact_resolution": {"first_contact": 2, "resolved": 5},
    "first_contact_resolution_rate": 0.4,
    # due and decided: 1 2 3 4 7 8 9 10 12 13; met: 1 3 7 8 9 10 13 (2 late, 4 and 12 unanswered past due).
    "sla_first_response_met_rate": 0.7,
    # decided: 1 2 3 4 7 8 9 10 (12 and 13 not due yet); met: 1 2 3 7 8.
    "sla_resolution_met_rate": 0.625,
    "csat_average": 3.5,
    "csat_responses": 4,
    "csat_distribution": {"1": 0, "2": 1, "3": 1, "4": 1, "5": 1},
    # open and created before NOW: 12 (10 h), 10 (2.5 d), 13 (5.3 d), 4 (9.5 d), 11 (16.5 d).
    "backlog_open": 5,
    "backlog_ageing": {"lt_1d": 1, "1_3d": 1, "3_7d": 1, "gt_7d": 2},
    # 8 only: the bot's re-filing of 10 is not an agent's correction.
    "category_corrected_rate": 0.0909,
    "category_corrected": {"corrected": 1, "user_opened": 11},
    "drift_by_week": [
        {"week": "2026-W10", "user_opened": 5, "corrected": 0, "rate": 0.0},
        {"week": "2026-W11", "user_opened": 6, "corrected": 1, "rate": 0.1667},
    ],
}

EXPECTED_SLA_BY_PRIORITY: dict[str, tuple[int, int, int, int]] = {
    # priority: (first response met, decided, resolution met, decided)
    "P1": (1, 1, 0, 1),
    "P2": (0, 0, 0, 0),
    "P3": (1, 1, 0, 1),
    "P4": (4, 7, 5, 6),
    "P5": (1, 1, 0, 0),
}
