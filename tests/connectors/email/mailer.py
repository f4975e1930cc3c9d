"""Test-side mail client: builds user mails and hands them to the listener with smtplib (in a thread, since
the listener runs in the test's own event loop)."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import make_msgid

from tests.connectors.email.conftest import DESK, CapturedMail


def user_mail(sender: str, subject: str, body: str, *, to: str = DESK, reply_to: CapturedMail | None = None,
              headers: dict[str, str] | None = None, message_id: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="example.com")
    if reply_to is not None:
        ours = reply_to.message["Message-ID"]
        msg["In-Reply-To"] = ours
        refs = str(reply_to.message.get("References", ""))
        msg["References"] = f"{refs} {ours}".strip()
        quoted = "\n".join(f"> {line}" for line in reply_to.body.splitlines())
        body = f"{body}\n\nOn Mon, 3 Mar 2025 at 10:00, Service Desk <{DESK}> wrote:\n{quoted}\n"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes(policy=SMTP_POLICY)  # CRLF line ends, as MTAs send


def _send_sync(port: int, raw: bytes, mail_from: str, rcpt: Sequence[str]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.sendmail(mail_from, list(rcpt), raw)


async def send(port: int, raw: bytes, mail_from: str = "user@example.com",
               rcpt: Sequence[str] = (DESK,)) -> None:
    await asyncio.to_thread(_send_sync, port, raw, mail_from, rcpt)


def _send_raw_data_sync(port: int, raw: bytes, mail_from: str) -> tuple[int, bytes]:
    """MAIL without SIZE, then DATA: how an old MTA would push an oversized mail."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.ehlo()
        smtp.mail(mail_from)
        smtp.rcpt(DESK)
        smtp.putcmd("data")
        code, _ = smtp.getreply()
        assert code == 354
        smtp.send(smtplib.quotedata(raw.decode("ascii", "replace")).encode("ascii", "replace") + b"\r\n.\r\n")
        return smtp.getreply()


async def send_without_size(port: int, raw: bytes, mail_from: str = "user@example.com") -> tuple[int, bytes]:
    return await asyncio.to_thread(_send_raw_data_sync, port, raw, mail_from)
