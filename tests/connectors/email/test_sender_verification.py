"""A forged From must not act for the address it claims (issue 8: envelope attacker@evil.test with
``From: alice@corp.test`` and ``close INC-000001`` closed Alice's ticket).

Mail goes through the real SMTP listener; DKIM signatures are made with a key generated here and the DNS
records (DKIM key, SPF policy) are served by a dict through the verifier's resolver: no network.
"""

from __future__ import annotations

import base64
import subprocess
import tempfile
from collections.abc import AsyncIterator
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import dkim
import pytest

from atende.adapters.tickets import TicketServiceAdapter
from connectors.email.verify import SenderVerifier, aligned, parse_auth_results
from dialog.messages import Identity
from dialog.ports import TicketDraft
from tests.connectors.email.conftest import (
    EmailHarness,
    FakeRelay,
    RunningEmail,
    email_env_for,
    free_port,
    start_email,
)
from tests.connectors.email.mailer import send, user_mail
from tests.connectors.email.test_smtp import settle

ALICE = "alice@corp.test"
SELECTOR = b"s1"


def _keypair() -> tuple[bytes, str]:
    """A fresh 2048-bit RSA key (the openssl command, as dkimpy's own dknewkey does) and its DKIM record."""
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "dkim.pem"
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True,
                             capture_output=True).stdout
        return key.read_bytes(), f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


PRIVATE, DKIM_RECORD = _keypair()


def sign(raw: bytes, domain: str) -> bytes:
    sig = dkim.sign(raw, SELECTOR, domain.encode(), PRIVATE,
                    include_headers=[b"from", b"to", b"subject", b"message-id"])
    return sig + raw


class FakeDns:
    """TXT records by name; counts look-ups so a test can tell that DNS was (not) asked."""

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records
        self.asked: list[str] = []

    def __call__(self, name: str) -> list[str]:
        self.asked.append(name)
        return self.records.get(name.lower(), [])


DNS = {"s1._domainkey.corp.test": [DKIM_RECORD], "corp.test": ["v=spf1 ip4:127.0.0.1 -all"],
       "s1._domainkey.evil.test": [DKIM_RECORD], "evil.test": ["v=spf1 ip4:127.0.0.1 -all"]}


@pytest.fixture
async def verifying_desk(email_harness: EmailHarness, email_relay: FakeRelay,
                         tmp_path: Path) -> AsyncIterator[RunningEmail]:
    """The desk as shipped: no ATENDE_MAIL_MTA_ENFORCES_DMARC, DNS from FakeDns."""
    env = email_env_for(email_relay.port, free_port(), ATENDE_MAIL_MTA_ENFORCES_DMARC="false")
    running = await start_email(email_harness, email_relay, tmp_path / "data", env=env)
    running.desk.verifier.resolver = FakeDns(DNS)
    yield running
    await running.service.stop()


async def alice_ticket(harness: EmailHarness) -> str:
    """A ticket Alice filed with a verified identity (as a DKIM-signed mail would have)."""
    if harness.runtime is None:
        pytest.skip("needs the real runtime (ticket store)")
    adapter = TicketServiceAdapter(harness.runtime.tickets)
    me = Identity(channel="email", native_id=ALICE, email=ALICE)
    draft = TicketDraft(title="Printer jammed", description="The printer on floor 2 is jammed.",
                        category="hardware", type="incident", impact="individual", urgency="low",
                        channel="email", requester=me, conversation_key=f"email:{ALICE}", language="en")
    return (await adapter.create_ticket(draft)).reference


def status_of(harness: EmailHarness, ref: str) -> str:
    ticket = harness.runtime.tickets.get(ref)
    assert ticket is not None
    return str(ticket.status)


async def test_forged_from_cannot_close_the_ticket_it_claims(verifying_desk: RunningEmail) -> None:
    harness = verifying_desk.harness
    ref = await alice_ticket(harness)
    forged = user_mail(ALICE, "close", f"close {ref}")
    await send(verifying_desk.port, forged, mail_from="attacker@evil.test")
    await settle(verifying_desk)
    assert status_of(harness, ref) == "new"
    row = harness.recorded(f"email:{ALICE}")[-1]
    assert row["extras"]["sender_verified"] is False
    assert row["sender"]["verified"] is False and row["sender"]["email"] is None


