"""The SMTP listener: an aiosmtpd server running in the application's own event loop.

It is the e-mail twin of a webhook: the envelope is checked before the content is looked at (the client's
address against ATENDE_SMTP_LISTEN_ALLOW, every recipient against the desk's address), the size is capped
(SIZE is advertised; a bigger mail gets a polite 552), and "250 OK" is answered only after the desk has
recorded the mail, so the sending MTA keeps it and retries when anything fails before (451).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, Envelope, Session

from connectors.email.parse import MalformedMail
from connectors.email.verify import SmtpClient

log = logging.getLogger(__name__)

#: (raw bytes, envelope sender, client) -> a short id for the 250 line; raises MalformedMail or anything else.
Deliver = Callable[[bytes, str | None, SmtpClient], Awaitable[str]]


class _DeskSMTP(SMTP):
    """aiosmtpd's server with lenient line length (HTML mail often breaks RFC 5321's 1000) and kind words."""

    line_length_limit = 64 * 1024

    def __init__(self, handler: Any, *, size_limit: int, **kwargs: Any) -> None:
        super().__init__(handler, data_size_limit=size_limit, enable_SMTPUTF8=True, **kwargs)
        self._size_mb = max(1, size_limit // (1024 * 1024))

    async def push(self, status: AnyStr) -> None:
        if isinstance(status, str) and status.startswith("552 Error"):
            status = (f"552 5.3.4 Sorry, this message is larger than the service desk accepts "
                      f"({self._size_mb} MB). Please send large files as a link.")
        await super().push(status)


class _Handler:
    def __init__(self, deliver: Deliver, accepts: Callable[[str], bool], allow: frozenset[str],
                 client_limit: Callable[[str], bool] | None = None) -> None:
        self._deliver = deliver
        self._accepts = accepts
        self._allow = allow
        self._client_limit = client_limit

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        if self._allow and peer not in self._allow:
            log.warning("SMTP: refused mail from client %s (not in ATENDE_SMTP_LISTEN_ALLOW)", peer)
            return "550 5.7.1 This server does not accept mail from your host"
        if self._client_limit is not None and not self._client_limit(peer):
            log.warning("SMTP: client %s over its rate limit (ATENDE_RATE_LIMIT_IP)", peer)
            return "450 4.7.1 Too many messages from your host; please slow down and retry later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if not self._accepts(address):
            log.info("SMTP: refused recipient %s", address)
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        client = SmtpClient(ip=str(peer) if peer else None, helo=session.host_name or None)
        try:
            ref = await self._deliver(bytes(raw), envelope.mail_from, client)
        except MalformedMail as exc:
            return f"550 5.6.0 {exc}"
        except Exception:
            log.exception("SMTP: could not record a mail; the sender will retry")
            return "451 4.3.0 Temporary failure, please try again later"
        return f"250 2.0.0 OK {ref}"


class SmtpListener:
    def __init__(self, host: str, port: int, deliver: Deliver, *, accepts: Callable[[str], bool],
                 size_limit: int, allow: frozenset[str] = frozenset(), hostname: str | None = None,
                 client_limit: Callable[[str], bool] | None = None) -> None:
        self.host = host
        self.port = port
        self._handler = _Handler(deliver, accepts, allow, client_limit)
        self._size_limit = size_limit
        self._hostname = hostname
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def factory() -> _DeskSMTP:
            return _DeskSMTP(self._handler, size_limit=self._size_limit, hostname=self._hostname, loop=loop)

        self._server = await loop.create_server(factory, host=self.host, port=self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("SMTP listener on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
