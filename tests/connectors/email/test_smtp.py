"""Mail in through smtplib to the real aiosmtpd listener, replies out to a second aiosmtpd (the far side)."""

from __future__ import annotations

import asyncio
import os
import re
import smtplib
import time
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import make_msgid
from pathlib import Path

import pytest

from connectors.base import ChannelError
from dialog.messages import InboundMessage, Reply
from tests.connectors.email.conftest import (
    DESK,
    CapturedMail,
    EmailHarness,
    FakeRelay,
    RunningEmail,
    ScriptedIntake,
    email_env_for,
    fixture_bytes,
    free_port,
    numbered_options,
    start_email,
)
from tests.connectors.email.mailer import send, send_without_size, user_mail

ALICE = "alice@example.com"
TAG = re.compile(r"\[((?:INC|REQ|PRB|CHG)-\d{6})\]")


async def settle(running: RunningEmail, quiet: float = 0.25, timeout: float = 15.0) -> None:
    """Wait until no answer is in flight and the far side saw nothing new for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        await running.settle()
        seen = running.relay.attempts
        if seen != last:
            last, since = seen, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("mail kept flowing")


def to(address: str, mails: list[CapturedMail]) -> list[CapturedMail]:
    return [m for m in mails if address in m.rcpt_tos]


def raw_files(running: RunningEmail, folder: str = "raw") -> list[Path]:
    return list((running.data_dir / "email" / folder).rglob("*.eml"))


async def converse_until_ticket(running: RunningEmail, sender: str, first: bytes) -> tuple[str, CapturedMail]:
    """Answer every question (the last option when there is a list: "no, I still need help" to articles,
    a detail otherwise) until a mail carries a ticket tag (only a created ticket puts one in our subject)."""
    relay = running.relay
    count = len(relay.mails)
    await send(running.port, first, mail_from=sender)
    for _ in range(12):
        await relay.wait_for(count + 1)
        await settle(running)
        count = len(relay.mails)
        last = to(sender, relay.mails)[-1]
        tag = TAG.search(str(last.message["Subject"]))
        if tag:
            return tag.group(1), last
        numbers = numbered_options(last.body)
        answer = numbers[-1] if numbers else "It started this morning and only affects me."
        await send(running.port, user_mail(sender, f"Re: {last.message['Subject']}", answer, reply_to=last),
                   mail_from=sender)
    raise AssertionError("no ticket after 12 rounds")


async def test_full_conversation_ends_in_a_ticket(email_service: RunningEmail) -> None:
    first_id = make_msgid(domain="example.com")
    first = user_mail(f"Alice <{ALICE}>", "Printer on floor 3 jams", "It jams on every page since today.",
                      message_id=first_id)
    ref, last = await converse_until_ticket(email_service, ALICE, first)
    key = f"email:{ALICE}"
    assert email_service.harness.ticket_exists(ref, key)

    replies = to(ALICE, email_service.relay.mails)
    opening = replies[0].message
    assert opening["In-Reply-To"] == first_id  # threaded on the user's mail
    assert opening["Auto-Submitted"] == "auto-replied"
    assert opening["From"] == f"Service Desk <{DESK}>"
    assert str(opening["Subject"]).startswith("Re: ") and "Printer on floor 3 jams" in str(opening["Subject"])
    assert replies[0].mail_from == DESK
    assert str(last.message["Message-ID"]).startswith(f"<atende.{ref}.")

    # A follow-up on the ticket: the reference travels in extras and in the text (reply without the tag too).
    follow = user_mail(ALICE, "Re: printer", "Now it also smells burnt.", reply_to=last)
    await send(email_service.port, follow, mail_from=ALICE)
    await settle(email_service)
    rows = email_service.harness.recorded(key)
    assert rows[-1]["extras"]["ticket_ref"] == ref
    assert ref in rows[-1]["text"] and "smells burnt" in rows[-1]["text"]
    assert "Service Desk" not in rows[-1]["text"]  # quoted history stripped
    assert Path(rows[-1]["extras"]["raw_path"]).is_file()


async def test_replayed_delivery_is_a_no_op(email_service: RunningEmail) -> None:
    raw = fixture_bytes("multipart_alternative.eml")
    await send(email_service.port, raw)
    await email_service.relay.wait_for(1)
    await send(email_service.port, raw)  # the MTA retried: still 250
    await settle(email_service)
    assert len(email_service.harness.recorded("email:alice.smith@example.com")) == 1
    assert len(email_service.relay.mails) == 1


async def test_forged_recipient_is_refused_and_nothing_stored(email_service: RunningEmail) -> None:
    raw = user_mail(ALICE, "hi", "relay me please", to="someone@elsewhere.example")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as err:
        await send(email_service.port, raw, rcpt=["someone@elsewhere.example", "other@desk.example"])
    assert all(code == 550 for code, _ in err.value.recipients.values())
    await settle(email_service)
    assert email_service.harness.recorded(f"email:{ALICE}") == []
    assert raw_files(email_service) == [] and email_service.relay.mails == []


async def test_plus_address_is_accepted(email_service: RunningEmail) -> None:
    await send(email_service.port, user_mail(ALICE, "VPN", "VPN fails"), rcpt=["HelpDesk+VIP@desk.example"])
    await settle(email_service)
    assert len(email_service.harness.recorded(f"email:{ALICE}")) == 1


async def test_client_not_in_allow_list_is_refused(email_harness: EmailHarness, email_relay: FakeRelay,
                                                   tmp_path: Path) -> None:
    running = await start_email(email_harness, email_relay, tmp_path, ATENDE_SMTP_LISTEN_ALLOW="192.0.2.1")
    try:
        with pytest.raises(smtplib.SMTPSenderRefused) as err:
            await send(running.port, user_mail(ALICE, "hi", "x"))
        assert err.value.smtp_code == 550
        assert email_harness.recorded(f"email:{ALICE}") == [] and raw_files(running) == []
    finally:
        await running.service.stop()


async def test_malformed_mail_gets_550_and_is_not_recorded(email_service: RunningEmail) -> None:
    with pytest.raises(smtplib.SMTPDataError) as err:
        await send(email_service.port, fixture_bytes("no_from.eml"), mail_from="")
    assert err.value.smtp_code == 550
    assert raw_files(email_service) == [] and len(raw_files(email_service, "rejected")) == 1
    assert email_service.relay.mails == []


async def test_oversized_mail_gets_a_polite_552(email_harness: EmailHarness, email_relay: FakeRelay,
                                                tmp_path: Path) -> None:
    running = await start_email(email_harness, email_relay, tmp_path,
                                ATENDE_MAIL_MAX_MESSAGE_BYTES=str(128 * 1024))
    try:
        big = user_mail(ALICE, "log", "x" * 70 + ("\n" + "y" * 70) * 3000)
        with pytest.raises(smtplib.SMTPSenderRefused) as err:  # SIZE announced: refused at MAIL FROM
            await send(running.port, big)
        assert err.value.smtp_code == 552
        code, text = await send_without_size(running.port, big)  # not announced: refused after DATA
        assert code == 552 and b"larger than the service desk accepts" in text
        assert email_harness.recorded(f"email:{ALICE}") == [] and raw_files(running) == []
    finally:
        await running.service.stop()


async def test_20mb_attachment_is_accepted_listed_and_not_stored(email_service: RunningEmail) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = ALICE, DESK, "Crash dump"
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content("The app crashed, dump attached.")
    msg.add_attachment(os.urandom(20 * 1024 * 1024), maintype="application", subtype="octet-stream",
                       filename="crash.dmp")
    msg.add_attachment(b"small log line\n", maintype="text", subtype="plain", filename="app.log")
    await send(email_service.port, msg.as_bytes(policy=SMTP_POLICY))
    await email_service.relay.wait_for(1, timeout=30)
    row = email_service.harness.recorded(f"email:{ALICE}")[0]
    atts = {a["name"]: a for a in row["attachments"]}
    dump, log = atts["crash.dmp"], atts["app.log"]
    assert dump["path"] is None and dump["size"] == 20 * 1024 * 1024
    assert Path(log["path"]).read_bytes() == b"small log line\n"
    assert row["extras"]["attachments_too_large"] == ["crash.dmp"]


async def test_robots_are_recorded_but_never_answered(email_service: RunningEmail) -> None:
    for name, sender in (("auto_reply.eml", "henry@example.com"), ("bounce.eml", ""),
                         ("mailing_list.eml", "announce-bounces@lists.example.com")):
        await send(email_service.port, fixture_bytes(name), mail_from=sender)
    await settle(email_service)
    assert email_service.relay.mails == []
    for key in ("email:henry@example.com", "email:mailer-daemon@mx.example.com",
                "email:announce@lists.example.com"):
        rows = email_service.harness.recorded(key)
        assert len(rows) == 1 and rows[0]["extras"]["no_reply"] is True, key


async def test_loop_with_an_auto_responder_gets_at_most_one_reply_ever(email_service: RunningEmail) -> None:
    """A naive out-of-office robot (no Auto-Submitted, no Precedence, a fresh Message-ID and date each time)
    answers every mail we send it. The user's first mail is answered; the robot is answered at most once."""
    robot = "bob@example.com"
    robot_ids: list[str] = []

    async def responder(mail: CapturedMail) -> None:
        if robot not in mail.rcpt_tos:
            return
        mid = make_msgid(domain="example.com")
        robot_ids.append(mid.strip("<>"))
        stamp = time.strftime("%H:%M:%S")
        body = f"Thank you for your message received at {stamp}. I am out of the office until 10 March."
        await send(email_service.port, user_mail(robot, f"Re: {mail.message['Subject']}", body,
                                                 reply_to=mail, message_id=mid), mail_from=robot)

    email_service.relay.on_mail = responder
    await send(email_service.port, user_mail(robot, "Laptop will not boot", "It shows a black screen."),
               mail_from=robot)
    for _ in range(2):  # long enough for a loop to show itself
        await settle(email_service, quiet=0.5)
    ours = to(robot, email_service.relay.mails)
    answers_to_robot = [m for m in ours if str(m.message["In-Reply-To"]).strip("<>") in robot_ids]
    assert len(answers_to_robot) <= 1
    assert len(ours) <= 2
    assert len(robot_ids) >= 2  # the robot did keep answering; we stopped
    rows = email_service.harness.recorded(f"email:{robot}")
    assert rows[-1]["extras"].get("no_reply_reason") == "repeated-content"


