"""Outbound SMTP: holds smtplib (blocking, so it runs in a worker thread) and translates its errors once.

4xx replies and dropped connections are transient (retried by connectors.base.with_retries); 5xx are
permanent. SMTP has no Retry-After, so the backoff of with_retries applies.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage

from connectors.base import ChannelError


class SmtpSender:
    def __init__(self, host: str, port: int, *, user: str | None = None, password: str | None = None,
                 starttls: bool = True, timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.port = port
        self._user = user
        self._password = password
        self._starttls = starttls
        self._timeout = timeout
        self._ssl_context = ssl_context

    def _send_sync(self, msg: EmailMessage, envelope_from: str, to: Sequence[str]) -> None:
        context = self._ssl_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.port == 465:  # implicit TLS
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self._timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        with smtp:
            smtp.ehlo()
            if self._starttls and self.port != 465:
                smtp.starttls(context=context)
                smtp.ehlo()
            if self._user:
                smtp.login(self._user, self._password or "")
            smtp.send_message(msg, from_addr=envelope_from, to_addrs=list(to))

    async def send(self, msg: EmailMessage, envelope_from: str, to: Sequence[str]) -> None:
        try:
            await asyncio.to_thread(self._send_sync, msg, envelope_from, to)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            transient = bool(codes) and all(400 <= c < 500 for c in codes)
            raise ChannelError(f"recipient refused: {exc.recipients}", retryable=transient,
                               status=codes[0] if codes else None) from None
        except smtplib.SMTPResponseException as exc:
            raise ChannelError(f"relay answered {exc.smtp_code}: {exc.smtp_error!r}",
                               retryable=400 <= exc.smtp_code < 500, status=exc.smtp_code) from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. STARTTLS required but not offered
            raise ChannelError(f"relay does not support what we need: {exc}", retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused connections
            raise ChannelError(f"relay unreachable: {type(exc).__name__}: {exc}", retryable=True) from None
