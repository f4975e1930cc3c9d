"""The Slack client: holds slack_sdk's AsyncWebClient (never inherits from it) and speaks ChannelError.

Every SDK or network error is translated once, in :func:`translate`: 429 (with Slack's Retry-After header)
and 5xx are retryable, "not_in_channel" or "invalid_auth" are not. File downloads carry the bot token, so
they only go to Slack's file host or the configured API host, never to a URL someone else chose.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from connectors.attachments import TooLarge, write_capped
from connectors.base import ChannelError

log = logging.getLogger(__name__)

_RETRYABLE_ERRORS = {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
                     "request_timeout", "team_added_to_org"}


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value)
    return None


def translate(exc: BaseException) -> ChannelError:
    """slack_sdk / aiohttp errors -> ChannelError(retryable, retry_after). The one place this is decided."""
    if isinstance(exc, ChannelError):
        return exc
    if isinstance(exc, SlackApiError):
        resp = exc.response
        status = getattr(resp, "status_code", None) or getattr(resp, "status", None)
        data = getattr(resp, "data", None)
        error = data.get("error") if isinstance(data, Mapping) else None
        retry_after = None
        raw = _header(getattr(resp, "headers", None), "retry-after")
        if raw:
            with contextlib.suppress(ValueError):
                retry_after = float(raw)
        retryable = status == 429 or (isinstance(status, int) and status >= 500) or error in _RETRYABLE_ERRORS
        return ChannelError(f"Slack refused: {error or status}", retryable=retryable, retry_after=retry_after,
                            status=status if isinstance(status, int) else None)
    if isinstance(exc, aiohttp.ClientResponseError):
        return ChannelError(f"Slack answered {exc.status}", retryable=exc.status == 429 or exc.status >= 500,
                            status=exc.status)
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return ChannelError(f"Slack unreachable: {type(exc).__name__}", retryable=True)
    if isinstance(exc, SlackClientError):
        return ChannelError(f"Slack client error: {type(exc).__name__}", retryable=False)
    raise exc


@contextlib.asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        raise translate(exc) from exc


class SlackClient:
    """The Web API calls the connector makes."""

    def __init__(self, token: str, api_base: str, *, timeout: int = 30) -> None:
        self._token = token
        self._timeout = timeout
        self._web = AsyncWebClient(token=token, base_url=api_base, timeout=timeout)
        self._session: aiohttp.ClientSession | None = None
        self.file_hosts = {"files.slack.com", urlsplit(api_base).hostname or ""}

    def _http(self) -> aiohttp.ClientSession:
        """One connection pool for the API and the files, created inside the running loop."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
            self._web.session = self._session
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def auth_test(self) -> dict[str, Any]:
        self._http()
        async with _translated():
            resp = await self._web.auth_test()
        return dict(resp.data) if isinstance(resp.data, dict) else {}

    async def post_message(self, channel: str, thread_ts: str | None,
                           params: Mapping[str, Any]) -> str | None:
        self._http()
        async with _translated():
            resp = await self._web.chat_postMessage(channel=channel, thread_ts=thread_ts, **params)
        return resp.get("ts")

    async def update_message(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._http()
        async with _translated():
            await self._web.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    async def open_dm(self, user: str) -> str:
        self._http()
        async with _translated():
            resp = await self._web.conversations_open(users=user)
        channel = resp.get("channel")
        if not isinstance(channel, Mapping) or not isinstance(channel.get("id"), str):
            raise ChannelError("conversations.open gave no channel", retryable=False)
        return str(channel["id"])

    async def user_info(self, user: str) -> dict[str, Any] | None:
        """users.info with the locale; None when the app lacks the scope (users:read, users:read.email)."""
        self._http()
        try:
            async with _translated():
                resp = await self._web.users_info(user=user, include_locale=True)
        except ChannelError as exc:
            if exc.retryable:
                raise
            log.info("slack users.info unavailable (%s): e-mail linking off for %s", exc, user)
            return None
        info = resp.get("user")
        return dict(info) if isinstance(info, Mapping) else None

    async def download(self, url: str, dest: Path, max_bytes: int) -> int:
        """GET a file with the bot token into ``dest``; TooLarge over ``max_bytes`` (no partial file left)."""
        host = urlsplit(url).hostname
        if host not in self.file_hosts:
            raise ChannelError(f"file URL on an unexpected host ({host}); not sending the token there")
        async with _translated():
            headers = {"Authorization": f"Bearer {self._token}"}
            async with self._http().get(url, headers=headers, raise_for_status=True) as resp:
                if resp.content_type == "text/html":
                    # Slack's sign-in page: the token lacks files:read
                    raise ChannelError("Slack answered a web page, not the file (files:read scope?)")
                declared = resp.content_length
                if declared is not None and declared > max_bytes:
                    raise TooLarge(f"{declared} bytes", declared)
                size = await write_capped(resp.content.iter_chunked(65536), dest, max_bytes)
        return size