async def test_compliant_auto_responder_is_never_answered(email_service: RunningEmail) -> None:
    robot = "carol@example.com"

    async def responder(mail: CapturedMail) -> None:
        if robot in mail.rcpt_tos:
            away = user_mail(robot, f"Auto: {mail.message['Subject']}", "Away.", reply_to=mail,
                             headers={"Auto-Submitted": "auto-replied"})
            await send(email_service.port, away, mail_from=robot)

    email_service.relay.on_mail = responder
    first = user_mail(robot, "Mouse broken", "The mouse does not click.")
    await send(email_service.port, first, mail_from=robot)
    for _ in range(2):
        await settle(email_service)
    assert len(to(robot, email_service.relay.mails)) == 1  # only the answer to the person's mail


async def test_options_answered_by_words(email_service: RunningEmail) -> None:
    await send(email_service.port, user_mail(ALICE, "Something is broken", "Help please."), mail_from=ALICE)
    await email_service.relay.wait_for(1)
    await settle(email_service)
    question = to(ALICE, email_service.relay.mails)[-1]
    listed = re.findall(r"^\s*\d+\.\s+(.+)$", question.body, re.MULTILINE)
    if not listed:
        pytest.skip("the engine's first answer has no options")
    await send(email_service.port, user_mail(ALICE, f"Re: {question.message['Subject']}", listed[-1].lower(),
                                             reply_to=question), mail_from=ALICE)
    await settle(email_service)
    # The words reach the engine as text; it matched them: the question is not asked again.
    assert question.body not in to(ALICE, email_service.relay.mails)[-1].body


