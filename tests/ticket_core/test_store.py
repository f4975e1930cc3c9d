"""Filing, reading, listing and editing tickets (runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest

from tests.ticket_core.conftest import T0, Clock, new_ticket
from ticket_core import InvalidValue, NewAttachment, Ticket, TicketNotFound, TicketStore


@pytest.mark.parametrize(
    ("type_", "prefix"), [("incident", "INC"), ("request", "REQ"), ("problem", "PRB"), ("change", "CHG")]
)
def test_reference_prefix_per_type(store: TicketStore, type_: str, prefix: str) -> None:
    first = store.create_ticket(new_ticket(type=type_))
    second = store.create_ticket(new_ticket(type=type_))
    assert (first.reference, second.reference) == (f"{prefix}-000001", f"{prefix}-000002")


def test_counters_are_per_prefix(store: TicketStore) -> None:
    refs = [store.create_ticket(new_ticket(type=t)).reference for t in ("incident", "request", "incident")]
    assert refs == ["INC-000001", "REQ-000001", "INC-000002"]


def test_create_sets_priority_sla_and_fields(store: TicketStore) -> None:
    ticket = store.create_ticket(
        new_ticket(
            impact="organization",
            urgency="high",
            conversation_key="web:session-1",
            language="es",
            answers={"device": "laptop", "since": "today"},
            kb_article_id=None,
            classification={"model_version": "clf-1", "category": {"label": "network", "confidence": 0.91}},
        )
    )
    assert ticket.priority == "P1"
    assert ticket.status == "new"
    assert ticket.created_at == ticket.updated_at == T0
    assert ticket.first_response_due == T0 + timedelta(minutes=15)
    assert ticket.resolution_due == T0 + timedelta(hours=4)
    assert ticket.answers == {"device": "laptop", "since": "today"}
    assert ticket.classification is not None and ticket.classification["model_version"] == "clf-1"
    assert (ticket.channel, ticket.conversation_key, ticket.language) == ("web", "web:session-1", "es")
    assert ticket.requester.display_name == "Ana"
    assert ticket.is_open and not ticket.needs_human
    assert store.get(ticket.reference) == ticket


def test_datetimes_are_aware_utc(store: TicketStore) -> None:
    ticket = store.create_ticket(new_ticket())
    loaded = store.get(ticket.reference)
    assert loaded is not None
    for value in (loaded.created_at, loaded.updated_at, loaded.first_response_due, loaded.resolution_due):
        assert value is not None and value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert all(e.at.tzinfo is not None for e in store.events(ticket.reference))


def test_explicit_priority_overrides_matrix(store: TicketStore) -> None:
    assert store.create_ticket(new_ticket(priority="P2")).priority == "P2"


def test_create_records_transcript_and_classification(store: TicketStore) -> None:
    transcript = [
        ("in", "the vpn is broken", T0 - timedelta(minutes=3)),
        ("out", "Since when?", T0 - timedelta(minutes=2)),
        ("in", "today", T0 - timedelta(minutes=1)),
    ]
    ticket = store.create_ticket(
        new_ticket(
            transcript=transcript,
            classification={"model_version": "clf-1", "type": {"label": "incident", "confidence": 0.8}},
        )
    )
    events = store.events(ticket.reference)
    messages = [(e.kind, e.payload["text"], e.at) for e in events if e.kind.startswith("message_")]
    assert messages == [
        ("message_in", "the vpn is broken", transcript[0][2]),
        ("message_out", "Since when?", transcript[1][2]),
        ("message_in", "today", transcript[2][2]),
    ]
    classified = [e for e in events if e.kind == "classified"]
    assert len(classified) == 1 and classified[0].payload["type"] == {"label": "incident", "confidence": 0.8}
    assert [e.kind for e in events] == ["message_in", "message_out", "message_in", "created", "classified"]
    assert [e.id for e in events] == sorted(e.id for e in events)


def test_self_service_resolution(store: TicketStore) -> None:
    ticket = store.create_ticket(new_ticket(status="self_service_resolved", kb_article_id="kb-vpn-reset"))
    assert ticket.status == "self_service_resolved"
    assert ticket.resolved_at == T0 and ticket.kb_article_id == "kb-vpn-reset"
    assert ticket.first_response_due is None and not ticket.is_open
    linked = [e for e in store.events(ticket.reference) if e.kind == "kb_linked"]
    assert linked[0].payload == {"article_id": "kb-vpn-reset", "solved": True}


BAD_NEW_TICKET_FIELDS: list[dict[str, Any]] = [
    {"type": "incidentish"},
    {"impact": "galaxy"},
    {"urgency": "now"},
    {"status": "open"},
    {"title": "  "},
    {"category": ""},
    {"priority": "P0"},
    {"answers": {"when": object()}},
]


def test_create_rejects_bad_values(store: TicketStore) -> None:
    for fields in BAD_NEW_TICKET_FIELDS:
        with pytest.raises(InvalidValue):
            store.create_ticket(new_ticket(**fields))
    assert store.list_tickets() == []


def test_naive_transcript_time_is_refused(store: TicketStore) -> None:
    with pytest.raises(InvalidValue, match="timezone-aware"):
        store.create_ticket(new_ticket(transcript=[("in", "hi", T0.replace(tzinfo=None))]))


def test_long_title_is_truncated(store: TicketStore) -> None:
    assert len(store.create_ticket(new_ticket(title="x" * 1000)).title) == 300


def test_get_unknown_and_case_insensitive(store: TicketStore) -> None:
    ticket = store.create_ticket(new_ticket())
    assert store.get("INC-999999") is None
    assert store.get(" inc-000001 ") == ticket
    with pytest.raises(TicketNotFound):
        store.transition("INC-999999", "open", "agent:bo")
    with pytest.raises(TicketNotFound):
        store.events("INC-999999")


def test_attachments_at_creation_and_with_messages(store: TicketStore) -> None:
    ticket = store.create_ticket(
        new_ticket(attachments=[NewAttachment("error.png", "image/png", 2048, path="a/1")])
    )
    assert [(a.name, a.size, a.path) for a in ticket.attachments] == [("error.png", 2048, "a/1")]
    updated = store.add_message(
        ticket.reference,
        "in",
        "log attached",
        "web",
        "requester",
        attachments=[NewAttachment("vpn.log", "text/plain", 10, url="https://x/y")],
    )
    assert [a.name for a in updated.attachments] == ["error.png", "vpn.log"]
    event = store.events(ticket.reference)[-1]
    assert event.kind == "message_in" and event.payload["attachments"] == ["vpn.log"]


def test_add_message_pending_user_goes_back_to_queue(store: TicketStore, clock: Clock) -> None:
    ref = store.create_ticket(new_ticket()).reference
    store.transition(ref, "open", "agent:bo")
    store.transition(ref, "pending_user", "agent:bo")
    clock.advance(hours=1)
    ticket = store.add_message(ref, "in", "here is the info", "web", "requester")
    assert ticket.status == "open" and ticket.updated_at == clock.now

    store.update(ref, "agent:bo", assignee="bo", status="pending_user")
    assert store.add_message(ref, "in", "more info", "web", "requester").status == "in_progress"
    assert store.add_message(ref, "out", "thanks", "web", "agent:bo").status == "in_progress"


def test_add_message_rejects_unknown_direction(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    with pytest.raises(InvalidValue):
        store.add_message(ref, "sideways", "x", "web", "requester")


def test_update_records_field_changes(store: TicketStore, clock: Clock) -> None:
    ref = store.create_ticket(new_ticket(impact="individual", urgency="low")).reference
    assert store.get(ref).priority == "P5"  # type: ignore[union-attr]
    clock.advance(minutes=5)
    ticket = store.update(
        ref, "agent:bo", category="hardware", type="request", assignee="bo", status="in_progress"
    )
    assert (ticket.category, ticket.type, ticket.assignee, ticket.status) == (
        "hardware",
        "request",
        "bo",
        "in_progress",
    )
    assert ticket.reference == ref  # the prefix does not follow the type
    assert ticket.updated_at == clock.now
    events = store.events(ref)
    changes = {
        (e.payload["field"], e.payload["old"], e.payload["new"], e.actor)
        for e in events
        if e.kind == "field_changed"
    }
    assert changes == {
        ("category", "network", "hardware", "agent:bo"),
        ("type", "incident", "request", "agent:bo"),
    }
    assigned = [e.payload for e in events if e.kind == "assigned"]
    assert assigned == [{"old": None, "new": "bo"}]
    assert [e.payload for e in events if e.kind == "status_changed"] == [{"from": "new", "to": "in_progress"}]


def test_update_impact_recomputes_priority_and_sla(store: TicketStore, clock: Clock) -> None:
    ref = store.create_ticket(new_ticket(impact="individual", urgency="low")).reference
    clock.advance(hours=2)
    ticket = store.update(ref, "agent:bo", impact="organization", urgency="high")
    assert ticket.priority == "P1"
    assert ticket.first_response_due == T0 + timedelta(minutes=15)  # SLA counts from creation
    assert ticket.resolution_due == T0 + timedelta(hours=4)
    fields = [e.payload["field"] for e in store.events(ref) if e.kind == "field_changed"]
    assert fields == ["impact", "urgency", "priority"]


def test_explicit_priority_wins_over_recompute(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket(impact="individual", urgency="low")).reference
    ticket = store.update(ref, "agent:bo", impact="organization", priority="P4")
    assert (ticket.impact, ticket.priority) == ("organization", "P4")
    assert ticket.resolution_due == T0 + timedelta(days=3)


def test_update_without_change_logs_nothing(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    before = len(store.events(ref))
    store.update(ref, "agent:bo", category="network", type="incident", status="new")
    assert len(store.events(ref)) == before


def test_unassign_and_clear_needs_human(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    store.update(ref, "agent:bo", assignee="bo")
    assert store.flag_human(ref, "requester").needs_human
    ticket = store.update(ref, "agent:bo", assignee="", needs_human=False)
    assert ticket.assignee is None and not ticket.needs_human
    kinds = [e.kind for e in store.events(ref)]
    assert kinds.count("assigned") == 2 and "human_requested" in kinds


def test_update_rejects_bad_values(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    for bad in ({"priority": "P7"}, {"type": "bug"}, {"impact": "x"}, {"status": "done"}):
        with pytest.raises(InvalidValue):
            store.update(ref, "agent:bo", **bad)  # type: ignore[arg-type]
    assert store.get(ref).priority == "P4"  # type: ignore[union-attr]


def test_csat_validation(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    for score in (0, 6, -1, True, 3.5, "4"):
        with pytest.raises(InvalidValue):
            store.set_csat(ref, score, None)  # type: ignore[arg-type]
    assert store.get(ref).csat_score is None  # type: ignore[union-attr]


def test_csat_is_stored_and_logged(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    store.transition(ref, "resolved", "agent:bo")
    ticket = store.set_csat(ref, 5, "quick, thanks")
    assert (ticket.csat_score, ticket.csat_comment) == (5, "quick, thanks")
    assert store.events(ref)[-1].payload == {"score": 5, "comment": "quick, thanks"}


def _refs(tickets: list[Ticket]) -> list[str]:
    return [t.reference for t in tickets]


def test_list_filters(store: TicketStore, clock: Clock) -> None:
    a = store.create_ticket(
        new_ticket(title="Printer jam", category="printing", channel="telegram", address="1")
    )
    clock.advance(minutes=1)
    b = store.create_ticket(new_ticket(title="VPN down", description="50% packet_loss", address="2"))
    clock.advance(minutes=1)
    c = store.create_ticket(new_ticket(title="New laptop", type="request", category="hardware", address="3"))
    store.transition(c.reference, "resolved", "agent:bo")

    assert _refs(store.list_tickets()) == [c.reference, b.reference, a.reference]  # newest first
    assert _refs(store.list_tickets(status="resolved")) == [c.reference]
    assert _refs(store.list_tickets(channel="telegram")) == [a.reference]
    assert _refs(store.list_tickets(category="network")) == [b.reference]
    assert _refs(store.list_tickets(q="printer")) == [a.reference]
    assert _refs(store.list_tickets(q="50%")) == [b.reference]  # LIKE wildcards are literal
    assert _refs(store.list_tickets(q="r_j")) == []  # "Printer jam" would match a wildcard
    assert _refs(store.list_tickets(q="req-000001")) == [c.reference]
    assert _refs(store.list_tickets(open_only=True)) == [b.reference, a.reference]
    assert _refs(store.list_tickets(requester=("web", "2"))) == [b.reference]
    assert store.list_tickets(requester=("web", "nobody")) == []
    assert _refs(store.list_tickets(limit=1, offset=1)) == [b.reference]
    with pytest.raises(InvalidValue):
        store.list_tickets(status="done")


def test_values_returned_are_detached(store: TicketStore) -> None:
    ticket = store.create_ticket(new_ticket(answers={"a": "1"}))
    ticket.answers["a"] = "changed"
    assert store.get(ticket.reference).answers == {"a": "1"}  # type: ignore[union-attr]
    with pytest.raises(AttributeError):
        ticket.status = "closed"  # type: ignore[misc]


def test_clock_must_be_aware(database_url: str) -> None:
    from datetime import datetime

    store = TicketStore.open(database_url, clock=lambda: datetime(2026, 1, 1))
    try:
        with pytest.raises(InvalidValue):
            store.create_ticket(new_ticket())
    finally:
        store.close()
    assert datetime.now(UTC).tzinfo is UTC
