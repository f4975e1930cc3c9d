"""Parent and child tickets (issue 12 §3): links with their log, refused links, the resolution cascade,
major incidents and the active outages listing. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from tests.ticket_core.conftest import Clock, new_ticket
from ticket_core import InvalidValue, TicketNotFound, TicketStore


def _file(store: TicketStore, address: str, **fields: object) -> str:
    return store.create_ticket(new_ticket(address=address, **fields)).reference


def test_link_parent_logs_on_both_tickets_and_children_lists_them(store: TicketStore) -> None:
    parent = _file(store, "p", service="ERP")
    a, b = _file(store, "a"), _file(store, "b")
    child = store.link_parent(a, parent, "marta")
    assert child.parent_reference == parent
    store.link_parent(b.lower(), parent, "marta")
    assert [t.reference for t in store.children(parent)] == [a, b]
    assert store.get(parent).service == "ERP"  # type: ignore[union-attr]
    linked = [e for e in store.events(a) if e.kind == "linked"]
    assert linked[0].payload == {"parent": parent, "child": a, "old_parent": None}
    assert linked[0].actor == "marta"
    assert len([e for e in store.events(parent) if e.kind == "linked"]) == 2
    # linking again is a no-op: no second event
    store.link_parent(a, parent, "marta")
    assert len([e for e in store.events(a) if e.kind == "linked"]) == 1
    assert store.get(a).parent_reference == parent  # type: ignore[union-attr]
    assert store.list_tickets()[0].parent_reference in (parent, None)


def test_refused_links(store: TicketStore) -> None:
    a, b, c = _file(store, "a"), _file(store, "b"), _file(store, "c")
    with pytest.raises(InvalidValue, match="own parent"):
        store.link_parent(a, a, "marta")
    store.link_parent(b, a, "marta")
    store.link_parent(c, b, "marta")
    with pytest.raises(InvalidValue, match="cycle"):
        store.link_parent(a, c, "marta")
    with pytest.raises(InvalidValue, match="cycle"):
        store.link_parent(a, b, "marta")
    done = _file(store, "d")
    store.transition(done, "resolved", "marta")
    with pytest.raises(InvalidValue, match="only an open ticket"):
        store.link_parent(a, done, "marta")
    with pytest.raises(TicketNotFound):
        store.link_parent(a, "INC-999999", "marta")
    assert store.get(a).parent_reference is None  # type: ignore[union-attr]
    assert [e.kind for e in store.events(a)].count("linked") == 1  # only the b link it is a parent in


def test_resolving_a_parent_resolves_each_open_child_in_the_same_transaction(
    store: TicketStore, clock: Clock
) -> None:
    parent = _file(store, "p")
    open_child, working_child, done_child, grandchild = (_file(store, x) for x in ("o", "w", "d", "g"))
    for c in (open_child, working_child, done_child):
        store.link_parent(c, parent, "marta")
    store.link_parent(grandchild, working_child, "marta")
    store.transition(working_child, "in_progress", "marta")
    store.transition(done_child, "resolved", "marta")
    clock.advance(minutes=5)
    resolved_child_at = store.get(done_child).resolved_at  # type: ignore[union-attr]

    after = store.transition(parent, "resolved", "marta")
    for ref in (open_child, working_child, grandchild):
        t = store.get(ref)
        assert t is not None and t.status == "resolved" and t.resolved_at == after.resolved_at
        last = [e for e in store.events(ref) if e.kind == "status_changed"][-1]
        assert last.payload["to"] == "resolved" and last.payload["reason"] == "parent_resolved"
        assert last.actor == "marta"
    assert store.get(done_child).resolved_at == resolved_child_at  # type: ignore[union-attr]
    assert [e.kind for e in store.events(done_child)].count("status_changed") == 1


def test_cascade_on_every_path_update_and_close(store: TicketStore) -> None:
    parent, child = _file(store, "p"), _file(store, "c")
    store.link_parent(child, parent, "marta")
    store.update(parent, "marta", status="resolved", priority="P2")
    assert store.get(child).status == "resolved"  # type: ignore[union-attr]
    other_parent, other_child = _file(store, "p2"), _file(store, "c2")
    store.link_parent(other_child, other_parent, "marta")
    store.transition(other_parent, "closed", "marta")  # closed straight from new: the child is resolved
    assert store.get(other_child).status == "resolved"  # type: ignore[union-attr]


def test_declare_major_incident_on_an_existing_ticket_and_a_new_one(store: TicketStore) -> None:
    a, b, existing = _file(store, "a"), _file(store, "b"), _file(store, "x")
    t = store.declare_major_incident(existing, [a, b, a], actor="marta")
    assert t.major_incident and t.reference == existing
    changed = [e for e in store.events(existing) if e.kind == "field_changed"]
    assert changed[-1].payload == {"field": "major_incident", "old": False, "new": True}
    again = store.declare_major_incident(existing, [a], actor="marta")  # harmless
    assert again.major_incident
    assert len([e for e in store.events(existing) if e.kind == "field_changed"]) == 1
    assert [c.reference for c in store.children(existing)] == [a, b]

    c = _file(store, "c")
    filed = store.declare_major_incident(
        new_ticket(channel="alert", address="monitoring", title="ERP down", service="ERP"), [c],
        idempotency_key="mi:erp",
    )
    twice = store.declare_major_incident(
        new_ticket(channel="alert", address="monitoring", title="ERP down", service="ERP"), [c],
        idempotency_key="mi:erp",
    )
    assert filed.reference == twice.reference and filed.major_incident and filed.service == "ERP"
    assert store.get(c).parent_reference == filed.reference  # type: ignore[union-attr]


def test_declare_refuses_a_closed_ticket_and_writes_nothing(store: TicketStore) -> None:
    a, done = _file(store, "a"), _file(store, "d")
    store.transition(done, "closed", "marta")
    with pytest.raises(InvalidValue):
        store.declare_major_incident(done, [a], actor="marta")
    assert store.get(done).major_incident is False  # type: ignore[union-attr]
    assert store.get(a).parent_reference is None  # type: ignore[union-attr]


def test_active_outages_lists_open_major_incidents_and_alert_tickets_newest_first(
    store: TicketStore, clock: Clock
) -> None:
    _file(store, "user")  # an ordinary report: not an outage
    alert = _file(store, "monitoring", channel="alert", service="ERP")
    clock.advance(minutes=1)
    major = store.declare_major_incident(_file(store, "x"), actor="marta").reference
    clock.advance(minutes=1)
    gone = _file(store, "monitoring", channel="alert")
    store.transition(gone, "resolved", "system")
    assert [t.reference for t in store.active_outages()] == [major, alert]
    assert [t.reference for t in store.active_outages(limit=1)] == [major]


def test_schema_has_the_indexed_columns(store: TicketStore) -> None:
    insp = inspect(store.engine)
    columns = {c["name"]: c for c in insp.get_columns("tickets")}
    assert columns["major_incident"]["nullable"] is False
    assert {"parent_id", "service"} <= set(columns)
    indexes = {i["name"]: i for i in insp.get_indexes("tickets")}
    assert {"ix_tickets_parent_id", "ix_tickets_service"} <= set(indexes)
    alert_indexes = {i["name"]: i for i in insp.get_indexes("alerts")}
    assert alert_indexes["ix_alerts_fingerprint"]["unique"]