async def test_options_survive_a_restart(email_harness: EmailHarness, email_relay: FakeRelay,
                                         tmp_path: Path) -> None:
    env = email_env_for(email_relay.port, free_port())
    running = await start_email(email_harness, email_relay, tmp_path, env=env)
    await send(running.port, user_mail(ALICE, "Printer", "Broken."), mail_from=ALICE)
    await email_relay.wait_for(1)
    await settle(running)
    await running.service.stop()
    question = email_relay.mails[-1]
    if not numbered_options(question.body):
        pytest.skip("the engine's first answer has no options")
    running = await start_email(email_harness, email_relay, tmp_path, env=env)
    try:
        await send(running.port, user_mail(ALICE, "Re: Printer", "1", reply_to=question), mail_from=ALICE)
        await settle(running)
        # The engine's pending options are in the conversation state, which survives the restart.
        assert question.body not in email_relay.mails[-1].body
    finally:
        await running.service.stop()


async def test_reply_all_with_desk_in_cc_answers_only_the_sender(email_service: RunningEmail) -> None:
    await send(email_service.port, fixture_bytes("reply_all_cc.eml"), mail_from="erin@example.com")
    await email_service.relay.wait_for(1)
    await settle(email_service)
    assert [m.rcpt_tos for m in email_service.relay.mails] == [["erin@example.com"]]
    row = email_service.harness.recorded("email:erin@example.com")[0]
    assert DESK in row["extras"]["cc"]


