"""How `atende serve` runs uvicorn: limits on what a client may send, and logs without credentials.

- h11, not httptools: uvicorn exposes a head-size limit for h11 only (``h11_max_incomplete_event_size``;
  httptools accepted 64 MB of headers). A bigger head gets 400.
- A deadline for the head (:class:`DeadlineH11`): uvicorn's keep-alive timer is reset by any byte, so a
  client trickling one header byte at a time held a connection forever. The body has its own deadline
  (atende.app.BodyReadTimeout, 408); both are ATENDE_READ_TIMEOUT.
- The access log without query strings (``?session=`` is the web-chat user's secret), and httpx's request
  lines (provider URLs) kept out of INFO.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from atende.settings import Settings


class DeadlineH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head (from its first byte, or from the
    connection, until the head is complete); ``head_timeout`` is set per server by :func:`server_config`."""

    head_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_deadline: asyncio.TimerHandle | None = self.loop.call_later(
            self.head_timeout, self._head_expired)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        reading_head = self.conn.their_state is h11.IDLE and bool(self.conn.trailing_data[0])
        if not reading_head:
            self._cancel_head_deadline()
        elif self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.head_timeout, self._head_expired)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_expired(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


class DropQueryStrings(logging.Filter):
    """Uvicorn's access log line without the query string: ``?session=`` is the web-chat user's secret, and
    no credential in a URL may reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def server_config(app: Any, settings: Settings) -> uvicorn.Config:
    """The uvicorn configuration ``atende serve`` runs."""
    protocol = type("AtendeH11", (DeadlineH11,), {"head_timeout": settings.read_timeout})
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        log_config=None,  # our handler (format, redaction) serves uvicorn's loggers too
        proxy_headers=True,
        http=protocol,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_keep_alive=5,
    )
    logging.getLogger("uvicorn.access").addFilter(DropQueryStrings())
    logging.getLogger("httpx").setLevel(logging.WARNING)  # logs every provider URL it fetches at INFO
    return config
