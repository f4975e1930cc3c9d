"""The IMAP poller against a real Dovecot (tests/conftest.py ``dovecot``): messages appended with imapclient
are picked up (at once and then through IDLE), flagged \\Seen, answered, and never read twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from tests.connectors.email.conftest import (
    EmailHarness,
    FakeRelay,
    RunningEmail,
    email_env_for,
    fixture_bytes,
    start_email,
)
from tests.connectors.email.mailer import user_mail

SEEN = b"\\Seen"


@pytest.fixture
def desk_mailbox(dovecot: Any) -> Iterator[IMAPClient]:
    """The desk's INBOX on the shared Dovecot, emptied for this test."""
    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False)
    client.login(dovecot.user, dovecot.password)
    client.select_folder("INBOX")
    uids = client.search(["ALL"])
    if uids:
        client.delete_messages(uids)
        client.expunge()
    yield client
    client.logout()


def imap_env(dovecot: Any, relay: FakeRelay) -> dict[str, str]:
    return email_env_for(relay.port, 0, ATENDE_IMAP_HOST=dovecot.host, ATENDE_IMAP_PORT=str(dovecot.port),
                         ATENDE_IMAP_USER=dovecot.user, ATENDE_IMAP_PASSWORD=dovecot.password,
                         ATENDE_IMAP_SSL="false")


async def start(harness: EmailHarness, relay: FakeRelay, data_dir: Path, dovecot: Any) -> RunningEmail:
    running = await start_email(harness, relay, data_dir, env=imap_env(dovecot, relay))
    assert running.service.listener is None and running.service.poller is not None  # port 0: IMAP only
    return running


async def wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


def flags(client: IMAPClient) -> dict[int, tuple[bytes, ...]]:
    client.noop()
    return {uid: data[b"FLAGS"] for uid, data in client.fetch(client.search(["ALL"]), ["FLAGS"]).items()}


async def test_poller_picks_up_marks_seen_and_answers(dovecot: Any, desk_mailbox: IMAPClient,
                                                      email_harness: EmailHarness, email_relay: FakeRelay,
                                                      tmp_path: Path) -> None:
    desk_mailbox.append("INBOX", fixture_bytes("multipart_alternative.eml"))
    desk_mailbox.append("INBOX", fixture_bytes("auto_reply.eml"))
    running = await start(email_harness, email_relay, tmp_path, dovecot)
    try:
        await wait_until(lambda: all(SEEN in f for f in flags(desk_mailbox).values()))
        await email_relay.wait_for(1)
        assert email_relay.mails[0].rcpt_tos == ["alice.smith@example.com"]
        rows = email_harness.recorded("email:alice.smith@example.com")
        assert len(rows) == 1 and rows[0]["extras"]["source"] == "imap"
        assert email_harness.recorded("email:henry@example.com")[0]["extras"]["no_reply"] is True

        # New mail while the poller sits in IDLE: picked up without waiting for a poll interval.
        start_at = time.monotonic()
        desk_mailbox.append("INBOX", user_mail("dora@example.com", "Wi-Fi", "The Wi-Fi drops in room 12."))
        await wait_until(lambda: bool(email_harness.recorded("email:dora@example.com")))
        assert time.monotonic() - start_at < 10  # the poll interval is 60 s: this was IDLE
        await email_relay.wait_for(2)
        assert email_relay.mails[1].rcpt_tos == ["dora@example.com"]
    finally:
        await running.service.stop()
    assert len(email_relay.mails) == 2  # the auto-reply was recorded, not answered


async def test_restart_continues_from_the_last_uid(dovecot: Any, desk_mailbox: IMAPClient,
                                                   email_harness: EmailHarness, email_relay: FakeRelay,
                                                   tmp_path: Path) -> None:
    desk_mailbox.append("INBOX", fixture_bytes("eight_bit_headers.eml"))
    running = await start(email_harness, email_relay, tmp_path, dovecot)
    await email_relay.wait_for(1)
    await running.service.stop()

    # Somebody marks the processed mail unread in their client; a new mail arrives while we are down.
    first_uid = next(iter(flags(desk_mailbox)))
    desk_mailbox.remove_flags([first_uid], [SEEN])
    desk_mailbox.append("INBOX", fixture_bytes("rfc2047_subject.eml"))

    running = await start(email_harness, email_relay, tmp_path, dovecot)
    try:
        await email_relay.wait_for(2)
        await asyncio.sleep(0.3)
        await running.settle()
    finally:
        await running.service.stop()
    assert [m.rcpt_tos for m in email_relay.mails] == [["joao@example.com.br"], ["alvaro@example.com.br"]]
    assert len(email_harness.recorded("email:joao@example.com.br")) == 1
    assert SEEN not in flags(desk_mailbox)[first_uid]  # not fetched again: UID watermark, not \Seen


