"""training_rows() hands the classifier the desk's final labels, flagging the ones agents corrected."""

from __future__ import annotations

from tests.ticket_core.conftest import new_ticket
from ticket_core import TicketStore, is_agent_actor


def test_rows_reflect_agent_corrections(store: TicketStore) -> None:
    kept = store.create_ticket(
        new_ticket(title="Printer jam", description="Tray 2 jams", category="printing")
    )
    fixed = store.create_ticket(
        new_ticket(
            title="Need Excel",
            description="Please install Excel",
            category="network",
            type="incident",
            impact="individual",
            urgency="low",
        )
    )
    reprioritised = store.create_ticket(new_ticket(title="Site down", description="Intranet 500"))
    store.update(fixed.reference, "agent:bo", category="software", type="request")
    store.update(reprioritised.reference, "agent:bo", impact="organization", urgency="high")
    store.update(kept.reference, "agent:bo", assignee="bo", status="in_progress")  # not a label change

    rows = {r.reference: r for r in store.training_rows()}
    assert set(rows) == {kept.reference, fixed.reference, reprioritised.reference}
    assert rows[kept.reference].text == "Printer jam\nTray 2 jams"
    assert (rows[kept.reference].category, rows[kept.reference].corrected) == ("printing", False)
    assert (rows[fixed.reference].category, rows[fixed.reference].type) == ("software", "request")
    assert rows[fixed.reference].corrected and rows[fixed.reference].priority_level == "low"
    assert rows[reprioritised.reference].priority_level == "high" and rows[reprioritised.reference].corrected
    assert rows[kept.reference].priority_level == "low"  # P4
    assert rows[kept.reference].language == "en"


def test_changes_by_the_system_are_not_corrections(store: TicketStore) -> None:
    ref = store.create_ticket(new_ticket()).reference
    store.update(ref, "system", category="hardware")
    store.update(ref, "requester:web:session-1", urgency="high")
    (row,) = store.training_rows()
    assert row.category == "hardware" and row.priority_level == "medium" and not row.corrected


def test_agent_actor_rule() -> None:
    assert is_agent_actor("agent:bo") and is_agent_actor("bo@example.com")
    assert not any(is_agent_actor(a) for a in ("system", "bot", "requester", "requester:web:1"))
