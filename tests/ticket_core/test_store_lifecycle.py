"""The lifecycle through the store: timestamps, the log, the reopen window and automatic closing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.ticket_core.conftest import Clock, new_ticket
from ticket_core import InvalidTransition, TicketPolicy, TicketStore


def test_happy_path_records_every_move(store: TicketStore, clock: Clock) -> None:
    ref = store.create_ticket(new_ticket()).reference
    path = ["open", "in_progress", "pending_user", "in_progress", "resolved", "closed"]
    for status in path:
        clock.advance(minutes=10)
        ticket = store.transition(ref, status, "agent:bo")
        assert ticket.status == status and ticket.updated_at == clock.now
    assert ticket.resolved_at == clock.now - timedelta(minutes=10)
    assert ticket.closed_at == clock.now
    moves = [(e.payload["from"], e.payload["to"]) for e in store.events(ref) if e.kind == "status_changed"]
    assert moves == list(zip(["new", *path[:-1]], path, strict=True))


def test_invalid_transition_changes_nothing(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    before = store.events(ref)
    with pytest.raises(InvalidTransition) as info:
        store.transition(ref, "pending_user", "agent:bo")
    assert (info.value.current, info.value.target) == ("new", "pending_user")
    assert store.get(ref).status == "new"  # type: ignore[union-attr]
    assert store.events(ref) == before


@pytest.mark.parametrize("status", ["new", "open", "in_progress", "pending_user", "resolved"])
def test_requester_can_close_any_non_closed_ticket(store: TicketStore, status: str) -> None:
    ref = store.create_ticket(new_ticket()).reference
    for step in {
        "new": [],
        "open": ["open"],
        "in_progress": ["in_progress"],
        "pending_user": ["open", "pending_user"],
        "resolved": ["resolved"],
    }[status]:
        store.transition(ref, step, "agent:bo")
    assert store.transition(ref, "closed", "requester:web:session-1").status == "closed"
    with pytest.raises(InvalidTransition, match="final"):
        store.transition(ref, "open", "agent:bo")


def test_reopen_within_window(store: TicketStore, clock: Clock) -> None:
    ref = store.create_ticket(new_ticket()).reference
    store.transition(ref, "resolved", "agent:bo")
    clock.advance(days=2)
    ticket = store.transition(ref, "open", "requester")
    assert ticket.status == "open" and ticket.resolved_at is None
    # a second resolution starts a new window
    clock.advance(days=1)
    assert store.transition(ref, "resolved", "agent:bo").resolved_at == clock.now


def test_reopen_after_window_is_refused(database_url: str, clock: Clock) -> None:
    policy = TicketPolicy.from_mapping({"reopen_window_days": 7, "auto_close_days": 30})
    with TicketStore.open(database_url, policy, clock=clock) as store:
        ref = store.create_ticket(new_ticket()).reference
        store.transition(ref, "resolved", "agent:bo")
        clock.advance(days=7, seconds=1)
        with pytest.raises(InvalidTransition, match="reopen window"):
            store.transition(ref, "open", "requester")
        assert store.get(ref).status == "resolved"  # type: ignore[union-attr]


def test_self_service_reopen(store: TicketStore, clock: Clock) -> None:
    inside = store.create_ticket(new_ticket(status="self_service_resolved", kb_article_id="kb-1")).reference
    outside = store.create_ticket(new_ticket(status="self_service_resolved", kb_article_id="kb-1")).reference
    clock.advance(days=6)
    reopened = store.transition(inside, "open", "requester")
    assert reopened.status == "open" and reopened.resolved_at is None
    assert reopened.resolution_due == clock.now + timedelta(days=3)  # P4: its SLA starts at the reopen
    clock.advance(days=2)
    with pytest.raises(InvalidTransition):
        store.transition(outside, "open", "requester")
    with pytest.raises(InvalidTransition):
        store.transition(outside, "in_progress", "agent:bo")


def test_auto_close(store: TicketStore, clock: Clock) -> None:
    old = store.create_ticket(new_ticket()).reference
    store.transition(old, "resolved", "agent:bo")
    clock.advance(days=1)
    recent = store.create_ticket(new_ticket()).reference
    store.transition(recent, "resolved", "agent:bo")
    still_open = store.create_ticket(new_ticket()).reference
    self_service = store.create_ticket(new_ticket(status="self_service_resolved")).reference

    assert store.auto_close(clock.now + timedelta(days=2)) == []
    now = clock.now + timedelta(days=2, seconds=1)
    assert store.auto_close(now) == [old]
    assert store.auto_close(now) == []  # idempotent
    closed = store.get(old)
    assert closed is not None and closed.status == "closed" and closed.closed_at == now
    event = store.events(old)[-1]
    assert (event.kind, event.actor, event.payload) == (
        "status_changed",
        "system",
        {"from": "resolved", "to": "closed", "reason": "auto_close"},
    )
    assert store.auto_close(now + timedelta(days=1)) == [recent]
    statuses = {ref: store.get(ref).status for ref in (still_open, self_service)}  # type: ignore[union-attr]
    assert statuses == {still_open: "new", self_service: "self_service_resolved"}


def test_auto_close_delay_is_configurable(database_url: str, clock: Clock) -> None:
    with TicketStore.open(
        database_url, TicketPolicy.from_mapping({"auto_close_days": 1}), clock=clock
    ) as store:
        ref = store.create_ticket(new_ticket()).reference
        store.transition(ref, "resolved", "agent:bo")
        assert store.auto_close(clock.now + timedelta(hours=25)) == [ref]


def test_flag_human(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    ticket = store.flag_human(ref, "requester:web:session-1")
    assert ticket.needs_human
    event = store.events(ref)[-1]
    assert (event.kind, event.actor) == ("human_requested", "requester:web:session-1")


def test_update_is_atomic(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    before = store.events(ref)
    with pytest.raises(InvalidTransition):
        store.update(ref, "agent:bo", category="hardware", assignee="bo", status="pending_user")
    ticket = store.get(ref)
    assert ticket is not None and (ticket.category, ticket.assignee, ticket.status) == (
        "network",
        None,
        "new",
    )
    assert store.events(ref) == before
