"""The e-mail desk: the one path every inbound mail takes (SMTP listener and IMAP poller alike), and the
one path every outbound mail takes (answers to mail and agent pushes).

Inbound: parse -> keep the raw .eml and the attachments under the data dir -> ``inbox.receive`` (durable,
de-duplicated by Message-ID) -> answered by the Dispatcher through :meth:`EmailDesk.reply`, unless the mail
must never be answered (auto-replies, bounces, list mail, our own mail coming back, or an auto-responder
repeating itself: the loop guard). Outbound: per-address hourly cap, threading headers, retries on
transient relay errors; a final failure raises ChannelError, which the Dispatcher logs on the ticket.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

from connectors.attachments import write_private
from connectors.base import ChannelError, ConnectorContext, with_retries
from connectors.email.parse import CHANNEL, MailPart, MalformedMail, ParsedMail, parse_mail, to_inbound
from connectors.email.render import make_message_id, render
from connectors.email.settings import EmailSettings
from connectors.email.smtp_out import SmtpSender
from connectors.email.state import MailState, Thread
from connectors.email.verify import SenderVerifier, SmtpClient, Verdict
from dialog.messages import Attachment, InboundMessage, Reply

log = logging.getLogger(__name__)

LOOP_WINDOW_S = 30 * 24 * 3600  # an identical text from the same address is answered once in this window
_MIN_DIGEST_CHARS = 20  # short answers ("yes", "2") repeat legitimately
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _digest(text: str) -> str | None:
    norm = re.sub(r"\d+", "0", " ".join(text.lower().split()))
    return hashlib.sha256(norm.encode()).hexdigest() if len(norm) >= _MIN_DIGEST_CHARS else None


class EmailDesk:
    channel = CHANNEL

    def __init__(self, ctx: ConnectorContext, settings: EmailSettings, *, sender: SmtpSender | None = None,
                 state: MailState | None = None, retry_attempts: int = 4,
                 retry_base_delay: float = 1.0) -> None:
        self.ctx = ctx
        self.settings = settings
        self.address = settings.mail_address
        self.root = ctx.data_dir / "email"
        self.attachments_root = ctx.data_dir / "attachments" / CHANNEL
        self.state = state or MailState(ctx.state)
        self.sender = sender or SmtpSender(
            settings.smtp_out_host, settings.smtp_out_port, user=settings.smtp_out_user,
            password=settings.smtp_out_password, starttls=settings.smtp_out_starttls)
        self.verifier = SenderVerifier(trusted_authserv_id=settings.mail_trusted_authserv_id,
                                       mta_enforces_dmarc=settings.mail_mta_enforces_dmarc)
        self.retry_attempts = retry_attempts
        self.retry_base_delay = retry_base_delay

    # --- inbound ---
    def accepts(self, recipient: str) -> bool:
        """The desk's address, or a plus-address of it (helpdesk+vip@...)."""
        local, _, domain = recipient.strip("<> ").lower().partition("@")
        desk_local, _, desk_domain = self.address.partition("@")
        return domain == desk_domain and local.split("+", 1)[0] == desk_local

    async def ingest(self, raw: bytes, *, envelope_from: str | None = None, source: str = "smtp",
                     truncated: bool = False, client: SmtpClient | None = None) -> bool:
        """Record one mail (and schedule its answer). False when it was a redelivery. Raises MalformedMail
        when it has no sender; anything else raised means "not recorded, try again"."""
        try:  # a 30 MB mail takes a while to decode: not on the event loop
            mail = await asyncio.to_thread(parse_mail, raw, desk_address=self.address,
                                           envelope_from=envelope_from)
        except MalformedMail:
            path = await asyncio.to_thread(self._store_raw, raw, "rejected")
            log.warning("e-mail without sender kept at %s, not recorded", path)
            raise
        verdict = await asyncio.to_thread(self._verify, raw, mail, source, envelope_from, client)
        raw_path = await asyncio.to_thread(self._store_raw, raw, "raw")
        attachments, too_large, left_out = await asyncio.to_thread(self._store_attachments, mail)
        thread = await self.state.thread(f"{CHANNEL}:{mail.from_address}")
        extras: dict[str, object] = {"raw_path": str(raw_path), "source": source,
                                     "sender_verified": verdict.verified, "sender_check": verdict.how}
        if too_large:
            extras["attachments_too_large"] = too_large
        if left_out:
            extras.update(attachments_over_count=left_out, max_attachments=self.ctx.max_attachments)
        if truncated:
            extras["message_too_large"] = True
        digest = _digest(mail.text)
        if mail.no_reply_reason is None and digest and await self.state.answered_before(
                mail.from_address, digest, LOOP_WINDOW_S):
            extras.update(no_reply=True, no_reply_reason="repeated-content")
        elif digest:
            extras["answer_digest"] = digest  # recorded by reply() once the answer went out
        msg = to_inbound(mail, verified=verdict.verified, attachments=attachments, extras=extras)
        if not msg.extras.get("no_reply"):
            # Before the record: the Dispatcher may answer at once, threaded on this mail.
            await self._remember_inbound(msg.conversation_key, mail, thread)
        if not await self.ctx.inbox.receive(msg):
            log.info("e-mail %s already recorded", mail.message_id)
            return False
        if msg.extras.get("no_reply"):
            log.info("e-mail %s from %s recorded, not answered (%s)", mail.message_id, mail.from_address,
                     msg.extras.get("no_reply_reason"))
        return True

    async def deliver_smtp(self, raw: bytes, envelope_from: str | None,
                           client: SmtpClient | None = None) -> str:
        await self.ingest(raw, envelope_from=envelope_from, source="smtp", client=client)
        return "recorded"

    def _verify(self, raw: bytes, mail: ParsedMail, source: str, envelope_from: str | None,
                client: SmtpClient | None) -> Verdict:
        """SMTP: DKIM/SPF aligned with From; IMAP: the trusted server's Authentication-Results."""
        if source == "imap":
            headers = BytesHeaderParser().parsebytes(raw)
            verdict = self.verifier.verify_auth_results(headers, mail.from_address)
        else:
            client = client or SmtpClient()
            verdict = self.verifier.verify_smtp(raw, mail.from_address, envelope_from=envelope_from,
                                                client_ip=client.ip, helo=client.helo)
        if not verdict.verified:
            log.info("e-mail %s: From %s not verified (%s)", mail.message_id, mail.from_address, verdict.how)
        return verdict

    async def ingest_imap(self, raw: bytes, truncated: bool) -> None:
        # A mail without sender is kept under rejected/; flag it \Seen rather than fetch it forever.
        with contextlib.suppress(MalformedMail):
            await self.ingest(raw, source="imap", truncated=truncated)

    def _store_raw(self, raw: bytes, folder: str) -> Path:
        digest = hashlib.sha256(raw).hexdigest()
        path = self.root / folder / datetime.now(UTC).strftime("%Y-%m") / f"{digest}.eml"
        write_private(path, raw)
        return path

    def _store_attachments(self, mail: ParsedMail) -> tuple[tuple[Attachment, ...], list[str], int]:
        """Store the first ATENDE_MAX_ATTACHMENTS parts (the rest are counted, not listed, not written);
        returns (attachments, names over the size cap, how many were left out)."""
        parts = mail.attachments[: self.ctx.max_attachments]
        stored: list[Attachment] = []
        too_large: list[str] = []
        for part in parts:
            if len(part.data) > self.ctx.max_attachment_bytes:
                too_large.append(part.name)
                stored.append(Attachment(part.name, part.content_type, len(part.data)))
                continue
            stored.append(Attachment(part.name, part.content_type, len(part.data),
                                     path=str(self._write_part(part))))
        return tuple(stored), too_large, len(mail.attachments) - len(parts)

    def _write_part(self, part: MailPart) -> Path:
        """Content-addressed (sha256 of the bytes), so a mail reusing another's Message-ID, or any other
        file, can never replace what a recorded message points to; identical content is stored once."""
        digest = hashlib.sha256(part.data).hexdigest()
        name = _SAFE_NAME.sub("_", part.name).strip("._") or "attachment"
        path = self.attachments_root / digest[:2] / f"{digest}-{name[:80]}"
        write_private(path, part.data)
        return path

    async def _remember_inbound(self, key: str, mail: ParsedMail, thread: Thread) -> None:
        """The user's mail is what our next mail answers: in the conversation, and on its ticket if any."""
        own_id = None if mail.message_id.startswith("sha256:") else mail.message_id
        refs = [*mail.references, *([own_id] if own_id else [])]
        ticket = mail.ticket_ref or (thread.ticket if mail.threaded else None)  # a new mail: a new thread
        await self.state.save_thread(key, replace(thread, subject=mail.subject or thread.subject,
                                            last_message_id=own_id, references=refs, ticket=ticket))
        if ticket:
            await self.state.save_thread(f"ticket:{ticket}", Thread(
                subject=mail.subject, last_message_id=own_id, references=refs, ticket=ticket))

    # --- answering ---
    async def reply(self, message: InboundMessage, replies: Sequence[Reply]) -> None:
        """Answer a recorded mail (the Dispatcher calls this): one mail, threaded on the user's. The loop
        guard's digest is recorded only once the answer went out: after a failed send the user's identical
        resend must be answered, not taken for an auto-responder."""
        if not replies:
            return
        ticket = message.extras.get("ticket_ref")
        digest = message.extras.get("answer_digest")
        await self.send_replies(message.sender.native_id, replies, auto="auto-replied",
                                ticket=str(ticket) if ticket else None,
                                answered_digest=str(digest) if digest else None)

    # --- outbound ---
    async def send_replies(self, address: str, replies: Sequence[Reply], *, auto: str | None,
                           ticket: str | None = None,
                           answered_digest: str | None = None) -> None:
        """One mail with all replies, threaded on the ticket's mails when we know them, else on the
        conversation's last mail; raises ChannelError when it cannot go. ``answered_digest`` (the loop
        guard's digest of the mail answered) is recorded the moment the relay took the answer, not before:
        after a failed send the user's identical resend must be answered."""
        key = f"{CHANNEL}:{address}"
        conversation = await self.state.thread(key)
        ticket = next((r.ticket for r in replies if r.ticket), None) or ticket
        on_ticket = await self.state.thread(f"ticket:{ticket}") if ticket else None
        thread = on_ticket if on_ticket is not None and on_ticket.subject else conversation
        sent = await self.state.sends_since(address, time.time() - 3600)
        if sent >= self.settings.mail_send_cap_per_hour:
            raise ChannelError(f"hourly send cap ({self.settings.mail_send_cap_per_hour}) reached for this "
                               "address; mail not sent", retryable=False, status=None)
        message_id = make_message_id(self.settings.domain, ticket)
        mail = render(replies, desk_address=self.address, desk_name=self.settings.mail_display_name,
                      to=address, subject=thread.subject, ticket=ticket, in_reply_to=thread.last_message_id,
                      references=thread.references, auto=auto, message_id=message_id)

        async def attempt() -> None:
            await self.sender.send(mail, self.address, [address])

        await with_retries(attempt, attempts=self.retry_attempts, base_delay=self.retry_base_delay)
        if answered_digest:
            await self.state.record_answered(address, answered_digest)
        await self.state.record_send(address)
        ours = message_id.strip("<>")
        await self.state.save_thread(key, replace(
            conversation, references=[*conversation.references, ours], ticket=ticket or conversation.ticket))
        if ticket:
            await self.state.save_thread(f"ticket:{ticket}", replace(
                thread, references=[*thread.references, ours], ticket=ticket))

    async def send(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None = None) -> None:
        """Outbound port: agent replies and status changes pushed to the requester's mailbox."""
        channel, _, address = conversation_key.partition(":")
        if channel != CHANNEL or "@" not in address:
            raise ChannelError(f"not an e-mail conversation: {conversation_key!r}", retryable=False)
        automatic = all(r.kind in ("notice", "csat") for r in replies)
        await self.send_replies(address, replies, auto="auto-generated" if automatic else None, ticket=ticket)
