"""What the agent console asks of the ticket core: search by requester, the SLA sort, merging a duplicate
and canned responses, on both back ends."""

from __future__ import annotations

import pytest

from tests.ticket_core.conftest import Clock, new_ticket
from ticket_core import InvalidTransition, InvalidValue, RequesterIdentity, TicketStore
from ticket_core.canned import fill
from ticket_core.schema import Base


def test_search_matches_the_requester_name_email_and_address(store: TicketStore) -> None:
    ana = store.create_ticket(new_ticket(email="ana.silva@example.org"))
    bob = store.create_ticket(new_ticket(
        address="U123", channel="slack", title="Printer jam", description="Printer jams on page 2",
        requester=RequesterIdentity("slack", "U123", display_name="Bob O'Neil")))
    assert [t.reference for t in store.list_tickets(q="silva")] == [ana.reference]
    assert [t.reference for t in store.list_tickets(q="o'neil")] == [bob.reference]
    assert [t.reference for t in store.list_tickets(q="u12")] == [bob.reference]
    assert [t.reference for t in store.list_tickets(q="jams")] == [bob.reference]
    assert store.count_tickets(q="%") == 0  # wildcards are literal
    assert store.count_tickets(q="example.org") == 1


def test_sla_sort_puts_the_most_urgent_first_and_undated_last(store: TicketStore, clock: Clock) -> None:
    low = store.create_ticket(new_ticket(urgency="low"))
    clock.advance(minutes=5)
    high = store.create_ticket(new_ticket(urgency="high", impact="organization"))
    solved = store.create_ticket(new_ticket(status="self_service_resolved"))
    for sort in ("resolution_due", "first_response_due"):
        assert [t.reference for t in store.list_tickets(sort=sort)] == [
            high.reference, low.reference, solved.reference]
    with pytest.raises(InvalidValue):
        store.list_tickets(sort="title")


def test_merge_closes_the_duplicate_and_links_both_logs(store: TicketStore) -> None:
    keep = store.create_ticket(new_ticket())
    dup = store.create_ticket(new_ticket(title="VPN again"))
    closed = store.merge(dup.reference, keep.reference.lower(), "marta@desk.example")
    assert closed.status == "closed"
    logged = [(e.kind, e.payload) for e in store.events(dup.reference)]
    assert [x for x in logged if x[0] in ("merged", "status_changed")] == [
        ("merged", {"into": keep.reference}),
        ("status_changed", {"from": "new", "to": "closed", "reason": "merged"})]
    merged = [e.payload for e in store.events(keep.reference) if e.kind == "merged"]
    assert merged == [{"from": dup.reference}]
    assert store.get(keep.reference).status == "new"  # type: ignore[union-attr]
    assert store.merged_into(dup.reference) == keep.reference
    assert store.merged_into(keep.reference) is None
    third = store.create_ticket(new_ticket())
    store.merge(keep.reference, third.reference, "marta@desk.example")
    assert store.merged_into(dup.reference) == third.reference  # chains are followed
    with pytest.raises(InvalidValue):
        store.merge(third.reference, third.reference, "marta@desk.example")
    with pytest.raises(InvalidValue):
        store.merge(store.create_ticket(new_ticket()).reference, dup.reference, "m")  # into a closed one
    with pytest.raises(InvalidTransition):
        store.merge(dup.reference, third.reference, "m")  # a closed duplicate stays as it is
    with pytest.raises(InvalidValue):
        store.record_event(third.reference, "merged", {"into": "INC-000001"}, "m")  # no forged merges


def test_canned_responses_per_language(store: TicketStore) -> None:
    saved = store.canned.save("Reboot", "es", "Hola {requester_name}, reinicia ({reference}). {x}", "admin@d")
    store.canned.save("Reboot", "en", "Hi {requester_name}", "admin@d")
    with pytest.raises(InvalidValue):
        store.canned.save("Reboot", "es", "otra", "admin@d")  # one title per language
    with pytest.raises(InvalidValue):
        store.canned.save("Reboot", "de", "Hallo", "admin@d")
    assert [c.language for c in store.canned.list()] == ["en", "es"]
    assert [c.title for c in store.canned.list("es")] == ["Reboot"]
    edited = store.canned.save("Reinicio", "es", "Hola {requester_name} ({reference})", "other@d", saved.id)
    assert (edited.id, edited.title, edited.updated_by) == (saved.id, "Reinicio", "other@d")
    assert fill(saved.body, {"requester_name": "Ana", "reference": "INC-000001"}) == \
        "Hola Ana, reinicia (INC-000001). {x}"
    assert store.canned.delete(saved.id) and not store.canned.delete(saved.id)
    assert store.canned.get(saved.id) is None
    assert "canned_responses" in Base.metadata.tables
