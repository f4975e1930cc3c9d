"""SLA warnings and breaches (issue 14 §2): at 75% and 90% of each target and at 100%, each sent exactly once
even with two scanners racing on one database, to the assignee or the category's team, through the real
Slack and e-mail connectors to their fake far sides; logged on the ticket; escalations on a breach; a claim
whose sender died is retried, a send that keeps failing ends as notification_failed.

The SLA is on the 24x7 clock here (tests/atende/sla/conftest.py): P3 first response in 100 minutes, so the
75% warning is due at minute 75, the 90% one at 90 and the breach after 100.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

from atende.sla.notifier import DeskNotifier
from atende.sla.scanner import SlaScanner
from tests.atende.sla.conftest import SLA, email_outbound, new_ticket, sla_policy, slack_outbound
from tests.connectors.email.conftest import FakeRelay
from tests.connectors.slack.fake_slack import FakeSlack
from tests.ticket_core.conftest import Clock
from ticket_core import TicketStore
from ticket_core.sla_ledger import SlaLedger


def kinds(store: TicketStore, ref: str, *wanted: str) -> list[tuple[str, str, int]]:
    return [(e.kind, e.payload.get("target", ""), int(e.payload.get("level", 0)))
            for e in store.events(ref) if e.kind in wanted]


async def test_warnings_and_breach_are_sent_once_with_two_scanners_racing(
    sla_database_url: str, clock: Clock, slack_fake: FakeSlack, tmp_path: Path
) -> None:
    policy = sla_policy(notifications={**SLA["notifications"], "channels": ["slack"]})  # Slack only
    with TicketStore.open(sla_database_url, policy, clock=clock) as one, \
            TicketStore.open(sla_database_url, policy, clock=clock) as two:
        refs = [one.create_ticket(new_ticket(f"user{i}")).reference for i in range(4)]
        scanners = [
            SlaScanner(one, DeskNotifier({"slack": slack_outbound(slack_fake, tmp_path / "a")}), worker="a"),
            SlaScanner(two, DeskNotifier({"slack": slack_outbound(slack_fake, tmp_path / "b")}), worker="b"),
        ]

        async def race() -> None:
            for _ in range(2):  # twice: a second round finds nothing new
                await asyncio.gather(*(s.scan_once() for s in scanners))

        start = clock.now
        clock.advance(minutes=74)
        await race()
        assert slack_fake.posted() == []
        for minute, level in ((76, 75), (91, 90), (101, 100)):
            before = len(slack_fake.posted())
            clock.now = start + timedelta(minutes=minute)
            await race()
            posted = slack_fake.posted()[before:]
            assert len(posted) == len(refs), (level, posted)
            assert {p["channel"] for p in posted} == {"C0NETOPS"}  # unassigned: the category's team
            word = "breached" if level == 100 else f"at {level}%"
            assert all(word in p["text"] for p in posted)
            assert sorted(r for r in refs if any(r in p["text"] for p in posted)) == refs
        for ref in refs:
            logged = kinds(one, ref, "sla_warning", "sla_breached")
            assert logged == [("sla_warning", "first_response", 75), ("sla_warning", "first_response", 90),
                              ("sla_breached", "first_response", 100)]
            sent = [e for e in one.events(ref) if e.kind == "notification_sent"]
            assert [(e.payload["to"], e.payload["level"]) for e in sent] == [
                ("C0NETOPS", 75), ("C0NETOPS", 90), ("C0NETOPS", 100)]
        rows = SlaLedger(one).list(limit=1000)
        assert Counter(n.state for n in rows) == {"sent": 12}
        assert {n.claimed_by for n in rows} <= {"a", "b"}


async def test_a_late_scan_sends_the_breach_alone_and_skips_the_stale_warnings(
    store: TicketStore, clock: Clock, slack_fake: FakeSlack, tmp_path: Path
) -> None:
    ref = store.create_ticket(new_ticket("late")).reference
    scanner = SlaScanner(store, DeskNotifier({"slack": slack_outbound(slack_fake, tmp_path)}), worker="w")
    clock.advance(minutes=130)  # the scanner was down: 75%, 90% and the breach all passed
    await scanner.scan_once()
    assert len(slack_fake.posted()) == 1 and "breached" in slack_fake.posted()[0]["text"]
    states = {(n.level, n.state) for n in scanner.ledger.list(reference=ref)}
    assert states == {(75, "skipped"), (90, "skipped"), (100, "sent")}


async def test_an_answered_ticket_gets_no_more_first_response_warnings(
    store: TicketStore, clock: Clock, slack_fake: FakeSlack, tmp_path: Path
) -> None:
    ref = store.create_ticket(new_ticket("answered")).reference
    scanner = SlaScanner(store, DeskNotifier({"slack": slack_outbound(slack_fake, tmp_path)}), worker="w")
    clock.advance(minutes=80)
    await scanner.scan_once()
    store.record_event(ref, "agent_reply", {"text": "On it"}, "marta")
    clock.advance(minutes=30)
    await scanner.scan_once()
    assert kinds(store, ref, "sla_warning", "sla_breached") == [("sla_warning", "first_response", 75)]


async def test_a_paused_ticket_does_not_breach(
    store: TicketStore, clock: Clock, slack_fake: FakeSlack, tmp_path: Path
) -> None:
    ref = store.create_ticket(new_ticket("paused")).reference
    scanner = SlaScanner(store, DeskNotifier({"slack": slack_outbound(slack_fake, tmp_path)}), worker="w")
    clock.advance(minutes=50)
    store.transition(ref, "open", "marta")
    store.transition(ref, "pending_user", "marta")
    clock.advance(hours=10)
    await scanner.scan_once()
    assert slack_fake.posted() == []
    assert kinds(store, ref, "sla_warning", "sla_breached") == []


async def test_a_breach_escalates_raises_priority_reassigns_and_notifies_the_lead(
    store: TicketStore, clock: Clock, slack_fake: FakeSlack, email_relay: FakeRelay, tmp_path: Path
) -> None:
    ref = store.create_ticket(new_ticket("escalate")).reference
    store.update(ref, "dispatcher", assignee="marta")
    store.record_event(ref, "agent_reply", {"text": "Looking"}, "marta")  # first response met
    notifier = DeskNotifier({"slack": slack_outbound(slack_fake, tmp_path / "s"),
                             "email": email_outbound(email_relay, tmp_path / "e")})
    scanner = SlaScanner(store, notifier, worker="w")
    clock.advance(minutes=1001)
    await scanner.scan_once()
    ticket = store.get(ref)
    assert ticket is not None and ticket.priority == "P2" and ticket.assignee == "lead"
    events = store.events(ref)
    escalated = [e for e in events if e.kind == "sla_escalated"]
    assert len(escalated) == 1 and escalated[0].actor == "system"
    assert escalated[0].payload["priority"] == {"old": "P3", "new": "P2"}
    assert escalated[0].payload["assignee"] == {"old": "marta", "new": "lead"}
    changed = [e.payload for e in events if e.kind == "field_changed" and e.actor == "system"]
    assert changed == [{"field": "priority", "old": "P3", "new": "P2"}]
    # The breach went to the assignee it breached under (Slack and e-mail) and to the lead.
    assert [p["channel"] for p in slack_fake.posted()] == ["U0MARTA"]
    mails = await email_relay.wait_for(2)
    assert sorted(m.rcpt_tos[0] for m in mails) == ["lead@example.com", "marta@example.com"]
    assert all(ref in m.message["Subject"] and "SLA breached" in m.body for m in mails)
    assert "priority P3 -> P2" in mails[0].body and "assignee marta -> lead" in mails[0].body
    # A second scan escalates nothing more (the breach is recorded once).
    clock.advance(minutes=5)
    await scanner.scan_once()
    assert len([e for e in store.events(ref) if e.kind == "sla_escalated"]) == 1
    assert store.get(ref).priority == "P2"  # type: ignore[union-attr]


async def test_email_and_slack_warning_to_the_assignee(
    store: TicketStore, clock: Clock, email_relay: FakeRelay, slack_fake: FakeSlack, tmp_path: Path
) -> None:
    ref = store.create_ticket(new_ticket("mail")).reference
    store.update(ref, "dispatcher", assignee="marta")
    scanner = SlaScanner(store, DeskNotifier({"email": email_outbound(email_relay, tmp_path / "e"),
                                              "slack": slack_outbound(slack_fake, tmp_path / "s")}),
                         worker="w")
    clock.advance(minutes=76)
    recorded = await scanner.scan_once()
    assert [(n.level, n.state) for n in recorded] == [(75, "sent")]
    assert [(r["channel"], r["address"], r["sent"]) for r in recorded[0].recipients] == [
        ("email", "marta@example.com", True), ("slack", "U0MARTA", True)]
    assert [p["channel"] for p in slack_fake.posted()] == ["U0MARTA"]
    mails = await email_relay.wait_for(1)
    assert mails[0].rcpt_tos == ["marta@example.com"]
    assert "SLA warning: first response of " + ref + " at 75%" in mails[0].body
    assert mails[0].message["Auto-Submitted"] == "auto-generated"


async def test_a_claim_whose_sender_died_is_taken_over_and_sent_once(
    store: TicketStore, clock: Clock, slack_fake: FakeSlack, tmp_path: Path
) -> None:
    ref = store.create_ticket(new_ticket("crash")).reference
    clock.advance(minutes=76)
    ledger = SlaLedger(store)
    (due,) = ledger.due()
    assert ledger.claim(due, "dead-worker") is not None  # ... and the process died before sending
    notifier = DeskNotifier({"slack": slack_outbound(slack_fake, tmp_path)})
    survivor = SlaScanner(store, notifier, worker="alive")
    await survivor.scan_once()
    assert slack_fake.posted() == []  # too early to tell a dead sender from a slow one
    clock.advance(minutes=4)  # past retry_after (3 minutes)
    await survivor.scan_once()
    await survivor.scan_once()
    assert len(slack_fake.posted()) == 1
    (row,) = ledger.list(reference=ref)
    assert (row.state, row.claimed_by, row.attempts) == ("sent", "alive", 1)
    assert kinds(store, ref, "sla_warning") == [("sla_warning", "first_response", 75)]


async def test_a_send_that_keeps_failing_is_retried_then_logged_as_failed(
    store: TicketStore, clock: Clock, slack_fake: FakeSlack, tmp_path: Path
) -> None:
    ref = store.create_ticket(new_ticket("fail")).reference
    slack_fake.fail("chat.postMessage", error="channel_not_found", times=100)
    scanner = SlaScanner(store, DeskNotifier({"slack": slack_outbound(slack_fake, tmp_path)}), worker="w",
                         max_attempts=2)
    clock.advance(minutes=76)
    (first,) = await scanner.scan_once()
    assert first.state == "claimed" and first.attempts == 1 and "channel_not_found" in (first.error or "")
    clock.advance(minutes=4)
    (second,) = await scanner.scan_once()
    assert second.state == "failed" and second.attempts == 2
    failed = [e.payload for e in store.events(ref) if e.kind == "notification_failed"]
    assert len(failed) == 1 and failed[0]["kind"] == "sla_warning" and failed[0]["channel"] == "slack"
    clock.advance(minutes=4)
    assert await scanner.scan_once() == []  # failed is final: no endless retries


async def test_an_unconfigured_channel_is_an_error_not_a_silent_drop(
    store: TicketStore, clock: Clock, tmp_path: Path
) -> None:
    ref = store.create_ticket(new_ticket("nochannel")).reference
    scanner = SlaScanner(store, DeskNotifier({}), worker="w", max_attempts=1)
    clock.advance(minutes=76)
    (row,) = await scanner.scan_once()
    assert row.state == "failed" and "not configured" in (row.error or "")
    assert [e.kind for e in store.events(ref) if e.kind.startswith("notification")] == ["notification_failed"]


async def test_the_scan_refreshes_stored_states_a_calendar_edit_made_stale(
    sla_database_url: str, clock: Clock, tmp_path: Path
) -> None:
    with TicketStore.open(sla_database_url, sla_policy(), clock=clock) as before:
        ref = before.create_ticket(new_ticket("edit")).reference
    edited = sla_policy(targets={p: {"first_response": "3h", "resolution": "30h", "mode": "24x7"}
                                 for p in ("P1", "P2", "P3", "P4", "P5")})
    with TicketStore.open(sla_database_url, edited, clock=clock) as store:
        clock.advance(minutes=10)
        scanner = SlaScanner(store, DeskNotifier({}), worker="w")
        assert await scanner.scan_once() == []
        ticket = store.get(ref)
        assert ticket is not None and ticket.sla is not None
        assert ticket.sla["first_response"]["target_s"] == 3 * 3600
        assert ticket.first_response_due == ticket.created_at + timedelta(hours=3)
        assert ticket.sla == store.sla_state(ref, clock.now).to_json()
        _, stale = scanner.ledger.survey()
        assert stale == []  # current now: the next scan writes nothing
