"""tickets.first_responded_at: set once, by the first public reply of an agent, never by the bot."""

from __future__ import annotations

from tests.ticket_core.conftest import Clock, new_ticket
from ticket_core import TicketStore


def test_first_public_agent_reply_sets_first_responded_at(store: TicketStore, clock: Clock) -> None:
    ref = store.create_ticket(new_ticket()).reference
    assert store.get(ref).first_responded_at is None  # type: ignore[union-attr]
    clock.advance(minutes=5)
    store.record_event(ref, "agent_reply", {"text": "bot says hi"}, "bot")
    store.record_event(ref, "agent_reply", {"text": "note", "internal": True}, "alice")
    store.record_event(ref, "message_out", {"text": "hello"}, "alice")
    assert store.get(ref).first_responded_at is None  # type: ignore[union-attr]
    clock.advance(minutes=5)
    first = clock.now
    store.record_event(ref, "agent_reply", {"text": "On it"}, "alice")
    clock.advance(minutes=5)
    store.record_event(ref, "agent_reply", {"text": "Still on it"}, "bob")
    ticket = store.get(ref)
    assert ticket is not None and ticket.first_responded_at == first


def test_requester_actor_is_not_a_first_response(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    store.record_event(ref, "agent_reply", {"text": "x"}, "requester:web:session-1")
    assert store.get(ref).first_responded_at is None  # type: ignore[union-attr]
