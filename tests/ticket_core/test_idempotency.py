"""A message processed twice files one ticket and appends once (unique idempotency keys)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.ticket_core.conftest import new_ticket
from ticket_core import TicketStore


def test_filing_twice_with_one_key_returns_the_first_ticket(store: TicketStore) -> None:
    first = store.create_ticket(new_ticket(), idempotency_key="web:s1/m1")
    again = store.create_ticket(new_ticket(title="something else"), idempotency_key="web:s1/m1")
    other = store.create_ticket(new_ticket(), idempotency_key="web:s1/m2")
    assert again.reference == first.reference
    assert other.reference != first.reference
    assert len(store.list_tickets(limit=100)) == 2


def test_tickets_without_key_are_all_filed(store: TicketStore) -> None:
    store.create_ticket(new_ticket())
    store.create_ticket(new_ticket())
    assert len(store.list_tickets(limit=100)) == 2


def test_appending_one_message_twice_logs_it_once(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    for _ in range(3):
        store.add_message(ref, "in", "still broken", "web", "requester", idempotency_key="web:s1/m9")
    store.add_message(ref, "in", "still broken", "web", "requester", idempotency_key="web:s1/m10")
    texts = [e.payload.get("text") for e in store.events(ref) if e.kind == "message_in"]
    assert texts.count("still broken") == 2


def test_racing_writers_with_one_key_file_one_ticket(store: TicketStore) -> None:
    with ThreadPoolExecutor(4) as pool:
        refs = set(pool.map(lambda _: store.create_ticket(new_ticket(), idempotency_key="k/1").reference,
                            range(8)))
    assert len(refs) == 1
    assert len(store.list_tickets(limit=100)) == 1