async def test_forged_from_cannot_list_or_append(verifying_desk: RunningEmail) -> None:
    harness = verifying_desk.harness
    ref = await alice_ticket(harness)
    events_before = len(harness.runtime.tickets.events(ref))
    await send(verifying_desk.port, user_mail(ALICE, f"Re: [{ref}] Printer", "my tickets"),
               mail_from="attacker@evil.test")
    await send(verifying_desk.port, user_mail(ALICE, f"Re: [{ref}] Printer",
                                              f"Here is more about {ref}: it also smokes."),
               mail_from="attacker@evil.test")
    await settle(verifying_desk)
    assert len(harness.runtime.tickets.events(ref)) == events_before  # nothing appended to Alice's ticket
    texts = [m.body for m in verifying_desk.relay.mails]
    assert not any("Printer jammed" in t for t in texts), "an answer listed Alice's ticket"


async def test_dkim_signed_mail_aligned_with_from_is_verified(verifying_desk: RunningEmail) -> None:
    harness = verifying_desk.harness
    ref = await alice_ticket(harness)
    raw = sign(user_mail(ALICE, "close", f"close {ref}"), "corp.test")
    await send(verifying_desk.port, raw, mail_from="bounces@mailer.other.test")  # SPF cannot help here
    await settle(verifying_desk)
    assert harness.recorded(f"email:{ALICE}")[-1]["extras"]["sender_check"] == "dkim:corp.test"
    assert status_of(harness, ref) == "closed"


async def test_signature_of_another_domain_does_not_vouch_for_from(verifying_desk: RunningEmail) -> None:
    harness = verifying_desk.harness
    ref = await alice_ticket(harness)
    raw = sign(user_mail(ALICE, "close", f"close {ref}"), "evil.test")  # valid, but d=evil.test
    await send(verifying_desk.port, raw, mail_from="attacker@evil.test")  # SPF passes, for evil.test
    await settle(verifying_desk)
    assert harness.recorded(f"email:{ALICE}")[-1]["extras"]["sender_verified"] is False
    assert status_of(harness, ref) == "new"


async def test_spf_pass_aligned_with_from_is_verified(verifying_desk: RunningEmail) -> None:
    harness = verifying_desk.harness
    ref = await alice_ticket(harness)
    await send(verifying_desk.port, user_mail(ALICE, "close", f"close {ref}"), mail_from=ALICE)
    await settle(verifying_desk)
    assert harness.recorded(f"email:{ALICE}")[-1]["extras"]["sender_check"] == "spf:corp.test"
    assert status_of(harness, ref) == "closed"


async def test_tampered_signed_mail_is_not_verified(verifying_desk: RunningEmail) -> None:
    harness = verifying_desk.harness
    ref = await alice_ticket(harness)
    raw = sign(user_mail(ALICE, "hello", "please help"), "corp.test").replace(b"please help",
                                                                             f"close {ref}".encode())
    await send(verifying_desk.port, raw, mail_from="attacker@evil.test")
    await settle(verifying_desk)
    assert status_of(harness, ref) == "new"


async def test_unverified_report_is_filed_apart_from_the_claimed_person(verifying_desk: RunningEmail) -> None:
    harness = verifying_desk.harness
    await alice_ticket(harness)
    tickets = harness.runtime.tickets
    alice = tickets.list_tickets(requester=("email", ALICE))
    assert len(alice) == 1
    adapter = TicketServiceAdapter(tickets)
    forged = Identity(channel="email", native_id=ALICE, verified=False)
    draft = TicketDraft(title="Fake", description="forged report", category="hardware", type="incident",
                        impact="individual", urgency="low", channel="email", requester=forged,
                        conversation_key=f"email:{ALICE}", language="en")
    await adapter.create_ticket(draft)
    assert [t.reference for t in tickets.list_tickets(requester=("email", ALICE))] == [alice[0].reference]
    assert await adapter.list_open_tickets(forged) == []


