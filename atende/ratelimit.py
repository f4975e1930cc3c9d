"""Rate limits: per sender on every channel, per client IP on HTTP (the `limits` library, moving window).

One session once posted 1,000 messages in 10 s, each one a full engine turn. Two limits answer that:

- :class:`SenderLimiter` counts the messages of one sender (``channel:native_id``) however they arrive. The
  first message over the limit gets one polite "slow down" reply; the following ones are recorded but not
  processed, and nothing more is said until the window has room again (a chat flood must not become a
  reply flood).
- :class:`IpRateLimit` is an ASGI middleware answering 429 with Retry-After to a client IP over its limit.
  Provider webhooks (Telegram, Slack, Twilio) are exempt: their requests all come from the provider's few
  addresses, are authenticated by signature, and their senders are limited one by one.

State is in process memory (``limits``' MemoryStorage expires it), which is what a single-process
deployment needs; a Redis storage URI would share it between processes.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from limits import parse_many, storage, strategies

from dialog.messages import InboundMessage, Reply

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SLOW_DOWN = {
    "en": "You are sending messages faster than I can read them. Please wait a minute, then write again.",
    "es": "Estás enviando mensajes más rápido de lo que puedo leerlos. Espera un minuto y vuelve a escribir.",
    "pt": "Você está enviando mensagens mais rápido do que consigo ler. Aguarde um minuto e escreva de novo.",
}

_WARNED_MAX = 10_000  # senders remembered as already told to slow down (LRU)


class RateLimiter:
    """``hit(key)``: True while ``key`` is within every limit of ``spec`` ("20/minute;200/hour")."""

    def __init__(self, spec: str, storage_uri: str = "memory://") -> None:
        self.limits = parse_many(spec)
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def hit(self, key: str) -> bool:
        # Every limit is charged only when all allow it, so a refused hit does not use up the longer window.
        if not all(self._limiter.test(limit, key) for limit in self.limits):
            return False
        return all([self._limiter.hit(limit, key) for limit in self.limits])

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again (at least 1)."""
        resets = [self._limiter.get_window_stats(limit, key).reset_time for limit in self.limits
                  if not self._limiter.test(limit, key)]
        return max(1, math.ceil(max(resets, default=time.time()) - time.time()))


class SenderLimiter:
    """The per-sender limit, as the intake applies it: ``check(message)`` returns None to go ahead, a
    one-reply list the first time a sender is over the limit, and [] afterwards."""

    def __init__(self, spec: str, storage_uri: str = "memory://") -> None:
        self._limiter = RateLimiter(spec, storage_uri)
        self._warned: OrderedDict[str, None] = OrderedDict()

    @staticmethod
    def key(message: InboundMessage) -> str:
        prefix = "" if message.sender.verified else "unverified:"
        return prefix + message.sender.key

    def check(self, message: InboundMessage) -> list[Reply] | None:
        key = self.key(message)
        if self._limiter.hit(key):
            self._warned.pop(key, None)
            return None
        if key in self._warned:
            self._warned.move_to_end(key)
            return []
        self._warned[key] = None
        if len(self._warned) > _WARNED_MAX:
            self._warned.popitem(last=False)
        lang = (message.locale_hint or "en")[:2].lower()
        return [Reply(SLOW_DOWN.get(lang, SLOW_DOWN["en"]), kind="notice")]


class IpRateLimit:
    """ASGI middleware: 429 (with Retry-After) for a client IP over ``spec``; ``exempt`` path prefixes and
    non-HTTP scopes pass untouched."""

    def __init__(self, app: Any, spec: str, exempt: Iterable[str] = (),
                 storage_uri: str = "memory://") -> None:
        self.app = app
        self.limiter = RateLimiter(spec, storage_uri)
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or (self.exempt and path.startswith(self.exempt)):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        if self.limiter.hit(ip):
            await self.app(scope, receive, send)
            return
        retry = self.limiter.retry_after(ip)
        body = json.dumps({"detail": f"too many requests; please retry in {retry} s"}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry).encode())]})
        await send({"type": "http.response.body", "body": body})
