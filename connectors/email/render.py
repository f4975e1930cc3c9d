"""Replies -> one outbound mail. Pure: the caller supplies the thread it answers and a token for the id.

Threading is what keeps the conversation together in the user's client and lets us find the ticket again:
the Message-ID is ours (under the desk's domain, carrying the ticket reference), In-Reply-To/References
continue the user's thread, and the subject carries the ticket tag "[INC-000123]". Options become the
numbered list of connectors.base (answered by number or by words). Automatic mail says so
(Auto-Submitted, RFC 3834) and asks Exchange not to auto-answer it (X-Auto-Response-Suppress).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from connectors.base import render_plain
from connectors.email.parse import LOOP_HEADER, clean_subject
from dialog.messages import Reply

NO_SUBJECT = "(no subject)"


def make_message_id(domain: str, ticket: str | None = None, token: str | None = None) -> str:
    """<atende.INC-000123.<hex>@domain>: a reply to it names the ticket even without the subject tag."""
    token = token or secrets.token_hex(8)
    middle = f"{ticket}." if ticket else ""
    return f"<atende.{middle}{token}@{domain}>"


def reply_subject(original: str, ticket: str | None) -> str:
    base = clean_subject(original) or NO_SUBJECT
    tag = f"[{ticket}] " if ticket else ""
    return f"Re: {tag}{base}"


def body_text(replies: Sequence[Reply]) -> str:
    return "\n\n".join(render_plain(r) for r in replies if r.text or r.options).strip() + "\n"


def render(
    replies: Sequence[Reply],
    *,
    desk_address: str,
    desk_name: str,
    to: str,
    subject: str,
    ticket: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    auto: str | None = "auto-replied",
    message_id: str | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """One mail for a batch of replies. ``auto`` is the Auto-Submitted value (None for a person's words)."""
    domain = desk_address.split("@", 1)[1]
    msg = EmailMessage()
    msg["From"] = formataddr((desk_name, desk_address))
    msg["To"] = to
    msg["Subject"] = reply_subject(subject, ticket)
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = message_id or make_message_id(domain, ticket)
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    refs = [r for r in references if r]
    if in_reply_to and in_reply_to not in refs:
        refs.append(in_reply_to)
    if refs:
        msg["References"] = " ".join(f"<{r}>" for r in refs[-20:])
    if auto:
        msg["Auto-Submitted"] = auto
    msg["X-Auto-Response-Suppress"] = "All"
    msg[LOOP_HEADER] = desk_address
    msg.set_content(body_text(replies))
    return msg
