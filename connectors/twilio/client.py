"""The class that holds the twilio SDK client: sends messages, downloads media, translates errors once.

It uses the SDK's own aiohttp transport (``AsyncTwilioHttpClient``) so nothing blocks the event loop, with
``client.api.base_url`` pointed at ATENDE_TWILIO_API_BASE (a local fake in tests). Every failure leaves
this module as a :class:`connectors.base.ChannelError`: 429 and 5xx (with Twilio's Retry-After) and network
errors are retryable, other refusals (invalid number, unverified sandbox recipient ...) are not.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from connectors.attachments import TooLarge, write_capped
from connectors.base import ChannelError, status_to_error

log = logging.getLogger(__name__)
_sdk_log = logging.getLogger("atende.twilio.sdk")  # the SDK logs every request at INFO; keep it apart
_sdk_log.setLevel(logging.WARNING)

REQUEST_TIMEOUT = 15.0


class _Transport(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The SDK's async transport, plus a default timeout and Retry-After, which TwilioRestException drops."""

    async def request(self, method: str, url: str, params: Any = None, data: Any = None,
                      headers: Any = None, auth: Any = None, timeout: float | None = None,
                      allow_redirects: bool = False) -> Response:
        try:
            response = await super().request(method, url, params=params, data=data, headers=headers,
                                              auth=auth, timeout=timeout or self.timeout,
                                              allow_redirects=allow_redirects)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ChannelError(f"twilio unreachable: {type(exc).__name__}", retryable=True) from exc
        if response.status_code == 429 or response.status_code >= 500:
            headers_in = response.headers or {}
            raise status_to_error(response.status_code, response.text, headers_in.get("Retry-After"))
        return response


def translate(exc: Exception) -> ChannelError:
    """The one place where twilio's exceptions become ChannelError."""
    if isinstance(exc, ChannelError):
        return exc
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status = int(exc.status or 0)
        retryable = status == 429 or status >= 500
        return ChannelError(f"twilio refused ({status}, code {exc.code})", retryable=retryable, status=status)
    if isinstance(exc, aiohttp.ClientError | httpx.TransportError | TimeoutError):
        return ChannelError(f"twilio unreachable: {type(exc).__name__}", retryable=True)
    return ChannelError(f"twilio call failed: {type(exc).__name__}")


@dataclass(frozen=True, slots=True)
class Download:
    path: Path | None
    size: int
    too_large: bool = False


class TwilioClient:
    """Holds the SDK client (never inherits from it). Create it anywhere; the HTTP session opens lazily
    inside the event loop and closes in :meth:`close`."""

    def __init__(self, account_sid: str, auth_token: str, api_base: str, timeout: float = REQUEST_TIMEOUT):
        self._sid = account_sid
        self._token = auth_token
        self._api_base = api_base.rstrip("/")
        self._timeout = timeout
        self._client: Client | None = None
        self._transport: _Transport | None = None
        self._http: httpx.AsyncClient | None = None

    def _sdk(self) -> Client:
        if self._client is None:
            self._transport = _Transport(timeout=self._timeout, logger=_sdk_log)
            self._client = Client(self._sid, self._token, http_client=self._transport)
            self._client.api.base_url = self._api_base
        return self._client

    async def send_message(self, to: str, from_: str | None, body: str | None = None, *,
                           content_sid: str | None = None, content_variables: str | None = None) -> str:
        """Create one message; returns its SID. ``from_`` may be a number or a messaging service (MG...)."""
        kwargs: dict[str, Any] = {"to": to}
        if from_ and from_.startswith("MG"):
            kwargs["messaging_service_sid"] = from_
        elif from_:
            kwargs["from_"] = from_
        if content_sid:
            kwargs["content_sid"] = content_sid
            kwargs["content_variables"] = content_variables
        else:
            kwargs["body"] = body
        try:
            message = await self._sdk().api.account.messages.create_async(**kwargs)
        except Exception as exc:
            raise translate(exc) from exc
        return str(message.sid)

    async def download(self, url: str, dest: Path, content_type: str, cap: int) -> Download:
        """Fetch a media or recording URL with the account's basic auth, stopping at ``cap`` bytes.

        Twilio answers media URLs with a redirect to short-lived storage; httpx drops the credentials on
        that cross-host redirect, as it should.
        """
        if self._http is None:
            self._http = httpx.AsyncClient(auth=(self._sid, self._token), follow_redirects=True,
                                           timeout=self._timeout)
        ext = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
        target = dest.with_suffix(ext)
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise status_to_error(response.status_code, "", response.headers.get("Retry-After"))
                declared = int(response.headers.get("Content-Length") or 0)
                if declared > cap:
                    return Download(None, declared, too_large=True)
                await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
                size = await write_capped(response.aiter_bytes(), target, cap)
            return Download(target, size)
        except TooLarge as exc:
            return Download(None, exc.size or 0, too_large=True)
        except Exception as exc:
            raise translate(exc) from exc

    async def close(self) -> None:
        if self._transport is not None:
            await self._transport.close()
        if self._http is not None:
            await self._http.aclose()
        self._client = self._transport = self._http = None
