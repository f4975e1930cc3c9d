"""E-mail channel: an SMTP listener (aiosmtpd) and an IMAP poller (imapclient) feeding one desk, and SMTP out.

``mount(ctx, env)`` is what ``atende serve`` calls: None when no e-mail variable is set, a ConfigError naming
the missing variable when half of them are, else a Mounted whose start/stop run the listener and the poller
in the server's event loop and whose outbound pushes agent replies to the requester's mailbox.
"""

from __future__ import annotations

from collections.abc import Mapping

from connectors.base import ConnectorContext, Mounted
from connectors.email.desk import EmailDesk
from connectors.email.imap import ImapPoller
from connectors.email.listener import SmtpListener
from connectors.email.settings import EmailSettings, load_settings

__all__ = ["EmailDesk", "EmailService", "EmailSettings", "load_settings", "mount"]


class EmailService:
    """The desk plus its two inbound feeds, started and stopped together."""

    def __init__(self, desk: EmailDesk) -> None:
        self.desk = desk
        s = desk.settings
        self.listener: SmtpListener | None = None
        self.poller: ImapPoller | None = None
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
        if self.poller:
            await self.poller.start()

    async def stop(self) -> None:
        if self.poller:
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
