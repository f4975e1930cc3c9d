"""The Slack connector: Events API, interactive buttons and the /ticket command; the channel's Outbound.

Framework-neutral, like Bolt's BoltRequest/BoltResponse: each ``handle_*`` takes the raw body and the
headers and returns (status, JSON body or None); routes.py is the thin FastAPI adapter. Every request is
verified with the signing secret (HMAC over the raw body, 5-minute timestamp window) before anything reads
it. Slack wants its answer within 3 seconds, so a request only records the message (inbox.receive); the
Dispatcher runs the file downloads (:meth:`prepare`), the engine and the replies (:meth:`reply`) after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

from connectors.attachments import safe_name, store_attachments
from connectors.base import ChannelError, ConnectorContext, send_parts, with_retries
from connectors.slack.client import SlackClient
from connectors.slack.parse import (
    CHANNEL,
    MalformedPayload,
    address_from_key,
    command_text,
    parse_command,
    parse_event,
    parse_interaction,
)
from connectors.slack.render import answered, render
from connectors.slack.settings import SlackSettings
from connectors.work import BackgroundWork
from dialog.messages import InboundMessage, Reply

log = logging.getLogger(__name__)

Response = tuple[int, dict[str, Any] | None]
AfterAck = Callable[[InboundMessage], Coroutine[Any, Any, None]]

USAGE = ("Usage: `/ticket <describe the problem>` or `/ticket status`\n"
         "Uso: `/ticket <descreva o problema>` · `/ticket <describe el problema>` · `/ticket status`")


class SlackConnector:
    """Holds the client; is the channel's Outbound; owns the cosmetic work after the acknowledgement."""

    channel = CHANNEL

    def __init__(self, settings: SlackSettings, ctx: ConnectorContext, client: SlackClient) -> None:
        self.settings = settings
        self.ctx = ctx
        self.client = client
        self.verifier = SignatureVerifier(settings.signing_secret)
        self.work = BackgroundWork(CHANNEL)
        self.attachment_dir = ctx.data_dir / "attachments" / CHANNEL
        self.retry_attempts = 4
        self.retry_base_delay = 0.5
        self.lookup_timeout = 1.0  # users.info / conversations.open inside the 3-second window
        self.profile_ttl = 3600.0
        self._bot_user_id: str | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()  # recent event ids: Slack's retries stop here
        self._profiles: dict[str, tuple[float, dict[str, Any] | None]] = {}

    @classmethod
    def create(cls, settings: SlackSettings, ctx: ConnectorContext) -> SlackConnector:
        return cls(settings, ctx, SlackClient(settings.bot_token, settings.api_base))

    async def start(self) -> None:
        try:
            me = await self.client.auth_test()
            self._bot_user_id = me.get("user_id")
            log.info("slack connected as %s in team %s", me.get("user"), me.get("team"))
        except ChannelError as exc:
            log.warning("slack auth.test failed: %s", exc)

    async def stop(self) -> None:
        await self.work.close()
        await self.client.close()

    # -- authentication ----------------------------------------------------------------------------------

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        ts = headers.get("x-slack-request-timestamp")
        sig = headers.get("x-slack-signature")
        try:
            return self.verifier.is_valid(body=body, timestamp=ts, signature=sig)
        except (ValueError, UnicodeDecodeError):  # a timestamp that is not a number, a body that is not UTF-8
            return False

    def _refuse(self, route: str) -> Response:
        log.warning("slack %s refused: bad or missing signature, or timestamp outside the 5-minute window",
                    route)
        return 401, {"detail": "invalid signature"}

    # -- Events API --------------------------------------------------------------------------------------

    async def handle_events(self, body: bytes, headers: Mapping[str, str]) -> Response:
        if not self.verify(body, headers):
            return self._refuse("event")
        try:
            envelope = json.loads(body)
            kind = envelope.get("type") if isinstance(envelope, dict) else None
            if kind == "url_verification":
                challenge = envelope.get("challenge")
                if not isinstance(challenge, str):
                    raise MalformedPayload("challenge is missing")
                return 200, {"challenge": challenge}
            if kind != "event_callback":
                if kind is None:
                    raise MalformedPayload("not an Events API envelope")
                return 200, None  # app_rate_limited and other notices
            event_id = envelope.get("event_id")
            if isinstance(event_id, str) and event_id in self._seen:
                log.info("slack redelivery of %s (retry %s) ignored", event_id,
                         headers.get("x-slack-retry-num", "-"))
                return 200, None
            msg = parse_event(envelope, self._bot_user_id)
        except (ValueError, UnicodeDecodeError) as exc:  # MalformedPayload and JSON errors
            log.info("slack event refused: %s", exc)
            return 400, {"detail": f"malformed payload: {exc}"}
        if msg is None:
            return 200, None
        return await self._accept(msg)

    async def _accept(self, msg: InboundMessage, on_first: AfterAck | None = None) -> Response:
        """Record the message (the only work inside Slack's 3 seconds besides the profile lookup), then
        schedule the rest; ``on_first`` runs only for a first delivery."""
        msg = await self._with_profile(msg)
        first = await self.ctx.inbox.receive(msg)
        self._remember(msg)
        if not first:
            return 200, None
        if on_first is not None:
            self.work.spawn(on_first(msg))
        return 200, None

    def _remember(self, msg: InboundMessage) -> None:
        if msg.provider_message_id:
            self._seen[msg.provider_message_id] = None
            while len(self._seen) > 10_000:
                self._seen.popitem(last=False)

    async def _with_profile(self, msg: InboundMessage) -> InboundMessage:
        """Name, locale and - when Slack confirmed it - the e-mail (links identities across channels).

        Looked up within the 3-second window because the record must carry the identity; cached, bounded
        by a short timeout, and optional: without the users:read.email scope the message goes on without.
        """
        user = msg.sender.native_id
        info: dict[str, Any] | None
        cached = self._profiles.get(user)
        if cached is not None and cached[0] > time.monotonic():
            info = cached[1]
        else:
            try:
                async with asyncio.timeout(self.lookup_timeout):
                    info = await self.client.user_info(user)
            except (ChannelError, TimeoutError) as exc:
                log.info("slack users.info for %s skipped: %s", user, exc or "timeout")
                return msg
            self._profiles[user] = (time.monotonic() + self.profile_ttl, info)
        if not info or info.get("is_bot"):
            return msg
        raw_profile = info.get("profile")
        profile: Mapping[str, Any] = raw_profile if isinstance(raw_profile, Mapping) else {}
        email = profile.get("email") if info.get("is_email_confirmed", True) is not False else None
        name = profile.get("display_name") or profile.get("real_name") or info.get("real_name")
        sender = replace(msg.sender, email=email if isinstance(email, str) and "@" in email else None,
                         display_name=name if isinstance(name, str) and name else msg.sender.display_name)
        locale = info.get("locale")
        return replace(msg, sender=sender, locale_hint=locale if isinstance(locale, str) else msg.locale_hint)

    # -- interactions (Block Kit buttons) ----------------------------------------------------------------

    async def handle_interactions(self, body: bytes, headers: Mapping[str, str]) -> Response:
        if not self.verify(body, headers):
            return self._refuse("interaction")
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            payload = json.loads(form.get("payload", ""))
            msg = parse_interaction(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            log.info("slack interaction refused: %s", exc)
            return 400, {"detail": f"malformed payload: {exc}"}
        if msg is None:
            return 200, None
        return await self._accept(msg, on_first=lambda m: self._mark_answered(payload.get("message"), m))

    async def _mark_answered(self, message: Any, msg: InboundMessage) -> None:
        """Replace the pressed question's buttons by the choice (best effort: cosmetic)."""
        ts = msg.extras.get("slack_ts")
        if not isinstance(message, Mapping) or not isinstance(ts, str):
            return
        try:
            blocks = answered(message.get("blocks") or [], msg.text)
            await self.client.update_message(msg.extras["slack_channel"], ts, str(message.get("text") or " "),
                                             blocks)
        except ChannelError as exc:
            log.info("slack chat.update of the answered question failed: %s", exc)

    # -- slash command -----------------------------------------------------------------------------------

    async def handle_commands(self, body: bytes, headers: Mapping[str, str]) -> Response:
        if not self.verify(body, headers):
            return self._refuse("command")
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body)))
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, {"detail": f"malformed payload: {exc}"}
        user = form.get("user_id")
        if not user or not form.get("command"):
            return 400, {"detail": "malformed payload: user_id and command are required"}
        if command_text(form).lower() in ("", "help"):
            return 200, {"response_type": "ephemeral", "text": USAGE}
        try:
            async with asyncio.timeout(self.lookup_timeout * 2):
                dm = await self.client.open_dm(user)
        except (ChannelError, TimeoutError) as exc:
            log.warning("slack conversations.open for %s failed: %s", user, exc or "timeout")
            return 200, {"response_type": "ephemeral",
                         "text": "I could not open a direct message with you; please write to me directly."}
        status, _ = await self._accept(parse_command(form, dm))
        return status, None  # an empty 200: the answer arrives in the direct message

    # -- processing and delivery -------------------------------------------------------------------------

    async def prepare(self, msg: InboundMessage) -> InboundMessage:
        """Run by the Dispatcher before the engine: fetch the files the message lists."""
        return await self._store_attachments(msg)

    async def reply(self, message: InboundMessage, replies: Sequence[Reply]) -> None:
        """Answer a recorded message in the DM or thread it came from."""
        if not replies:
            return
        channel, thread_ts = address_from_key(message.conversation_key)
        await self._post_all(channel, thread_ts, render(replies))

    async def _store_attachments(self, msg: InboundMessage) -> InboundMessage:
        """Download the files after the acknowledgement (Slack's 3 s would not allow it before): the
        recorded message lists them, the processed one has their stored paths."""
        cap = self.ctx.max_attachment_bytes

        async def fetch(ref: Mapping[str, Any], dest: Path) -> int:
            return await with_retries(lambda: self.client.download(ref["url"], dest, cap),
                                      attempts=self.retry_attempts, base_delay=self.retry_base_delay)

        return await store_attachments(
            msg, msg.extras.get("slack_files") or (), self.attachment_dir, cap,
            file_name=lambda ref, att: f"{safe_name(ref['id'])}_{safe_name(att.name)}", fetch=fetch)

    async def _post_all(self, channel: str, thread_ts: str | None,
                        messages: Sequence[Mapping[str, Any]]) -> None:
        async def one(params: Mapping[str, Any]) -> None:
            await with_retries(lambda: self.client.post_message(channel, thread_ts, params),
                               attempts=self.retry_attempts, base_delay=self.retry_base_delay)

        await send_parts(messages, one)

    async def send(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None = None) -> None:
        """Outbound (agent replies, status changes): into the DM or thread the conversation lives in."""
        try:
            channel, thread_ts = address_from_key(conversation_key)
        except ValueError as exc:
            raise ChannelError(str(exc), retryable=False) from None
        await self._post_all(channel, thread_ts, render(replies))