async def test_attachments_and_raw_mail_are_stored(email_service: RunningEmail) -> None:
    raw = fixture_bytes("winmail_dat.eml")
    await send(email_service.port, raw, mail_from="bob@example.com")
    await settle(email_service)
    row = email_service.harness.recorded("email:bob@example.com")[0]
    paths = {a["name"]: a["path"] for a in row["attachments"]}
    assert Path(paths["winmail.dat"]).read_bytes().startswith(b"\x78\x9f\x3e\x22")
    assert str(email_service.data_dir / "attachments" / "email") in paths["winmail.dat"]
    assert Path(row["extras"]["raw_path"]).read_bytes() == raw


async def agent_push(running: RunningEmail, key: str, reply: Reply, ticket: str) -> None:
    await running.desk.send(key, [reply], ticket)


async def test_agent_reply_is_pushed_with_threading(email_service: RunningEmail) -> None:
    first = user_mail(ALICE, "Printer on floor 3 jams", "It jams.", message_id="<u-first@example.com>")
    ref, _ = await converse_until_ticket(email_service, ALICE, first)
    before = len(email_service.relay.mails)
    runtime = email_service.harness.runtime
    if runtime is not None:  # the real path: agent API -> notifier -> our Outbound
        ticket = runtime.tickets.get(ref)
        assert await runtime.notifier.agent_reply(ticket, "We replaced the fuser unit.", "agent:ana")
    else:
        await agent_push(email_service, f"email:{ALICE}", Reply("We replaced the fuser unit."), ref)
    pushed = (await email_service.relay.wait_for(before + 1))[-1]
    msg = pushed.message
    assert pushed.rcpt_tos == [ALICE]
    assert msg["Subject"] == f"Re: [{ref}] Printer on floor 3 jams"
    assert msg["In-Reply-To"] and "u-first@example.com" in str(msg["References"])
    assert msg["Auto-Submitted"] is None  # an agent's words, not a robot's
    assert "fuser unit" in pushed.body
    await email_service.desk.send(f"email:{ALICE}", [Reply("Ticket resolved.", kind="notice")], ref)
    notice = (await email_service.relay.wait_for(before + 2))[-1]
    assert notice.message["Auto-Submitted"] == "auto-generated"


async def test_outbound_cap_per_address_per_hour(email_harness: EmailHarness, email_relay: FakeRelay,
                                                 tmp_path: Path) -> None:
    running = await start_email(email_harness, email_relay, tmp_path, ATENDE_MAIL_SEND_CAP_PER_HOUR="2")
    try:
        for i in range(2):
            await running.desk.send(f"email:{ALICE}", [Reply(f"update {i}")], "INC-000001")
        with pytest.raises(ChannelError, match="cap"):
            await running.desk.send(f"email:{ALICE}", [Reply("one too many")], "INC-000001")
        await running.desk.send("email:dan@example.com", [Reply("other address")], "INC-000002")
        assert [m.rcpt_tos for m in email_relay.mails] == [[ALICE], [ALICE], ["dan@example.com"]]
    finally:
        await running.service.stop()


async def test_transient_relay_errors_are_retried(email_service: RunningEmail) -> None:
    email_service.relay.fail_with = ["451 4.3.0 Try again later", "421 4.7.0 Busy"]
    await email_service.desk.send(f"email:{ALICE}", [Reply("hello")], "INC-000001")
    assert email_service.relay.attempts == 3 and len(email_service.relay.mails) == 1


