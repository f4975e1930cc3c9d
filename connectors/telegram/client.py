"""The Telegram client: holds an aiogram Bot (never inherits from it) and speaks ChannelError.

aiogram is imported here and nowhere else, and this module is imported only when the channel is mounted:
aiogram costs about three seconds to import, which `atende serve` without Telegram should not pay.
Every aiogram exception is translated once, in :func:`translate`, into a ChannelError that says whether a
retry can help and after how long (Telegram gives retry_after in the body of a 429).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    GetFile,
    GetMe,
    GetUpdates,
    SendMessage,
    SetWebhook,
)

from connectors.attachments import TooLarge, write_capped
from connectors.base import ChannelError

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


def translate(exc: BaseException) -> ChannelError:
    """aiogram's typed errors -> ChannelError(retryable, retry_after). The one place this is decided."""
    if isinstance(exc, ChannelError):
        return exc
    if isinstance(exc, TelegramRetryAfter):
        return ChannelError(f"Telegram rate limit: {exc.message}", retryable=True,
                            retry_after=float(exc.retry_after), status=429)
    if isinstance(exc, TelegramServerError):
        return ChannelError(f"Telegram server error: {exc.message}", retryable=True, status=500)
    if isinstance(exc, TelegramEntityTooLarge):
        return ChannelError(f"Telegram refused the size: {exc.message}", retryable=False, status=413)
    if isinstance(exc, TelegramNetworkError):
        return ChannelError(f"Telegram unreachable: {exc.message}", retryable=True)
    if isinstance(exc, TelegramAPIError):
        # Forbidden (the user blocked the bot), Unauthorized (bad token), BadRequest, NotFound, Conflict,
        # MigrateToChat: retrying the same call cannot succeed.
        status = _STATUS.get(type(exc).__name__)
        return ChannelError(f"Telegram refused: {exc.message}", retryable=False, status=status)
    if isinstance(exc, ClientDecodeError):
        # A proxy's HTML error page in front of the Bot API: transient as far as we can tell.
        return ChannelError("Telegram answered something that is not the Bot API's JSON", retryable=True)
    if isinstance(exc, aiohttp.ClientResponseError):
        return ChannelError(f"Telegram file server answered {exc.status}",
                            retryable=exc.status == 429 or exc.status >= 500, status=exc.status)
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return ChannelError(f"Telegram unreachable: {type(exc).__name__}", retryable=True)
    raise exc


_STATUS = {"TelegramBadRequest": 400, "TelegramUnauthorizedError": 401, "TelegramForbiddenError": 403,
           "TelegramNotFound": 404, "TelegramConflictError": 409}


@contextlib.asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except (TelegramAPIError, ClientDecodeError, aiohttp.ClientError, TimeoutError) as exc:
        raise translate(exc) from exc


class TelegramClient:
    """The Bot API calls the connector makes. Parameters in, the Bot API's JSON (dicts) out."""

    def __init__(self, token: str, api_base: str | None = None, *, timeout: float = 30.0) -> None:
        api = TelegramAPIServer.from_base(api_base) if api_base else PRODUCTION
        self._session = AiohttpSession(api=api, timeout=timeout)
        self._bot = Bot(token, session=self._session)

    async def close(self) -> None:
        await self._session.close()

    async def get_me(self) -> dict[str, Any]:
        async with _translated():
            me = await self._bot(GetMe())
        return {"id": me.id, "username": me.username}

    async def send_message(self, chat_id: int, params: Mapping[str, Any]) -> int:
        """Send one rendered message (see render.render); returns its message_id."""
        async with _translated():
            sent = await self._bot(SendMessage(chat_id=chat_id, **params))
        return sent.message_id

    async def answer_callback(self, callback_query_id: str) -> None:
        async with _translated():
            await self._bot(AnswerCallbackQuery(callback_query_id=callback_query_id))

    async def set_webhook(self, url: str, secret: str) -> None:
        async with _translated():
            await self._bot(SetWebhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES))

    async def delete_webhook(self) -> None:
        async with _translated():
            await self._bot(DeleteWebhook(drop_pending_updates=False))

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]:
        """Long polling. Updates come back as the Bot API's JSON, the same shape the webhook receives."""
        async with _translated():
            method = GetUpdates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
            updates = await self._bot(method, request_timeout=timeout + 15)
        return [u.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)
                for u in updates]

    async def download(self, file_id: str, dest: Path, max_bytes: int) -> int:
        """getFile + download into ``dest``, refusing (TooLarge) anything over ``max_bytes``.

        The size is checked before the download when Telegram tells it, and again while streaming, so a
        wrong or missing file_size never fills the disk. A partial file is removed.
        """
        try:
            async with _translated():
                info = await self._bot(GetFile(file_id=file_id))
        except ChannelError as exc:
            if exc.status == 400 and "too big" in str(exc).lower():
                raise TooLarge(str(exc)) from None
            raise
        if info.file_size is not None and info.file_size > max_bytes:
            raise TooLarge(f"{info.file_size} bytes", info.file_size)
        if not info.file_path:
            raise ChannelError("Telegram gave no file_path for the file", retryable=False)
        url = self._session.api.file_url(self._bot.token, info.file_path)
        async with _translated():
            chunks = self._session.stream_content(url, timeout=int(self._session.timeout))
            size = await write_capped(chunks, dest, max_bytes)
        return size

