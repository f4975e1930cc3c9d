"""WhatsApp and SMS through Twilio Messaging: the webhook, the deliveries and the agent pushes.

The webhook verifies the signature, parses the message once, stores it (media downloaded first, under the
size cap) and answers an empty TwiML at once; the Dispatcher runs the engine afterwards and its replies go
out through the REST API (:meth:`reply`). Twilio gives up on a webhook after 15 seconds, and the engine
(classifier, knowledge base) may need longer than that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from fastapi import HTTPException, Request, Response
from twilio.twiml.messaging_response import MessagingResponse

from connectors.attachments import attachment_extras
from connectors.base import ChannelError, ConnectorContext, send_parts, with_retries
from connectors.twilio.client import TwilioClient
from connectors.twilio.parse import MalformedPayload, MediaItem, media_items, parse_messaging
from connectors.twilio.render import render_messages, template_variables
from connectors.twilio.settings import TwilioSettings
from connectors.twilio.state import ContactState
from connectors.twilio.webhook import SignedForm
from connectors.work import BackgroundWork
from dialog.messages import Attachment, InboundMessage, Reply, utcnow

log = logging.getLogger(__name__)

WHATSAPP_WINDOW = timedelta(hours=24)
TWIML_EMPTY = str(MessagingResponse())
OUTSIDE_WINDOW = "outside the 24-hour window"


def twiml(body: str) -> Response:
    return Response(content=body, media_type="application/xml")


class TwilioMessaging:
    """Holds what WhatsApp/SMS need; also the connector's Outbound (``send``) for agent pushes.

    Agent pushes reach "whatsapp:+..." keys on WhatsApp (free-form inside the 24-hour window, else the
    configured template, else a non-retryable ChannelError the agent is shown), "sms:+..." keys by SMS and
    "voice:+..." keys (callers) by SMS as well.
    """

    channel = "twilio"
    channels = ("whatsapp", "sms", "voice")

    def __init__(self, ctx: ConnectorContext, settings: TwilioSettings, client: TwilioClient,
                 state: ContactState, form: SignedForm) -> None:
        self.ctx = ctx
        self.settings = settings
        self.client = client
        self.state = state
        self.form = form
        self.retry_base_delay = 0.5  # tests shorten it
        self.courtesy = BackgroundWork("twilio")  # the voice caller's reference SMS, after the answer

    # ------------------------------------------------------------ inbound

    async def webhook(self, request: Request) -> Response:
        params = await self.form(request)  # 403 before anything is read
        try:
            msg = parse_messaging(params)
            media = media_items(params)
        except MalformedPayload as exc:
            log.warning("malformed Twilio messaging webhook: %s", exc)
            raise HTTPException(400, str(exc)) from None
        if msg is None:
            return twiml(TWIML_EMPTY)
        if media:
            attachments, extras = await self._download(msg, media)
            msg = replace(msg, attachments=tuple(attachments), extras={**msg.extras, **extras})
        if not await self.ctx.inbox.receive(msg):
            return twiml(TWIML_EMPTY)
        await self.state.touch_inbound(msg.conversation_key, msg.received_at)
        return twiml(TWIML_EMPTY)

    async def _download(self, probe: InboundMessage, media: Sequence[MediaItem]
                        ) -> tuple[list[Attachment], dict[str, Any]]:
        """Fetch the media in parallel (Twilio waits 15 s for the webhook). A file over the cap or one
        that cannot be fetched is still listed, without a path, and the extras say why."""
        folder = self.ctx.data_dir / "attachments" / probe.channel
        names = [f"{probe.provider_message_id}-{item.index}" for item in media]
        results = await asyncio.gather(
            *(self.client.download(item.url, folder / name, item.content_type, self.ctx.max_attachment_bytes)
              for item, name in zip(media, names, strict=True)),
            return_exceptions=True)
        attachments: list[Attachment] = []
        too_large: list[str] = []
        failed: list[str] = []
        for item, name, got in zip(media, names, results, strict=True):
            if isinstance(got, BaseException):
                if not isinstance(got, ChannelError):
                    raise got
                log.warning("media %s of %s not downloaded: %s", item.index, probe.provider_message_id, got)
                failed.append(name)
                attachments.append(Attachment(name, item.content_type, 0, None, item.url))
                continue
            if got.too_large:
                too_large.append(name)
            filename = got.path.name if got.path else name
            attachments.append(Attachment(filename, item.content_type, got.size,
                                          str(got.path) if got.path else None, item.url))
        return attachments, attachment_extras(too_large, failed, self.ctx.max_attachment_bytes)

    # ------------------------------------------------------------ outbound

    def _sender(self, channel: str) -> str | None:
        return self.settings.twilio_whatsapp_from if channel == "whatsapp" else self.settings.twilio_sms_from

    async def _send_one(self, to: str, sender: str | None, body: str | None = None, **template: str) -> None:
        await with_retries(lambda: self.client.send_message(to, sender, body, **template),
                           base_delay=self.retry_base_delay)

    async def _send_texts(self, state_key: str, to: str, sender: str | None,
                          replies: Sequence[Reply]) -> None:
        if not sender:
            raise ChannelError(f"no Twilio sender configured for {state_key.split(':')[0]}")
        await send_parts(render_messages(replies), lambda body: self._send_one(to, sender, body))

    async def reply(self, message: InboundMessage, replies: Sequence[Reply]) -> None:
        """Answer a recorded WhatsApp/SMS message from the number it was sent to."""
        if not replies:
            return
        if message.channel == "voice":  # a caller: answers after the call go by SMS
            await self.send(message.conversation_key, replies)
            return
        sender = str(message.extras.get("to") or "") or self._sender(message.channel)
        to = message.sender.native_id if message.channel == "sms" else f"whatsapp:{message.sender.native_id}"
        await self._send_texts(message.conversation_key, to, sender, replies)

    async def send(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None = None) -> None:
        """Push agent replies, status changes and CSAT prompts (the Outbound protocol)."""
        channel, _, number = conversation_key.partition(":")
        if channel == "whatsapp":
            await self._send_whatsapp(conversation_key, number, replies, ticket)
        elif channel in ("sms", "voice"):
            await self._send_texts(f"sms:{number}", number, self.settings.twilio_sms_from, replies)
        else:
            raise ChannelError(f"not a Twilio conversation: {channel}")

    async def _send_whatsapp(self, key: str, number: str, replies: Sequence[Reply],
                             ticket: str | None) -> None:
        to = f"whatsapp:{number}"
        last = await self.state.last_inbound(key)
        if last is not None and utcnow() - last < WHATSAPP_WINDOW:
            await self._send_texts(key, to, self.settings.twilio_whatsapp_from, replies)
            return
        template = self.settings.twilio_whatsapp_template_sid
        if not template or not self.settings.twilio_whatsapp_from:
            raise ChannelError(OUTSIDE_WINDOW, retryable=False)
        await self._send_one(to, self.settings.twilio_whatsapp_from, content_sid=template,
                             content_variables=template_variables(replies, ticket))

    async def send_sms(self, msg: InboundMessage, number: str, text: str) -> None:
        """A courtesy SMS (the voice ticket reference); failures are recorded, never raised."""
        try:
            await self._send_one(number, self.settings.twilio_sms_from, text)
        except ChannelError as exc:
            await self.ctx.inbox.delivery_failed(msg, "sms", number, exc)

    async def drain(self) -> None:
        """Wait for the courtesy SMS in flight (tests, graceful shutdown)."""
        await self.courtesy.join()

    async def stop(self, timeout: float = 30.0) -> None:
        await self.courtesy.close(timeout)