async def test_permanent_relay_error_is_not_retried(email_service: RunningEmail) -> None:
    email_service.relay.fail_with = ["550 5.1.1 No such user"]
    with pytest.raises(ChannelError) as err:
        await email_service.desk.send(f"email:{ALICE}", [Reply("hello")], "INC-000001")
    assert not err.value.retryable and err.value.status == 550 and email_service.relay.attempts == 1


async def test_exhausted_retries_are_reported_to_the_intake(email_service: RunningEmail) -> None:
    email_service.relay.fail_with = ["451 4.3.0 Try again later"] * 4
    await send(email_service.port, user_mail(ALICE, "VPN down", "VPN down since 9."), mail_from=ALICE)
    await settle(email_service)
    assert email_service.relay.attempts == 4 and email_service.relay.mails == []
    [(channel, address, error)] = email_service.harness.failures
    assert (channel, address) == ("email", ALICE) and "451" in str(error)


async def test_relay_down_is_a_retryable_channel_error(email_harness: EmailHarness, email_relay: FakeRelay,
                                                       tmp_path: Path) -> None:
    env = email_env_for(free_port(), free_port())  # nothing listens on the relay port
    running = await start_email(email_harness, email_relay, tmp_path, env=env)
    try:
        with pytest.raises(ChannelError) as err:
            await running.desk.send(f"email:{ALICE}", [Reply("hello")])
        assert err.value.retryable
    finally:
        await running.service.stop()


async def test_outbound_refuses_foreign_keys(email_service: RunningEmail) -> None:
    with pytest.raises(ChannelError):
        await email_service.desk.send("telegram:123", [Reply("x")])


class SilentIntake(ScriptedIntake):
    """Records, never answers: the test plays the engine's part through the Outbound."""

    async def process(self, message: InboundMessage) -> list[Reply]:
        self.processed.append(message)
        return []


async def test_each_ticket_keeps_its_own_thread(email_relay: FakeRelay, tmp_path: Path) -> None:
    harness = EmailHarness(SilentIntake(), "silent", lambda key: [], lambda ref, key: False)
    running = await start_email(harness, email_relay, tmp_path)
    key = f"email:{ALICE}"
    try:
        await send(running.port, user_mail(ALICE, "Printer jams", "It jams.", message_id="<a1@example.com>"))
        await running.desk.send(key, [Reply("Created.", ticket="INC-000001")])
        await send(running.port, user_mail(ALICE, "VPN down", "No VPN.", message_id="<b1@example.com>"))
        await running.desk.send(key, [Reply("Created.", ticket="INC-000002")])
        await running.desk.send(key, [Reply("We fixed the printer.")], "INC-000001")
    finally:
        await running.service.stop()
    first, second, push = (m.message for m in email_relay.mails)
    assert (first["Subject"], first["In-Reply-To"]) == ("Re: [INC-000001] Printer jams", "<a1@example.com>")
    assert (second["Subject"], second["In-Reply-To"]) == ("Re: [INC-000002] VPN down", "<b1@example.com>")
    assert (push["Subject"], push["In-Reply-To"]) == ("Re: [INC-000001] Printer jams", "<a1@example.com>")
    assert str(first["Message-ID"]) in str(push["References"])


class FlakyIntake(ScriptedIntake):
    """The store is down for the first ``failures`` receives."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def receive(self, message: InboundMessage) -> bool:
        if self.failures > 0:
            self.failures -= 1
            raise OSError("database is locked")
        return await super().receive(message)


async def test_store_failure_is_a_451_and_the_retry_is_recorded(email_relay: FakeRelay,
                                                                tmp_path: Path) -> None:
    intake = FlakyIntake(failures=1)
    harness = EmailHarness(intake, "flaky", lambda key: [], lambda ref, key: False)
    running = await start_email(harness, email_relay, tmp_path)
    raw = user_mail(ALICE, "Printer", "It jams.")
    try:
        with pytest.raises(smtplib.SMTPDataError) as err:
            await send(running.port, raw)
        assert err.value.smtp_code == 451  # the sending MTA keeps the mail and retries
        await send(running.port, raw)
        await email_relay.wait_for(1)
    finally:
        await running.service.stop()
    assert len(intake.records) == 1
