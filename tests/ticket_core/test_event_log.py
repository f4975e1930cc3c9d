"""The event log only grows: the API offers no way to change it and the database refuses to."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.ticket_core.conftest import Clock, new_ticket
from ticket_core import EVENT_KINDS, RECORDABLE_EVENT_KINDS, STATE_EVENT_KINDS, InvalidValue, TicketStore

REQUIRED_KINDS = {
    "message_in",
    "message_out",
    "status_changed",
    "classified",
    "field_changed",
    "assigned",
    "agent_reply",
    "notification_sent",
    "notification_failed",
    "csat",
    "human_requested",
    "kb_linked",
}


def test_required_kinds_exist() -> None:
    assert REQUIRED_KINDS <= EVENT_KINDS


def test_record_every_recordable_kind(store: TicketStore, clock: Clock) -> None:
    ref = store.create_ticket(new_ticket()).reference
    for kind in sorted(RECORDABLE_EVENT_KINDS):
        clock.advance(seconds=30)
        event = store.record_event(ref, kind, {"detail": kind, "n": 1, "nested": {"ok": True}}, "system")
        assert (event.reference, event.kind, event.actor, event.at) == (ref, kind, "system", clock.now)
        assert store.events(ref)[-1] == event
        assert event.payload == {"detail": kind, "n": 1, "nested": {"ok": True}}


def test_state_kinds_only_come_with_the_change(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    before = store.events(ref)
    for kind in sorted(STATE_EVENT_KINDS):
        with pytest.raises(InvalidValue):
            store.record_event(ref, kind, {"from": "new", "to": "closed"}, "agent:bo")
    assert store.events(ref) == before


def test_unknown_kind_and_bad_payload_are_refused(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    with pytest.raises(InvalidValue):
        store.record_event(ref, "deleted", {}, "agent:bo")
    with pytest.raises(InvalidValue):
        store.record_event(ref, "agent_reply", {"when": {1, 2}}, "agent:bo")
    with pytest.raises(InvalidValue):
        store.record_event(ref, "agent_reply", {}, "")


def test_api_has_no_way_to_rewrite_history() -> None:
    names = {n for n in dir(TicketStore) if not n.startswith("_")}
    # Appending and reading only (the live feed reads by id; the handoff appends by compare-and-append).
    readers = {"events", "events_after", "events_of_kinds", "last_event_id"}
    assert not {n for n in names if "event" in n} - {"record_event", *readers}
    assert not {n for n in names if n.startswith(("delete", "remove", "purge", "edit"))}


@pytest.mark.parametrize(
    "statement", ["UPDATE ticket_events SET actor = 'mallory'", "DELETE FROM ticket_events"]
)
def test_database_refuses_update_and_delete(store: TicketStore, statement: str) -> None:
    ref = store.create_ticket(new_ticket()).reference
    before = store.events(ref)
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(statement))
    assert store.events(ref) == before


def test_events_are_ordered_and_scoped(store: TicketStore) -> None:
    a = store.create_ticket(new_ticket()).reference
    b = store.create_ticket(new_ticket()).reference
    store.record_event(a, "notification_sent", {"channel": "web"}, "system")
    store.record_event(b, "notification_failed", {"error": "timeout"}, "system")
    store.record_event(a, "agent_reply", {"text": "on it"}, "agent:bo")
    kinds = [e.kind for e in store.events(a)]
    assert kinds == ["created", "notification_sent", "agent_reply"]
    assert all(e.reference == b for e in store.events(b))


def test_a_ticket_story_produces_every_kind(store: TicketStore, clock: Clock) -> None:
    ref = store.create_ticket(
        new_ticket(
            transcript=[("in", "vpn broken", clock.now), ("out", "Since when?", clock.now)],
            classification={"model_version": "m1", "category": {"label": "network", "confidence": 0.7}},
            kb_article_id="kb-vpn",
        )
    ).reference
    store.update(ref, "agent:bo", category="vpn", assignee="bo", status="in_progress")
    store.record_event(ref, "agent_reply", {"text": "Try again now"}, "agent:bo")
    store.add_message(ref, "out", "Try again now", "web", "agent:bo")
    store.record_event(ref, "notification_sent", {"channel": "web"}, "system")
    store.record_event(ref, "notification_failed", {"channel": "telegram", "error": "403"}, "system")
    store.flag_human(ref, "requester")
    store.add_message(ref, "in", "works now", "web", "requester")
    store.transition(ref, "resolved", "agent:bo")
    store.set_csat(ref, 4, None)
    kinds = [e.kind for e in store.events(ref)]
    assert REQUIRED_KINDS | {"created"} == set(kinds)


def test_append_if_latest_is_a_compare_and_append(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    among = ("human_requested", "handoff_taken", "handoff_released")
    first = store.append_if_latest(ref, "handoff_taken", {"name": "Ana"}, "agent:ana", among, None)
    assert first is not None and first.kind == "handoff_taken"
    # Someone who read the history before that append loses, and nothing is written.
    assert store.append_if_latest(ref, "handoff_taken", {"name": "Bo"}, "agent:bo", among, None) is None
    store.record_event(ref, "notification_sent", {"channel": "web"}, "bot")  # not among: no effect
    second = store.append_if_latest(ref, "handoff_released", {}, "agent:bo", among, first.id)
    assert second is not None
    assert [e.actor for e in store.events(ref) if e.kind.startswith("handoff_")] == ["agent:ana", "agent:bo"]
    with pytest.raises(InvalidValue):
        store.append_if_latest(ref, "status_changed", {}, "agent:bo", among, second.id)


def test_events_after_reads_every_ticket_in_id_order(store: TicketStore) -> None:
    a = store.create_ticket(new_ticket()).reference
    b = store.create_ticket(new_ticket(address="session-2")).reference
    start = store.last_event_id()
    store.record_event(b, "notification_sent", {"n": 1}, "bot")
    store.record_event(a, "notification_sent", {"n": 2}, "bot")
    after = store.events_after(start)
    assert [(e.reference, e.payload["n"]) for e in after] == [(b, 1), (a, 2)]
    assert [e.id for e in after] == sorted(e.id for e in after) and after[-1].id == store.last_event_id()
    assert [e.reference for e in store.events_of_kinds(["notification_sent"])] == [b, a]