async def test_mta_setting_trusts_from(email_harness: EmailHarness, email_relay: FakeRelay,
                                       tmp_path: Path) -> None:
    env = email_env_for(email_relay.port, free_port(), ATENDE_MAIL_MTA_ENFORCES_DMARC="true")
    running = await start_email(email_harness, email_relay, tmp_path / "data", env=env)
    try:
        ref = await alice_ticket(email_harness)
        await send(running.port, user_mail(ALICE, "close", f"close {ref}"), mail_from="x@elsewhere.test")
        await settle(running)
        assert email_harness.recorded(f"email:{ALICE}")[-1]["extras"]["sender_check"] == "mta"
        assert status_of(email_harness, ref) == "closed"
    finally:
        await running.service.stop()


# --- IMAP: Authentication-Results of the trusted server -----------------------------------------------
def _headers(*auth_results: str) -> Any:
    lines = "".join(f"Authentication-Results: {a}\r\n" for a in auth_results)
    return BytesHeaderParser().parsebytes(f"{lines}From: {ALICE}\r\nSubject: x\r\n\r\n".encode())


def test_auth_results_from_the_trusted_server_verify() -> None:
    v = SenderVerifier(trusted_authserv_id="mx.desk.example")
    assert v.verify_auth_results(_headers("mx.desk.example; dmarc=pass header.from=corp.test"), ALICE)
    assert v.verify_auth_results(_headers("mx.desk.example; dkim=pass (good) header.d=corp.test"), ALICE)
    assert v.verify_auth_results(_headers("mx.desk.example; spf=pass smtp.mailfrom=alice@corp.test"), ALICE)


def test_auth_results_forged_or_failing_do_not_verify() -> None:
    v = SenderVerifier(trusted_authserv_id="mx.desk.example")
    assert not v.verify_auth_results(_headers("mx.evil.test; dmarc=pass header.from=corp.test"), ALICE)
    assert not v.verify_auth_results(_headers("mx.desk.example; dmarc=fail header.from=corp.test"), ALICE)
    assert not v.verify_auth_results(_headers("mx.desk.example; dkim=pass header.d=evil.test"), ALICE)
    assert not v.verify_auth_results(_headers("mx.desk.example; spf=pass smtp.mailfrom=a@evil.test"), ALICE)
    assert not SenderVerifier().verify_auth_results(
        _headers("mx.desk.example; dmarc=pass header.from=corp.test"), ALICE)  # no trusted id configured


def test_alignment_and_auth_results_parsing() -> None:
    assert aligned("corp.test", "corp.test") and aligned("mail.corp.test", "corp.test")
    assert not aligned("evil.test", "corp.test") and not aligned("test", "corp.test")
    assert not aligned("evilcorp.test", "corp.test")
    authserv, results = parse_auth_results("mx.example 1; (comment) dkim=pass header.d=X.test; spf=none")
    assert authserv == "mx.example" and results[0] == ("dkim", "pass", {"header.d": "x.test"})


async def test_imap_mail_is_verified_only_by_the_trusted_servers_results(email_harness: EmailHarness,
                                                                         email_relay: FakeRelay,
                                                                         tmp_path: Path) -> None:
    env = email_env_for(email_relay.port, 0, ATENDE_MAIL_MTA_ENFORCES_DMARC="false",
                        ATENDE_MAIL_TRUSTED_AUTHSERV_ID="mx.desk.example")
    running = await start_email(email_harness, email_relay, tmp_path / "data", env=env)
    try:
        ref = await alice_ticket(email_harness)
        forged = user_mail(ALICE, "close", f"close {ref}", headers={
            "Authentication-Results": "mx.evil.test; dmarc=pass header.from=corp.test"})
        await running.desk.ingest(forged, source="imap")
        await running.settle()
        assert email_harness.recorded(f"email:{ALICE}")[-1]["extras"]["sender_verified"] is False
        assert status_of(email_harness, ref) == "new"
        real = user_mail(ALICE, "close", f"close {ref}", headers={
            "Authentication-Results": "mx.desk.example; dkim=pass header.d=corp.test; dmarc=pass "
                                      "header.from=corp.test"})
        await running.desk.ingest(real, source="imap")
        await running.settle()
        assert email_harness.recorded(f"email:{ALICE}")[-1]["extras"]["sender_check"] == "auth-results:dkim"
        assert status_of(email_harness, ref) == "closed"
    finally:
        await running.service.stop()
