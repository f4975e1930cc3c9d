"""Several threads (think: workers) filing tickets at once never get the same reference, and the first
messages of one new user arriving at once create one person, not two."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from tests.ticket_core.conftest import new_ticket
from ticket_core import TicketStore

T = TypeVar("T")
THREADS = 8


def _together(work: Callable[[int], T], n: int = THREADS) -> list[T]:
    """Run ``work(i)`` in ``n`` threads released at the same instant."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_references_unique_under_concurrent_creation(store: TicketStore) -> None:
    per_thread = 4
    types = ["incident", "request"]

    def file(i: int) -> list[str]:
        return [
            store.create_ticket(new_ticket(address=f"user-{i}", type=types[(i + k) % 2])).reference
            for k in range(per_thread)
        ]

    refs = [r for batch in _together(file) for r in batch]
    assert len(refs) == len(set(refs)) == THREADS * per_thread
    for prefix in ("INC", "REQ"):
        numbers = sorted(int(r.split("-")[1]) for r in refs if r.startswith(prefix))
        assert numbers == list(range(1, THREADS * per_thread // 2 + 1))  # consecutive, no gaps
    assert len(store.list_tickets(limit=1000)) == THREADS * per_thread


def test_concurrent_first_contact_creates_one_person(store: TicketStore) -> None:
    people = _together(lambda i: store.upsert_person("whatsapp", "+5511988887777", phone="+5511988887777"))
    assert len({p.id for p in people}) == 1
    linked = _together(lambda i: store.upsert_person("email", f"ana{i}@example.com", email="ana@example.com"))
    assert len({p.id for p in linked}) == 1
    assert len(store.upsert_person("email", "ana0@example.com").identities) == THREADS


def test_concurrent_updates_of_one_ticket_are_serialised(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    _together(lambda i: store.add_message(ref, "in", f"message {i}", "web", "requester"))
    texts = [e.payload["text"] for e in store.events(ref) if e.kind == "message_in"]
    assert sorted(texts) == sorted(f"message {i}" for i in range(THREADS))
