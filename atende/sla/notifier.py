"""The desk notifier: SLA warnings to agents and teams through the channels the desk already runs.

It sends through the Dispatcher's ``outbounds`` (keyed by channel: ``"email"``, ``"slack"`` ...) with the
conversation key each connector reads in ``Outbound.send``: ``email:<address>`` for a mailbox,
``slack:<channel id>`` (or ``slack:<channel id>:<thread ts>``) for a Slack channel or DM. So there is no
second SMTP or Slack client to configure: a desk that has the channel on has the notifications.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from connectors.base import ChannelError, Outbound
from dialog.messages import Reply

log = logging.getLogger(__name__)


def conversation_key(channel: str, address: str) -> str:
    """The key a channel's Outbound understands for ``address`` (an e-mail address, a Slack channel id)."""
    return f"{channel}:{address}"


class DeskNotifier:
    """``outbounds`` is the Dispatcher's dict itself (connectors are mounted after the notifier exists)."""

    def __init__(self, outbounds: Mapping[str, Outbound]) -> None:
        self.outbounds = outbounds

    async def send(self, channel: str, address: str, text: str, ticket: str | None = None) -> str | None:
        """Send ``text``; None when the channel accepted it, else why not (never raises)."""
        outbound = self.outbounds.get(channel)
        if outbound is None:
            return f"channel {channel} is not configured"
        try:
            await outbound.send(conversation_key(channel, address), [Reply(text, kind="notice")], ticket)
        except ChannelError as exc:
            return str(exc) or type(exc).__name__
        except Exception as exc:  # a connector bug must not stop the other recipients
            log.exception("SLA notification through %s failed", channel)
            return f"{type(exc).__name__}: {exc}"
        return None

    async def deliver(self, recipients: list[dict[str, Any]], text: str,
                      ticket: str | None = None) -> dict[tuple[str, str], str | None]:
        """Send to every recipient not yet reached; ``{(channel, address): None or the error}``."""
        results: dict[tuple[str, str], str | None] = {}
        for r in recipients:
            if r.get("sent"):
                continue
            key = (str(r["channel"]), str(r["address"]))
            results[key] = await self.send(*key, text, ticket)
        return results
