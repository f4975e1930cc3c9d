"""Logging set-up: text or JSON lines, the context of the message being handled, and secret redaction.

- ``ATENDE_LOG_FORMAT=json`` writes one JSON object per line: time, level, logger, message, and the
  conversation key, message id and ticket reference when the code that logs runs inside
  :func:`log_context` (contextvars: they follow the asyncio task and the threads of asyncio.to_thread).
- :class:`RedactingFilter` sits on the handler, so every record is cleaned whoever logs it (our code,
  uvicorn's access log, an SDK): the configured secrets verbatim, Authorization headers, credentials in
  query strings and in URLs, ``password=...`` pairs, Telegram bot tokens, Slack tokens.
- A web-chat conversation key is ``web:<session>``, and the session id is that user's secret: logs carry a
  pseudonym (``web:#<12 hex>``, a hash) instead, stable so that one conversation's lines can be grepped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import unquote, urlsplit

_conversation: ContextVar[str | None] = ContextVar("atende_conversation_key", default=None)
_message: ContextVar[str | None] = ContextVar("atende_message_id", default=None)
_ticket: ContextVar[str | None] = ContextVar("atende_ticket", default=None)

CONTEXT_FIELDS = ("conversation_key", "message_id", "ticket")
MASK = "***"
#: Shorter "secrets" would mask ordinary words in every line; nothing that short is a secret anyway.
MIN_SECRET_LEN = 6
_WEB_KEY = re.compile(r"\bweb:([A-Za-z0-9_-]{16,128})")


def pseudonym(value: str) -> str:
    """Replace web-chat session ids (a bearer secret) inside ``value`` by a stable hash."""
    return _WEB_KEY.sub(lambda m: "web:#" + hashlib.sha256(m.group(1).encode()).hexdigest()[:12], value)


@contextmanager
def log_context(
    *, conversation_key: str | None = None, message_id: str | None = None, ticket: str | None = None
) -> Iterator[None]:
    """Name the conversation, message and ticket in every log line written inside the block (also from
    threads started with asyncio.to_thread). Fields left None keep the value of an enclosing block; every
    field, :func:`bind_ticket`'s too, is restored on the way out, so nothing leaks into the next message
    a long-lived task (a connector's delivery loop) handles."""
    tokens: list[tuple[ContextVar[str | None], Token[str | None]]] = []
    for var, value in ((_conversation, conversation_key), (_message, message_id), (_ticket, ticket)):
        tokens.append((var, var.set(pseudonym(value) if value is not None else var.get())))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def bind_ticket(reference: str) -> None:
    """The ticket is known only once filed: name it in the rest of the current log context."""
    _ticket.set(reference)


def context_fields() -> dict[str, str]:
    values = {"conversation_key": _conversation.get(), "message_id": _message.get(), "ticket": _ticket.get()}
    return {k: v for k, v in values.items() if v is not None}


# --- redaction ----------------------------------------------------------------------------------------------
_CREDENTIAL_WORDS = (
    r"access_token|refresh_token|id_token|api_?key|apikey|token|secret|client_secret|signing_secret|"
    r"password|passwd|pwd|auth_token|auth|sig|signature|session|key"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer xyz / 'authorization': 'Basic xyz' / authorization=xyz
    (
        re.compile(r"(?i)(\bauthorization\b[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|token)\s+)?[^\s\"',;]+"),
        r"\1" + MASK,
    ),
    # credentials in query strings: ?token=..., &session=..., &Signature=...
    (re.compile(rf"(?i)([?&](?:{_CREDENTIAL_WORDS})=)[^&\s\"'#]+"), r"\1" + MASK),
    # user:password@ in URLs (database, Redis, SMTP relay URLs)
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), r"\1" + MASK + "@"),
    # password=..., "password": "...", secret: ...
    (
        re.compile(
            r"(?i)\b((?:[a-z_]*_)?(?:password|passwd|secret|api_?key|auth_token|access_token)[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s\"',;&]+"
        ),
        r"\1" + MASK,
    ),
    # Telegram bot tokens (also inside Bot API URLs: /bot<token>/sendMessage)
    (re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}"), MASK),
    # Slack tokens
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MASK),
)


class Redactor:
    """Masks the configured secrets verbatim (longest first) and the credential shapes above."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        found = {s for s in secrets if s and len(s) >= MIN_SECRET_LEN}
        # URL-encoded forms too: a password with '/' or '@' appears quoted inside a URL.
        found |= {q for s in list(found) if (q := _quote(s)) != s}
        ordered = sorted(found, key=len, reverse=True)
        self._exact = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None

    def __call__(self, text: str) -> str:
        if self._exact is not None:
            text = self._exact.sub(MASK, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return pseudonym(text)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def collect_secrets(env: Mapping[str, str], *extra: str | None) -> list[str]:
    """Every secret the process is configured with: ATENDE_* variables named like a credential (API and
    metrics tokens, Telegram token and secret, Twilio auth token, Slack bot token and signing secret,
    IMAP/SMTP passwords), passwords inside ATENDE_*_URL values, plus ``extra`` (the generated API token)."""
    names = ("TOKEN", "SECRET", "PASSWORD")
    out: list[str] = [s for s in extra if s]
    for name, value in env.items():
        if not name.startswith("ATENDE_") or not value:
            continue
        if any(part in names for part in name.split("_")):
            out.append(value)
        if name.endswith("_URL"):
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                out.extend({password, unquote(password)})
    return out


class RedactingFilter(logging.Filter):
    """On a handler: renders each record's message (and traceback) once, redacted, so no formatter after
    it can put a secret back from ``args``."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in context_fields().items():
            setattr(record, name, self.redact(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = record.stack_info
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, plus the message context in brackets when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{name}={value}" for name in CONTEXT_FIELDS if (value := getattr(record, name, None)) is not None
        )
        if not context:
            return line
        head, sep, tail = line.partition("\n")
        return f"{head} [{context}]{sep}{tail}"


#: uvicorn configures these itself unless told not to (serve passes log_config=None): they must reach our
#: handler so that its access lines are formatted and redacted like every other line.
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def configure_logging(
    level: str | int, fmt: str, secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> logging.Handler:
    """Install the one handler on the root logger (replacing any), with redaction; returns it."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter(Redactor(secrets)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _UVICORN:
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    return handler