async def test_oversized_message_is_recorded_from_its_headers(dovecot: Any, desk_mailbox: IMAPClient,
                                                              email_harness: EmailHarness,
                                                              email_relay: FakeRelay, tmp_path: Path) -> None:
    env = {**imap_env(dovecot, email_relay), "ATENDE_MAIL_MAX_MESSAGE_BYTES": str(64 * 1024)}
    desk_mailbox.append("INBOX", user_mail("erik@example.com", "Huge log", "line\n" * 40000))
    running = await start_email(email_harness, email_relay, tmp_path, env=env)
    try:
        await wait_until(lambda: bool(email_harness.recorded("email:erik@example.com")))
    finally:
        await running.service.stop()
    row = email_harness.recorded("email:erik@example.com")[0]
    assert row["extras"]["message_too_large"] is True


async def test_wrong_password_keeps_retrying_without_crashing(dovecot: Any, desk_mailbox: IMAPClient,
                                                              email_harness: EmailHarness,
                                                              email_relay: FakeRelay, tmp_path: Path) -> None:
    env = {**imap_env(dovecot, email_relay), "ATENDE_IMAP_PASSWORD": "wrong"}
    running = await start_email(email_harness, email_relay, tmp_path, env=env)
    await asyncio.sleep(0.5)
    assert running.service.poller is not None and running.service.poller.rounds == 0
    await running.service.stop()


async def test_store_failure_leaves_the_mail_unseen_and_it_is_fetched_again(
        dovecot: Any, desk_mailbox: IMAPClient, email_relay: FakeRelay, tmp_path: Path) -> None:
    from tests.connectors.email.test_smtp import FlakyIntake

    intake = FlakyIntake(failures=1)
    harness = EmailHarness(intake, "flaky", lambda key: [], lambda ref, key: False)
    desk_mailbox.append("INBOX", fixture_bytes("no_subject.eml"))
    running = await start(harness, email_relay, tmp_path, dovecot)
    try:
        await email_relay.wait_for(1, timeout=15)  # after the reconnect backoff
        await wait_until(lambda: all(SEEN in f for f in flags(desk_mailbox).values()))
    finally:
        await running.service.stop()
    assert len(intake.records) == 1 and intake.failures == 0


async def test_in_the_scaled_mode_one_process_polls_the_mailbox(
        dovecot: Any, desk_mailbox: IMAPClient, email_harness: EmailHarness, email_relay: FakeRelay,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two ingress processes mount the channel; the lease lets one poll, and the other takes over when it
    stops (here two services share one lease table: the Redis lease has its own contract tests)."""
    import connectors.email
    from atende.dispatch.lease import LeaseTable, LocalLease

    monkeypatch.setattr(connectors.email, "POLLER_LEASE_SECONDS", 0.6)
    table = LeaseTable()
    env = imap_env(dovecot, email_relay)
    one = await start_email(email_harness, email_relay, tmp_path / "one", env=env, lease=LocalLease(table))
    two = await start_email(email_harness, email_relay, tmp_path / "two", env=env, lease=LocalLease(table))
    stopped: list[RunningEmail] = []
    try:
        desk_mailbox.append("INBOX", fixture_bytes("eight_bit_headers.eml"))
        await email_relay.wait_for(1)
        polled = [r for r in (one, two) if r.service.poller is not None and r.service.poller.rounds > 0]
        assert len(polled) == 1  # only the lease holder ever polled
        holder, other = (one, two) if polled[0] is one else (two, one)
        await holder.service.stop()  # releases the lease
        stopped.append(holder)
        desk_mailbox.append("INBOX", fixture_bytes("rfc2047_subject.eml"))
        await email_relay.wait_for(2, timeout=15)
        assert other.service.poller is not None and other.service.poller.rounds > 0
    finally:
        for r in (one, two):
            if r not in stopped:
                await r.service.stop()
    assert len(email_relay.mails) == 2  # each mail answered once
