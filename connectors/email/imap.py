"""IMAP poller: holds an imapclient.IMAPClient (blocking; every call goes through asyncio.to_thread).

UID-based and restart-safe: the last UID handed to the desk is stored with the folder's UIDVALIDITY, so a
restart continues where it stopped (and a UIDVALIDITY change falls back to the unseen messages). A message is
flagged \\Seen only after the desk recorded it; a crash in between means it is fetched again, and the desk's
Message-ID de-duplication makes that a no-op. IDLE is used when the server offers it, polling otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Callable

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from connectors.email.state import MailState

log = logging.getLogger(__name__)

#: Called with (raw bytes, truncated); truncated means only the headers were fetched (over the size cap).
Ingest = Callable[[bytes, bool], Awaitable[None]]

IDLE_REFRESH_S = 25 * 60  # RFC 2177: re-issue IDLE before the server's 30-minute timeout


class ImapPoller:
    def __init__(self, *, host: str, port: int, user: str, password: str, use_ssl: bool, folder: str,
                 state: MailState, ingest: Ingest, max_message_bytes: int, poll_seconds: float = 60.0,
                 idle_check_seconds: float = 1.0, ssl_context: ssl.SSLContext | None = None) -> None:
        self._host, self._port, self._user, self._password = host, port, user, password
        self._ssl, self._ssl_context = use_ssl, ssl_context
        self._folder = folder
        self._state = state
        self._ingest = ingest
        self._max = max_message_bytes
        self.poll_seconds = poll_seconds
        self.idle_check_seconds = idle_check_seconds
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.account = f"{user}@{host}:{port}/{folder}"
        self.rounds = 0  # completed fetch rounds (tests wait on it)

    # --- lifecycle ---
    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name=f"imap-poller {self.account}")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=self.idle_check_seconds + 10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                await self._session()
                backoff = 1.0
            except (IMAPClientError, OSError, EOFError) as exc:  # network, auth, protocol
                log.warning("IMAP %s: %s; reconnecting in %.0fs", self.account, exc, backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 60.0)
            except Exception:
                log.exception("IMAP %s: unexpected error; reconnecting in %.0fs", self.account, backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 60.0)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    # --- one connection ---
    def _connect(self) -> tuple[IMAPClient, int]:
        client = IMAPClient(self._host, port=self._port, ssl=self._ssl, ssl_context=self._ssl_context,
                            timeout=30)
        try:
            client.login(self._user, self._password)
            info = client.select_folder(self._folder)
        except Exception:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client, int(info.get(b"UIDVALIDITY", 0))

    async def _session(self) -> None:
        client, uidvalidity = await asyncio.to_thread(self._connect)
        try:
            idle = b"IDLE" in await asyncio.to_thread(client.capabilities)
            while not self._stop.is_set():
                await self._fetch_new(client, uidvalidity)
                self.rounds += 1
                if idle:
                    await self._idle(client)
                else:
                    await self._sleep(self.poll_seconds)
                    await asyncio.to_thread(client.noop)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(client.logout)

    async def _idle(self, client: IMAPClient) -> None:
        await asyncio.to_thread(client.idle)
        started = time.monotonic()
        try:
            while not self._stop.is_set() and time.monotonic() - started < IDLE_REFRESH_S:
                responses = await asyncio.to_thread(client.idle_check, self.idle_check_seconds)
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    return
        finally:
            await asyncio.to_thread(client.idle_done)

    async def _fetch_new(self, client: IMAPClient, uidvalidity: int) -> None:
        position = await self._state.imap_position(self.account)
        if position and position[0] == uidvalidity:
            last = position[1]
            uids = [u for u in await asyncio.to_thread(client.search, ["UID", f"{last + 1}:*"]) if u > last]
        else:
            last = 0
            uids = list(await asyncio.to_thread(client.search, ["UNSEEN"]))
        for uid in sorted(uids):
            if self._stop.is_set():
                return
            sizes = await asyncio.to_thread(client.fetch, [uid], ["RFC822.SIZE"])
            size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            truncated = size > self._max
            item = b"BODY[HEADER]" if truncated else b"BODY[]"  # PEEK: \Seen only once recorded
            peek = item.replace(b"BODY", b"BODY.PEEK").decode()
            data = await asyncio.to_thread(client.fetch, [uid], [peek])
            raw = data.get(uid, {}).get(item)
            if raw is None:  # expunged meanwhile
                continue
            await self._ingest(bytes(raw), truncated)  # raises -> not flagged, retried next round
            await asyncio.to_thread(client.add_flags, [uid], [b"\\Seen"])
            last = max(last, uid)
            await self._state.set_imap_position(self.account, uidvalidity, last)
