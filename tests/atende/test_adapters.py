"""TicketServiceAdapter on a real TicketStore: requester isolation and identity linking, the two promises
the dialog port makes about whose tickets a user can reach."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from atende.adapters.tickets import TicketServiceAdapter
from dialog.messages import Attachment, Identity
from dialog.ports import TicketDraft
from ticket_core import Event, Ticket, TicketStore

ANA = Identity("web", "ana", "Ana")


def draft(requester: Identity, title: str = "VPN drops every few minutes") -> TicketDraft:
    return TicketDraft(
        title=title,
        description=title,
        category="it_support",
        type="incident",
        impact="individual",
        urgency="medium",
        channel=requester.channel,
        requester=requester,
        language="en",
        conversation_key=requester.key,
    )


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[TicketStore]:
    with TicketStore.open(f"sqlite:///{tmp_path}/t.db") as s:
        yield s


@pytest.fixture()
def service(store: TicketStore) -> TicketServiceAdapter:
    return TicketServiceAdapter(store)


def snapshot(store: TicketStore, ref: str) -> tuple[Ticket | None, list[Event]]:
    return store.get(ref), store.events(ref)


async def try_everything(service: TicketServiceAdapter, ref: str, who: Identity) -> list[object]:
    """Every requester-scoped call of the port; each must answer "not found" (None)."""
    shot = Attachment("x.png", "image/png", 10, "/tmp/x.png")
    await service.record_csat(ref, who, 1, "terrible")  # answers nothing; the snapshot shows it did nothing
    return [
        await service.get_ticket(ref, who),
        await service.add_message(ref, who, "let me in", [shot]),
        await service.close_ticket(ref, who),
        await service.request_human(ref, who),
        await service.reopen_ticket(ref, who),
    ]


@pytest.mark.parametrize(
    "intruder",
    [
        Identity("web", "mallory", "Mallory"),
        Identity("telegram", "ana", "Ana"),  # the same native id on another channel is someone else
        Identity(
            "web", "mallory", "Mallory", email="mallory@example.com"
        ),  # an identity that links to nobody
    ],
)
async def test_a_reference_owned_by_someone_else_behaves_as_not_found(
    store: TicketStore, service: TicketServiceAdapter, intruder: Identity
) -> None:
    filed = await service.create_ticket(draft(ANA))
    resolved = await service.create_ticket(draft(ANA, "Printer offline"))
    store.transition(resolved.reference, "resolved", "agent:alice")  # so that reopening is possible at all
    for ref in (filed.reference, resolved.reference):
        before = snapshot(store, ref)
        assert await try_everything(service, ref, intruder) == [None] * 5
        assert await try_everything(service, ref.lower(), intruder) == [None] * 5
        assert snapshot(store, ref) == before
    assert await service.list_open_tickets(intruder) == []
    # an unknown reference answers the same way, rather than raising
    assert await try_everything(service, "INC-999999", intruder) == [None] * 5
    assert await try_everything(service, "INC-999999", ANA) == [None] * 5


async def test_the_owner_reaches_the_ticket_by_any_spelling_of_the_reference(
    store: TicketStore, service: TicketServiceAdapter
) -> None:
    filed = await service.create_ticket(draft(ANA))
    ref = filed.reference
    assert (await service.get_ticket(ref.lower(), ANA)) == filed
    added = await service.add_message(f" {ref.lower()} ", ANA, "still broken")
    assert added is not None and added.reference == ref
    flagged = await service.request_human(ref, ANA)
    assert flagged is not None and flagged.needs_human
    store.transition(ref, "resolved", "agent:alice")
    await service.record_csat(ref, ANA, 2, "slow")
    reopened = await service.reopen_ticket(ref, ANA)
    assert reopened is not None and reopened.status == "open"
    closed = await service.close_ticket(ref, ANA)
    assert closed is not None and closed.status == "closed"
    kinds = [e.kind for e in store.events(ref)]
    assert kinds[-5:] == ["human_requested", "status_changed", "csat", "status_changed", "status_changed"]
    assert "message_in" in kinds


async def test_a_closed_ticket_takes_no_messages(store: TicketStore, service: TicketServiceAdapter) -> None:
    filed = await service.create_ticket(draft(ANA))
    assert await service.close_ticket(filed.reference, ANA) is not None
    before = snapshot(store, filed.reference)
    assert await service.add_message(filed.reference, ANA, "one more thing") is None
    assert await service.close_ticket(filed.reference, ANA) is None  # already closed
    assert snapshot(store, filed.reference) == before
    # the owner still sees it (the engine tells "already closed" from "not found" this way)
    found = await service.get_ticket(filed.reference, ANA)
    assert found is not None and found.status == "closed"


async def test_a_verified_email_links_a_new_channel_to_the_tickets_filed_by_email(
    store: TicketStore, service: TicketServiceAdapter
) -> None:
    by_mail = Identity("email", "ana@example.com", "Ana", email="ana@example.com")
    filed = await service.create_ticket(draft(by_mail))
    on_web = Identity("web", "session-1", "Ana", email="Ana@Example.com")

    assert [t.reference for t in await service.list_open_tickets(on_web)] == [filed.reference]
    assert await service.get_ticket(filed.reference, on_web) == filed
    added = await service.add_message(filed.reference, on_web, "also on my phone")
    assert added is not None
    person = store.get(filed.reference)
    assert person is not None
    assert {(i.channel, i.address) for i in person.requester.identities} == {
        ("email", "ana@example.com"),
        ("web", "session-1"),
    }
    # without the verified address, or with another one, the web visitor is a stranger
    strangers = (Identity("web", "session-2", "Ana"), Identity("web", "session-3", email="bob@example.com"))
    for stranger in strangers:
        assert await service.list_open_tickets(stranger) == []
        assert await service.get_ticket(filed.reference, stranger) is None


async def test_a_malformed_contact_address_links_nothing_and_breaks_nothing(
    service: TicketServiceAdapter,
) -> None:
    filed = await service.create_ticket(draft(Identity("email", "ana@example.com", email="ana@example.com")))
    odd = Identity("web", "session-9", email="not an address")
    assert await service.list_open_tickets(odd) == []
    assert await service.get_ticket(filed.reference, odd) is None


async def test_only_a_resolution_is_reopened(store: TicketStore, service: TicketServiceAdapter) -> None:
    filed = await service.create_ticket(draft(ANA))
    ref = filed.reference
    store.transition(ref, "in_progress", "agent:alice")
    before = snapshot(store, ref)
    assert await service.reopen_ticket(ref, ANA) is None  # not handed back to the queue
    assert snapshot(store, ref) == before
    store.transition(ref, "resolved", "agent:alice")
    reopened = await service.reopen_ticket(ref, ANA)
    assert reopened is not None and reopened.status == "open"
    solved = await service.record_self_service(draft(ANA, "Password reset"), "kb-password-reset-en")
    again = await service.reopen_ticket(solved.reference, ANA)
    assert again is not None and again.status == "open" and again.resolution_due is not None


async def test_a_finished_ticket_is_not_flagged_for_a_human(
    store: TicketStore, service: TicketServiceAdapter
) -> None:
    filed = await service.create_ticket(draft(ANA))
    store.transition(filed.reference, "closed", "agent:alice")
    before = snapshot(store, filed.reference)
    answer = await service.request_human(filed.reference, ANA)
    assert answer is not None and answer.status == "closed" and not answer.needs_human
    assert snapshot(store, filed.reference) == before


async def test_an_unverified_sender_reaches_nothing_of_the_identity_it_claims(
    store: TicketStore, service: TicketServiceAdapter
) -> None:
    """Issue 8: a forged e-mail From acted for its owner. Unverified, the same native id reaches nothing,
    not even a resolved ticket to reopen, and its claimed address links it to nobody."""
    ana = Identity("email", "ana@example.com", "Ana", email="ana@example.com")
    filed = await service.create_ticket(draft(ana))
    resolved = await service.create_ticket(draft(ana, "Printer"))
    store.transition(resolved.reference, "resolved", "agent:alice")
    forged = Identity("email", "ana@example.com", "Ana", verified=False)
    for ref in (filed.reference, resolved.reference):
        before = snapshot(store, ref)
        assert await try_everything(service, ref, forged) == [None] * 5
        assert snapshot(store, ref) == before
    assert await service.list_open_tickets(forged) == []
    # even carrying the address as contact data, an unverified identity is linked to nobody
    await service.list_open_tickets(Identity("web", "s-x", email="ana@example.com", verified=False))
    person = store.get(filed.reference)
    assert person is not None
    assert {(i.channel, i.address) for i in person.requester.identities} == {("email", "ana@example.com")}
