"""Leases: "run this once cluster-wide" for periodic jobs (auto-close, idle drafts, SLA checks), and any
other single-owner role (the IMAP poller).

A lease is a name held by one owner until its time-to-live runs out. The holder renews it before then
(every ttl/3 is the usual rhythm); a holder that dies simply stops renewing and another process takes over
after at most one ttl. Three calls, and what they promise:

- ``acquire(name, ttl)``: True when this owner now holds the lease for ``ttl`` seconds (newly, or it
  already held it and the ttl starts again); False when someone else holds it.
- ``renew(name, ttl)``: True when this owner still held the lease and it now runs ``ttl`` more seconds;
  False when the lease expired or went to someone else. A holder that gets False (or cannot reach Redis)
  must stop the work at once: it can no longer know that nobody else is doing it.
- ``release(name)``: give it up now (only if still ours: a late release never frees another's lease).

A lease is advisory (no fencing token): a holder paused longer than its ttl (a stopped VM) may still run
one step after another process took over. The jobs guarded here are idempotent (closing a ticket twice is
refused by its lifecycle), which is what makes that acceptable; keep new ones so.

Two implementations behind one contract (tests/atende/dispatch/test_lease.py runs the same suite on both):
:class:`RedisLease` for the scaled mode (SET NX PX; renew and release are compare-and-set Lua scripts, so
an owner can only ever extend or delete its own lease), :class:`LocalLease` for single-process mode.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


class Lease(Protocol):
    async def acquire(self, name: str, ttl: float) -> bool: ...

    async def renew(self, name: str, ttl: float) -> bool: ...

    async def release(self, name: str) -> None: ...


def default_owner() -> str:
    """host:pid:random - readable in ``redis-cli GET`` when an operator asks who holds a lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _ms(ttl: float) -> int:
    if ttl <= 0:
        raise ValueError("a lease needs a positive ttl")
    return max(1, int(ttl * 1000))


# --- Redis ----------------------------------------------------------------------------------------
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLease:
    """Leases as Redis keys ``<prefix><name>`` holding the owner id, with a PX expiry.

    Redis errors (down, restarting, timeout) are answered False by acquire and renew, logged, never
    raised: the caller's loop simply does not run the job this round. The scripts are sent by EVALSHA and
    re-loaded by redis-py after a Redis restart (NOSCRIPT)."""

    def __init__(self, redis: Redis, owner: str | None = None, prefix: str = "atende:lease:") -> None:
        self.redis = redis
        self.owner = owner or default_owner()
        self.prefix = prefix
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def key(self, name: str) -> str:
        return self.prefix + name

    async def acquire(self, name: str, ttl: float) -> bool:
        ms = _ms(ttl)
        try:
            if await self.redis.set(self.key(name), self.owner, nx=True, px=ms):
                return True
            return bool(await self._renew(keys=[self.key(name)], args=[self.owner, ms]))
        except Exception as exc:  # redis.RedisError and OSError alike: not holding is the safe answer
            log.warning("lease %s: acquire failed: %s", name, exc)
            return False

    async def renew(self, name: str, ttl: float) -> bool:
        ms = _ms(ttl)
        try:
            return bool(await self._renew(keys=[self.key(name)], args=[self.owner, ms]))
        except Exception as exc:
            log.warning("lease %s: renew failed, giving it up: %s", name, exc)
            return False

    async def release(self, name: str) -> None:
        try:
            await self._release(keys=[self.key(name)], args=[self.owner])
        except Exception as exc:  # it expires by itself
            log.warning("lease %s: release failed (it expires on its own): %s", name, exc)


# --- single process -------------------------------------------------------------------------------
class LeaseTable:
    """The in-memory store that :class:`LocalLease` holders of one process share: name -> (owner, until)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.held: dict[str, tuple[str, float]] = {}

    def holder(self, name: str) -> str | None:
        entry = self.held.get(name)
        if entry is None or entry[1] <= self.clock():
            self.held.pop(name, None)
            return None
        return entry[0]


class LocalLease:
    """Single-process mode: one process is the whole cluster (the data-folder lock makes sure), so a
    lease is an entry in memory. No await inside a call: each one is atomic on the event loop."""

    def __init__(self, table: LeaseTable | None = None, owner: str | None = None) -> None:
        self.table = table if table is not None else LeaseTable()
        self.owner = owner or default_owner()

    async def acquire(self, name: str, ttl: float) -> bool:
        until = self.table.clock() + _ms(ttl) / 1000
        if self.table.holder(name) in (None, self.owner):
            self.table.held[name] = (self.owner, until)
            return True
        return False

    async def renew(self, name: str, ttl: float) -> bool:
        until = self.table.clock() + _ms(ttl) / 1000
        if self.table.holder(name) != self.owner:
            return False
        self.table.held[name] = (self.owner, until)
        return True

    async def release(self, name: str) -> None:
        if self.table.holder(name) == self.owner:
            del self.table.held[name]
