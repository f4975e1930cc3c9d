"""A scaled-mode cluster on loopback for the fault tests and benchmarks/scale.py: real Redis and PostgreSQL
(tests/services.py), ingress in this process (the real runtime with RedisInbox, its FastAPI app driven
through httpx), ``python -m atende worker`` subprocesses, and a fake Telegram Bot API that counts what it
delivered per chat.

The load is Telegram users who want a ticket: each opens with a burst of messages sent without waiting
(ordering), then answers the bot's questions until the reply names a ticket reference. Like Telegram, the
driver redelivers an update until the webhook answers 200.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from atende.adapters.stores import inbox, outbox_rows, processed
from connectors.telegram.render import render
from dialog.state import reply_from_dict
from tests.connectors.real_runtime import pick
from tests.connectors.telegram.fake_telegram import TOKEN, FakeTelegram

REPO = Path(__file__).resolve().parents[3]
SECRET = "s3cr3t-token_for-scale-tests"
OPENING = ("My laptop cannot connect to the VPN since this morning, error 809",
           "It is the corporate VPN client on Windows.", "Only me, the others are fine.")


@dataclass
class CountingTelegram(FakeTelegram):
    """Counts the messages it accepted (a 429 or a delayed answer is not a delivery)."""

    delivered: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    delay: float = 0.0
    delay_every: int = 0  # every n-th sendMessage answers after ``delay`` seconds
    _n: int = 0

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self._n += 1
        if self.delay_every and self._n % self.delay_every == 0:
            await asyncio.sleep(self.delay)
        self.delivered[int(params["chat_id"])].append(params)
        return await super()._m_sendMessage(params)


@dataclass
class Report:
    conversations: int
    messages: int
    lost: int
    duplicated_tickets: int
    duplicate_replies: int
    missing_replies: int
    out_of_order: int
    without_ticket: int

    def clean(self) -> bool:
        return not (self.lost or self.duplicated_tickets or self.duplicate_replies or self.missing_replies
                    or self.out_of_order or self.without_ticket)


class Cluster:
    def __init__(self, root: Path, database_url: str, redis_url: str, fake: CountingTelegram, *,
                 shards: int = 4, lease: float = 3.0, sweep_after: float = 5.0) -> None:
        self.root = root
        self.database_url = database_url
        self.redis_url = redis_url
        self.fake = fake
        self.shards = shards
        self.lease = lease
        self.sweep_after = sweep_after
        self.workers: list[subprocess.Popen[bytes]] = []
        self.runtime: Any = None
        self.http: httpx.AsyncClient | None = None
        self.update_id = 1
        self.webhook_errors = 0
        self.turn_timeout = 90.0

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "ATENDE_DATA_DIR": str(self.root / "data"),
            "ATENDE_DATABASE_URL": self.database_url,
            "ATENDE_REDIS_URL": self.redis_url,
            "ATENDE_USE_KEYWORD_STANDINS": "1",
            "ATENDE_API_TOKEN": "t" * 32,
            "ATENDE_STREAM_SHARDS": str(self.shards),
            "ATENDE_WORKER_LEASE_SECONDS": str(self.lease),
            "ATENDE_SWEEP_AFTER_SECONDS": str(self.sweep_after),
            "ATENDE_RESEND_AFTER_SECONDS": str(self.sweep_after),
            "ATENDE_LOG_LEVEL": "INFO",
            "ATENDE_TELEGRAM_TOKEN": TOKEN,
            "ATENDE_TELEGRAM_SECRET": SECRET,
            "ATENDE_TELEGRAM_API_BASE": self.fake.base_url,
        }

    # --- processes ---
    def start_worker(self) -> subprocess.Popen[bytes]:
        n = len(self.workers)
        log = open(self.root / f"worker-{n}.log", "wb")  # noqa: SIM115 - the child keeps it
        proc = subprocess.Popen([sys.executable, "-m", "atende", "worker"], env=self.env(), cwd=REPO,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.workers.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    async def owners(self) -> dict[int, str | None]:
        r = self.runtime.redis
        return {s: await r.get(f"atende:lease:shard:{s}") for s in range(self.shards)}

    async def wait_owned(self, timeout: float = 60.0, by: int | None = None,
                         exclude: set[str] | None = None) -> float:
        """Until every shard is held (by at least ``by`` distinct workers, none in ``exclude``)."""
        start = time.monotonic()
        while True:
            owners = await self.owners()
            held = [o for o in owners.values() if o is not None and o not in (exclude or set())]
            if len(held) == self.shards and (by is None or len(set(held)) >= by):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                logs = "\n".join((self.root / f"worker-{i}.log").read_text()[-3000:]
                                 for i in range(len(self.workers)))
                raise AssertionError(f"shards not owned after {timeout}s: {owners}\n{logs}")
            await asyncio.sleep(0.05)

    async def start_ingress(self) -> None:
        from atende.app import create_app
        from atende.runtime import build_runtime
        from atende.settings import load_settings

        env = self.env()
        settings = load_settings(data_dir=self.root / "data", database_url=self.database_url,
                                 redis_url=self.redis_url, use_keyword_standins=True, api_token="t" * 32,
                                 stream_shards=self.shards)
        self.runtime = build_runtime(settings, env)
        app = create_app(self.runtime, manage_runtime=False, load_models=False)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://ingress", timeout=30)

    async def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self.http is not None:
            await self.http.aclose()
        if self.runtime is not None:
            for m in self.runtime.mounted:
                if m.stop is not None:
                    await m.stop()
            await self.runtime.redis.aclose()
            self.runtime.close()

    # --- the load ---
    async def post(self, update: dict[str, Any]) -> None:
        """Deliver an update like Telegram does: again and again until the webhook answers 200."""
        assert self.http is not None
        delay = 0.1
        deadline = time.monotonic() + 120
        while True:
            try:
                r = await self.http.post("/webhooks/telegram", json=update,
                                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                if r.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            self.webhook_errors += 1
            if time.monotonic() > deadline:
                raise AssertionError(f"webhook kept failing for update {update['update_id']}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _next_id(self) -> int:
        self.update_id += 1
        return self.update_id

    def text_update(self, chat: int, text: str) -> dict[str, Any]:
        uid = self._next_id()
        return {"update_id": uid, "message": {
            "message_id": uid, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": f"U{chat}", "language_code": "en"},
            "text": text}}

    def press_update(self, chat: int, data: str, last: dict[str, Any]) -> dict[str, Any]:
        uid = self._next_id()
        return {"update_id": uid, "callback_query": {
            "id": f"cb{uid}", "chat_instance": "ci", "data": data,
            "from": {"id": chat, "is_bot": False, "first_name": f"U{chat}", "language_code": "en"},
            "message": {"message_id": 100000 + uid, "date": int(time.time()),
                        "chat": {"id": chat, "type": "private"},
                        "from": {"id": 1, "is_bot": True, "first_name": "Atende"},
                        "text": last["text"], "reply_markup": last.get("reply_markup")}}}

    def _waiting(self, key: str) -> bool:
        engine = self.runtime.conv_store.engine
        with engine.connect() as conn:
            a = conn.execute(select(inbox.c.id).where(inbox.c.conversation_key == key,
                                                      inbox.c.status == "received").limit(1)).first()
            b = conn.execute(select(outbox_rows.c.id).where(
                outbox_rows.c.conversation_key == key,
                outbox_rows.c.status.in_(("pending", "sending"))).limit(1)).first()
        return a is not None or b is not None

    async def settle(self, key: str) -> None:
        deadline = time.monotonic() + self.turn_timeout
        while True:
            try:
                if not await asyncio.to_thread(self._waiting, key):
                    return
            except Exception:  # the database restarting under the test
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{key}: messages still waiting after {self.turn_timeout}s")
            await asyncio.sleep(0.1)

    async def conversation(self, chat: int, on_turn: Callable[[float], None] | None = None) -> None:
        """A user who wants a ticket: a burst, then an answer per question until the reference arrives."""
        key = f"telegram:{chat}"
        started = time.monotonic()
        for text in OPENING:
            await self.post(self.text_update(chat, text))
        await self.settle(key)
        if on_turn is not None:
            on_turn(time.monotonic() - started)
        for _ in range(20):
            sent = self.fake.delivered.get(chat) or []
            if any("reply_markup" not in m and self._has_reference(m["text"]) for m in sent):
                return
            last = sent[-1] if sent else {"text": ""}
            ids = [b["callback_data"] for row in (last.get("reply_markup") or {}).get("inline_keyboard", [])
                   for b in row]
            started = time.monotonic()
            update = (self.press_update(chat, pick(ids), last) if ids
                      else self.text_update(chat, "Only me. It started this morning."))
            await self.post(update)
            await self.settle(key)
            if on_turn is not None:
                on_turn(time.monotonic() - started)

    @staticmethod
    def _has_reference(text: str) -> bool:
        import re

        return re.search(r"\b[A-Z]{2,5}-\d{3,}\b", text) is not None

    # --- the verdict ---
    def sending(self) -> dict[str, int]:
        """Outbox rows being sent right now: conversation key -> Telegram messages they render to."""
        with self.runtime.conv_store.engine.connect() as c:
            rows = c.execute(select(outbox_rows.c.conversation_key, outbox_rows.c.replies)
                             .where(outbox_rows.c.status == "sending")).all()
        out: Counter[str] = Counter()
        for key, replies in rows:
            out[key] += len(render([reply_from_dict(x) for x in replies]))
        return dict(out)

    def duplicates_by_chat(self, chats: range) -> dict[int, int]:
        """Per chat, messages delivered beyond what its sent outbox rows render to."""
        with self.runtime.conv_store.engine.connect() as c:
            outs = c.execute(select(outbox_rows.c.conversation_key, outbox_rows.c.replies)
                             .where(outbox_rows.c.status == "sent")).all()
        expected: Counter[int] = Counter()
        for key, replies in outs:
            chat = int(key.split(":")[1])
            if chat in chats:
                expected[chat] += len(render([reply_from_dict(x) for x in replies]))
        return {c: len(self.fake.delivered.get(c, [])) - expected[c] for c in chats
                if len(self.fake.delivered.get(c, [])) > expected[c]}

    def report(self, chats: range | None = None) -> Report:
        """The verdict over the conversations of ``chats`` (all when None)."""
        keys = None if chats is None else {f"telegram:{c}" for c in chats}
        conv = self.runtime.conv_store.engine
        with conv.connect() as c:
            rows = c.execute(select(inbox.c.id, inbox.c.conversation_key, inbox.c.idempotency_key,
                                    inbox.c.status, inbox.c.kind)).all()
            done = dict(c.execute(select(processed.c.message_key, processed.c.at)).all())
            outs = c.execute(select(outbox_rows.c.conversation_key, outbox_rows.c.replies,
                                    outbox_rows.c.status)).all()
        if keys is not None:
            rows = [r for r in rows if r.conversation_key in keys]
            outs = [o for o in outs if o.conversation_key in keys]
        messages = [r for r in rows if r.kind != "event"]
        lost = sum(1 for r in messages if r.status != "processed")
        out_of_order = 0
        by_conv: dict[str, list[Any]] = defaultdict(list)
        for r in sorted(messages, key=lambda r: r.id):
            by_conv[r.conversation_key].append(done.get(r.idempotency_key))
        for ats in by_conv.values():
            seen = [a for a in ats if a is not None]
            out_of_order += sum(1 for a, b in itertools.pairwise(seen) if b < a)
        expected: Counter[int] = Counter()
        for o in outs:
            if o.status == "sent":
                expected[int(o.conversation_key.split(":")[1])] += len(
                    render([reply_from_dict(x) for x in o.replies]))
            elif o.status in ("pending", "sending", "failed"):
                lost += 1
        dup = missing = 0
        for chat in set(expected) | {c for c in self.fake.delivered if chats is None or c in chats}:
            got = len(self.fake.delivered.get(chat, []))
            dup += max(0, got - expected[chat])
            missing += max(0, expected[chat] - got)
        all_tickets = self.runtime.tickets.list_tickets(limit=1_000_000)
        tickets = Counter(t.conversation_key for t in all_tickets)
        return Report(
            conversations=len(by_conv), messages=len(messages), lost=lost,
            duplicated_tickets=sum(n - 1 for n in tickets.values() if n > 1),
            duplicate_replies=dup, missing_replies=missing, out_of_order=out_of_order,
            without_ticket=sum(1 for k in by_conv if tickets[k] == 0),
        )
