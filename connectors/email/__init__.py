"""E-mail channel: an SMTP listener (aiosmtpd) and an IMAP poller (imapclient) feeding one desk, and SMTP out.

``mount(ctx, env)`` is what ``atende serve`` calls: None when no e-mail variable is set, a ConfigError naming
the missing variable when half of them are, else a Mounted whose start/stop run the listener and the poller
in the server's event loop and whose outbound pushes agent replies to the requester's mailbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from connectors.base import ConnectorContext, Mounted
from connectors.email.desk import EmailDesk
from connectors.email.imap import ImapPoller
from connectors.email.listener import SmtpListener
from connectors.email.settings import EmailSettings, load_settings

__all__ = ["EmailDesk", "EmailService", "EmailSettings", "load_settings", "mount"]

log = logging.getLogger(__name__)

#: Scaled mode: how long the IMAP poller's lease lasts unrenewed (renewed every third of it).
POLLER_LEASE_SECONDS = 15.0


class EmailService:
    """The desk plus its two inbound feeds, started and stopped together."""

    def __init__(self, desk: EmailDesk) -> None:
        self.desk = desk
        s = desk.settings
        self.listener: SmtpListener | None = None
        self.poller: ImapPoller | None = None
        self._leased: asyncio.Task[None] | None = None
        self.lease_seconds = POLLER_LEASE_SECONDS
        if s.smtp_listen_port:
            self.listener = SmtpListener(s.smtp_listen_host, s.smtp_listen_port, desk.deliver_smtp,
                                         accepts=desk.accepts, size_limit=s.mail_max_message_bytes,
                                         allow=s.listen_allow, hostname=s.domain,
                                         client_limit=desk.ctx.client_limit)
        if s.imap_enabled:
            assert s.imap_host and s.imap_user and s.imap_password is not None
            self.poller = ImapPoller(host=s.imap_host, port=s.resolved_imap_port, user=s.imap_user,
                                     password=s.imap_password, use_ssl=s.imap_ssl, folder=s.imap_folder,
                                     state=desk.state, ingest=desk.ingest_imap,
                                     max_message_bytes=s.mail_max_message_bytes,
                                     poll_seconds=s.imap_poll_seconds)

    async def start(self) -> None:
        if self.listener:
            await self.listener.start()
        if self.poller and self.desk.ctx.lease is not None:
            # Scaled mode: every ingress process mounts the channel, one of them polls the mailbox.
            self._leased = asyncio.get_running_loop().create_task(self._poll_under_lease(self.poller))
        elif self.poller:
            await self.poller.start()

    async def _poll_under_lease(self, poller: ImapPoller) -> None:
        """Poll while this process holds the mailbox's lease; another process takes over within the lease
        time when this one dies or loses it (two pollers would only fetch twice: the inbox de-duplicates)."""
        lease = self.desk.ctx.lease
        assert lease is not None
        name, ttl = f"imap-poller:{poller.account}", self.lease_seconds
        polling = False
        try:
            while True:
                if not polling and await lease.acquire(name, ttl):
                    log.info("IMAP poller for %s runs in this process", poller.account)
                    await poller.start()
                    polling = True
                elif polling and not await lease.renew(name, ttl):
                    log.warning("IMAP poller lease for %s lost: polling stops here", poller.account)
                    await poller.stop()
                    polling = False
                await asyncio.sleep(ttl / 3)
        finally:
            if polling:
                await poller.stop()
                with contextlib.suppress(Exception):
                    await lease.release(name)

    async def stop(self) -> None:
        if self._leased is not None:
            self._leased.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._leased
            self._leased = None
        elif self.poller:
            await self.poller.stop()
        if self.listener:
            await self.listener.stop()

    def mounted(self) -> Mounted:
        return Mounted(name="email", channels=("email",), router=None, outbound=self.desk,
                       start=self.start, stop=self.stop)


def mount(ctx: ConnectorContext, env: Mapping[str, str] | None = None) -> Mounted | None:
    settings = load_settings(env)
    if settings is None:
        return None
    return EmailService(EmailDesk(ctx, settings)).mounted()
