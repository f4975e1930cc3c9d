"""The Telegram connector: webhook and long-polling intake, background processing, the Outbound.

Framework-neutral on purpose: :meth:`TelegramConnector.handle_webhook` takes the raw body and the headers
and returns (status, JSON body); routes.py is the thin FastAPI adapter. The order of a delivery is fixed:
authenticate (constant-time secret compare) -> read JSON -> parse -> store attachments -> inbox.receive
(durable, de-duplicated on update_id) -> 200. The Dispatcher runs the engine after the answer (Telegram
holds back the chat's next updates until we answer) and delivers through :meth:`reply`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.attachments import safe_name, store_attachments
from connectors.base import ChannelError, ConnectorContext, send_parts, with_retries
from connectors.telegram.client import TelegramClient
from connectors.telegram.parse import (
    CHANNEL,
    GROUP_TYPES,
    BotIdentity,
    MalformedUpdate,
    callback_query_id,
    chat_id_from_key,
    needs_bot_identity,
    parse_update,
)
from connectors.telegram.render import render
from connectors.telegram.settings import TelegramSettings
from connectors.work import BackgroundWork
from dialog.messages import InboundMessage, Reply

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"


class TelegramConnector:
    """Holds the client; is the channel's Outbound; owns the polling task and the background work."""

    channel = CHANNEL

    def __init__(self, settings: TelegramSettings, ctx: ConnectorContext, client: TelegramClient) -> None:
        self.settings = settings
        self.ctx = ctx
        self.client = client
        self.work = BackgroundWork(CHANNEL)  # answering button presses (cosmetic) after the acknowledgement
        self.attachment_dir = ctx.data_dir / "attachments" / CHANNEL
        # Retry policy of every send (tests shorten it); Telegram's retry_after always wins over backoff.
        self.retry_attempts = 4
        self.retry_base_delay = 0.5
        self.poll_timeout = 25
        self._me: BotIdentity | None = None
        self._poller: asyncio.Task[None] | None = None

    @classmethod
    def create(cls, settings: TelegramSettings, ctx: ConnectorContext) -> TelegramConnector:
        return cls(settings, ctx, TelegramClient(settings.token, settings.api_base))

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.settings.mode == "polling":
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        elif self.ctx.public_url and self.settings.secret:
            url = self.ctx.public_url.rstrip("/") + WEBHOOK_PATH
            try:
                await self.client.set_webhook(url, self.settings.secret)
                log.info("telegram webhook set to %s", url)
            except ChannelError as exc:
                log.warning("telegram setWebhook failed (%s); set it by hand (docs/channels/telegram.md)",
                            exc)
        with contextlib.suppress(ChannelError):
            await self.bot_identity()

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await self.work.close()
        await self.client.close()

    async def bot_identity(self) -> BotIdentity:
        """getMe, once: groups need the bot's username and id to see whether a message addresses it."""
        if self._me is None:
            me = await self.client.get_me()
            self._me = BotIdentity(id=int(me["id"]), username=me.get("username"))
        return self._me

    # -- inbound -----------------------------------------------------------------------------------------

    def authenticate(self, headers: Mapping[str, str]) -> bool:
        given = headers.get(SECRET_HEADER) or ""
        expected = self.settings.secret or ""
        return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())

    async def handle_webhook(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if not self.authenticate(headers):
            log.warning("telegram webhook refused: missing or wrong secret token header")
            return 401, {"detail": "unauthorized"}
        try:
            update = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return 400, {"detail": "body is not JSON"}
        return await self.accept(update)

    async def accept(self, update: Any) -> tuple[int, dict[str, Any]]:
        """One authenticated update (webhook or polling): parse, record, and schedule the processing."""
        bot = self._me
        if bot is None and isinstance(update, Mapping) and needs_bot_identity(update):
            try:
                bot = await self.bot_identity()
            except ChannelError as exc:
                # Without it we cannot tell whether the group message is for us: let Telegram redeliver.
                log.warning("telegram getMe failed (%s); group update left for redelivery", exc)
                return 503, {"detail": "bot identity unavailable, retry later"}
        try:
            msg = parse_update(update, bot)
        except MalformedUpdate as exc:
            log.info("telegram update refused: %s", exc)
            return 400, {"detail": f"malformed update: {exc}"}
        cq_id = callback_query_id(update)
        if cq_id:  # stops the button's spinner; cosmetic, so it never delays the acknowledgement
            self._spawn_callback_answer(cq_id)
        if msg is None:
            return 200, {"ok": True, "ignored": True}
        msg = await self._store_attachments(msg)
        if not await self.ctx.inbox.receive(msg):
            return 200, {"ok": True, "duplicate": True}
        return 200, {"ok": True}

    def _spawn_callback_answer(self, cq_id: str) -> None:
        self.work.spawn(self._answer_callback(cq_id))

    async def _store_attachments(self, msg: InboundMessage) -> InboundMessage:
        cap = self.ctx.max_attachment_bytes
        return await store_attachments(
            msg, msg.extras.get("telegram_files") or (), self.attachment_dir, cap,
            file_name=lambda ref, att: f"{safe_name(ref['file_unique_id'])}_{safe_name(att.name)}",
            fetch=lambda ref, dest: self.client.download(ref["file_id"], dest, cap))

    async def _answer_callback(self, callback_query_id: str) -> None:
        try:
            await self.client.answer_callback(callback_query_id)
        except ChannelError as exc:  # cosmetic (the spinner stops by itself); the press is still processed
            log.info("telegram answerCallbackQuery failed: %s", exc)

    # -- outbound ----------------------------------------------------------------------------------------

    async def _send_all(self, chat_id: int, messages: Sequence[Mapping[str, Any]]) -> None:
        async def one(params: Mapping[str, Any]) -> None:
            await with_retries(lambda: self.client.send_message(chat_id, params),
                               attempts=self.retry_attempts, base_delay=self.retry_base_delay)

        await send_parts(messages, one)

    async def reply(self, message: InboundMessage, replies: Sequence[Reply]) -> None:
        """Answer a recorded message in its chat (quoting it in groups, unless it was a button press)."""
        if not replies:
            return
        chat_id = int(message.extras["chat_id"])
        pressed = message.extras.get("callback_query_id") or message.option_id
        quote = message.extras.get("message_id") if message.extras.get("chat_type") in GROUP_TYPES else None
        await self._send_all(chat_id, render(replies, quote if not pressed else None))

    async def send(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None = None) -> None:
        """Outbound (agent replies, status changes): deliver to the chat the conversation came from."""
        try:
            chat_id = chat_id_from_key(conversation_key)
        except ValueError as exc:
            raise ChannelError(str(exc), retryable=False) from None
        await self._send_all(chat_id, render(replies))

    # -- long polling ------------------------------------------------------------------------------------

    async def _poll(self) -> None:
        """getUpdates loop. The offset moves past an update only once it is recorded (or refused as
        malformed), so a crash or a storage error means Telegram hands the update out again."""
        try:
            await self.client.delete_webhook()  # getUpdates answers 409 while a webhook is set
        except ChannelError as exc:
            log.warning("telegram deleteWebhook failed: %s", exc)
        offset: int | None = None
        failures = 0
        while True:
            try:
                updates = await self.client.get_updates(offset, self.poll_timeout)
            except ChannelError as exc:
                failures += 1
                backoff = min(30.0, 0.5 * 2 ** (failures - 1))
                delay = exc.retry_after if exc.retry_after is not None else backoff
                log.warning("telegram getUpdates failed (%s), retry in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            for update in updates:
                try:
                    status, _ = await self.accept(update)
                except Exception:
                    log.exception("telegram: update %s could not be recorded", update.get("update_id"))
                    status = 500
                if status >= 500:
                    await asyncio.sleep(1.0)
                    break
                offset = int(update["update_id"]) + 1
