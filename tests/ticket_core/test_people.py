"""Requesters across channels, and the rule that a user only ever sees their own tickets."""

from __future__ import annotations

import pytest

from tests.ticket_core.conftest import new_ticket
from ticket_core import ChannelIdentity, InvalidValue, TicketStore


def test_same_identity_is_the_same_person(store: TicketStore) -> None:
    first = store.upsert_person("telegram", "42", display_name="Ana")
    again = store.upsert_person("telegram", "42", display_name="Ana P.")
    assert again.id == first.id
    assert again.display_name == "Ana"  # the first name given stays
    assert again.identities == (ChannelIdentity("telegram", "42"),)


def test_verified_email_links_channels(store: TicketStore) -> None:
    slack = store.upsert_person("slack", "U123", display_name="Ana", email="Ana@Example.COM")
    mail = store.upsert_person("email", "ana@example.com", email="ana@example.com")
    assert mail.id == slack.id
    assert mail.email == "ana@example.com"
    assert mail.identities == (ChannelIdentity("slack", "U123"), ChannelIdentity("email", "ana@example.com"))


def test_verified_phone_links_channels(store: TicketStore) -> None:
    whatsapp = store.upsert_person("whatsapp", "whatsapp:+5511999990000", phone="+55 11 99999-0000")
    voice = store.upsert_person("voice", "+5511999990000", phone="+5511999990000")
    sms = store.upsert_person("sms", "0055 11 99999 0000", phone="0055 (11) 99999.0000")
    assert whatsapp.id == voice.id == sms.id
    assert sms.phone == "+5511999990000"


def test_contact_data_enriches_a_known_person(store: TicketStore) -> None:
    web = store.upsert_person("web", "s-1")
    assert web.email is None
    enriched = store.upsert_person("web", "s-1", email="bo@example.com", phone="+34600000000")
    assert (enriched.id, enriched.email, enriched.phone) == (web.id, "bo@example.com", "+34600000000")
    assert store.upsert_person("email", "bo@example.com", email="bo@example.com").id == web.id


def test_no_contact_data_no_link(store: TicketStore) -> None:
    assert store.upsert_person("web", "s-1").id != store.upsert_person("web", "s-2").id
    assert store.upsert_person("telegram", "1").id != store.upsert_person("web", "1").id


def test_email_owned_by_someone_else_is_not_stolen(store: TicketStore) -> None:
    ana = store.upsert_person("slack", "U1", email="ana@example.com")
    bo = store.upsert_person("web", "s-bo")
    # an identity already bound to Bo presents Ana's address: Bo does not become Ana, Ana keeps her address
    bo_again = store.upsert_person("web", "s-bo", email="ana@example.com")
    assert bo_again.id == bo.id != ana.id and bo_again.email is None


@pytest.mark.parametrize(
    ("email", "phone"), [("not-an-email", None), ("a@b", None), (None, "call me"), (None, "12")]
)
def test_malformed_contact_data_is_refused(store: TicketStore, email: str | None, phone: str | None) -> None:
    with pytest.raises(InvalidValue):
        store.upsert_person("web", "s-1", email=email, phone=phone)


def test_requester_sees_only_own_tickets(store: TicketStore) -> None:
    ana = store.create_ticket(new_ticket(channel="telegram", address="100"))
    bo = store.create_ticket(new_ticket(channel="telegram", address="200"))
    assert store.get_for_requester(ana.reference, "telegram", "100") == ana
    assert store.get_for_requester(bo.reference, "telegram", "100") is None
    assert store.get_for_requester(ana.reference, "telegram", "200") is None
    assert store.get_for_requester(ana.reference, "web", "100") is None  # same id, other channel
    assert store.get_for_requester("INC-999999", "telegram", "100") is None
    assert store.get_for_requester(ana.reference.lower(), "telegram", "100") == ana
    assert [t.reference for t in store.list_tickets(requester=("telegram", "100"))] == [ana.reference]


def test_linked_identity_sees_tickets_from_other_channels(store: TicketStore) -> None:
    ticket = store.create_ticket(new_ticket(channel="slack", address="U1", email="ana@example.com"))
    store.upsert_person("email", "ana@example.com", email="ana@example.com")
    assert store.get_for_requester(ticket.reference, "email", "ana@example.com") is not None
    assert [t.reference for t in store.list_tickets(requester=("email", "ana@example.com"))] == [
        ticket.reference
    ]
    # a ticket filed by e-mail lands on the same person
    second = store.create_ticket(
        new_ticket(channel="email", address="ana@example.com", email="ana@example.com")
    )
    assert second.requester.id == ticket.requester.id
    assert len(store.list_tickets(requester=("slack", "U1"))) == 2
