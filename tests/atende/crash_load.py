"""Exactly one effect per message, under SIGKILL: a scripted load of concurrent Telegram conversations
against a real ``atende serve`` that is killed at random points and restarted on the same data.

Shared by the test (tests/atende/test_crash.py) and the benchmark (benchmarks/crash.py). Only the far side is
faked: the Telegram Bot API (a local server that records every sendMessage). Each simulated user behaves
like a person in a chat: sends a message, waits for the bot's answer, answers it (a typed option number or a
free phrase), and redelivers an update whose webhook call failed, as Telegram does.

What is counted at the end, once the restarted server has drained its inbox and outbox:
- tickets per conversation (each script ends in one ticket: more is a duplicate);
- lost messages: updates Telegram saw acknowledged (200) that are not processed;
- duplicate replies: messages the fake received beyond what the outbox says was sent;
- ``PRAGMA integrity_check`` of both SQLite files.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.connectors.telegram.fake_telegram import TOKEN, FakeTelegram
from tests.services import free_port

SECRET = "crash-test-secret-0123456789"
ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"\b(?:INC|REQ)-\d{6}\b")
DESCRIPTIONS = (
    "My laptop cannot connect to the VPN since this morning, error 809",
    "No puedo imprimir en la impresora de la planta 2, sale atasco de papel",
    "O Outlook não abre desde ontem, fica travado na tela de carregamento",
    "My account is locked after too many password attempts",
    "El monitor del puesto 14 no enciende",
    "Preciso de acesso à pasta compartilhada do financeiro",
)
FREE_ANSWER = ("since this morning, only me", "desde esta mañana, solo yo", "desde ontem, só eu")
PREFERRED = ("kb:no", "resume:restart", "route:new")


@dataclass
class CrashResult:
    kills: int = 0
    conversations: int = 0
    updates_acked: int = 0
    tickets_per_conversation: Counter[str] = field(default_factory=Counter)
    conversations_without_ticket: int = 0
    duplicate_tickets: int = 0
    lost_messages: int = 0
    duplicate_replies: int = 0
    missing_replies: int = 0
    immediate_repeats: int = 0  # a delivered message identical to the one just before it in its chat
    integrity: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def row(self) -> dict[str, Any]:
        return {
            "kills": self.kills, "conversations": self.conversations, "updates": self.updates_acked,
            "dup tickets": self.duplicate_tickets, "no ticket": self.conversations_without_ticket,
            "lost": self.lost_messages, "dup replies": self.duplicate_replies,
            "missing replies": self.missing_replies, "repeats of the message before": self.immediate_repeats,
            "integrity": ",".join(sorted(set(self.integrity.values()))), "seconds": round(self.seconds, 1),
        }


class Server:
    """``python -m atende serve`` on a data folder, killed with SIGKILL and started again on it."""

    def __init__(self, data_dir: Path, fake_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ATENDE_")},
            "ATENDE_DATA_DIR": str(data_dir), "ATENDE_HTTP_PORT": str(self.port),
            "ATENDE_USE_KEYWORD_STANDINS": "true", "ATENDE_API_TOKEN": "crash-agent-token",
            "ATENDE_TELEGRAM_TOKEN": TOKEN, "ATENDE_TELEGRAM_SECRET": SECRET,
            "ATENDE_TELEGRAM_API_BASE": fake_url, "ATENDE_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        self.log = data_dir.parent / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "atende", "serve"], cwd=ROOT, env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"atende serve exited with {self.proc.returncode}; see {self.log}")
                try:
                    if (await client.get(self.url + "/healthz", timeout=1)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("atende serve did not answer within 60 s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class Load:
    def __init__(self, server: Server, fake: FakeTelegram, seed: int) -> None:
        self.server = server
        self.fake = fake
        self.rng = random.Random(seed)
        self.next_update = 10_000
        self.acked: list[tuple[int, int]] = []  # (chat id, update id) answered 200
        self.ticket_seen: set[int] = set()

    def _sent_to(self, chat: int) -> list[dict[str, Any]]:
        return [p for p in self.fake.sent() if int(p.get("chat_id", 0)) == chat]

    async def deliver(self, client: httpx.AsyncClient, chat: int, text: str) -> None:
        """Post the update until it is acknowledged, like Telegram (a kill means: try again)."""
        self.next_update += 1
        update_id = self.next_update
        update = {"update_id": update_id, "message": {
            "message_id": update_id, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": f"User{chat}", "language_code": "en"},
            "text": text}}
        for _ in range(600):
            try:
                r = await client.post(self.server.url + "/webhooks/telegram", json=update, timeout=10,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                if r.status_code == 200:
                    self.acked.append((chat, update_id))
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError(f"update {update_id} never acknowledged")

    def _answer(self, reply: dict[str, Any], chat: int) -> str:
        rows = (reply.get("reply_markup") or {}).get("inline_keyboard") or []
        ids = [b.get("callback_data") for row in rows for b in row]
        if not ids:
            return FREE_ANSWER[chat % len(FREE_ANSWER)]
        for wanted in PREFERRED:
            if wanted in ids:
                return str(ids.index(wanted) + 1)
        skips = [i for i, o in enumerate(ids) if str(o).endswith(":skip")]
        candidates = skips or [i for i, o in enumerate(ids) if o != "cat:other"] or [0]
        return str(candidates[0] + 1)  # typed, like on a phone: the engine resolves the number

    async def conversation(self, client: httpx.AsyncClient, chat: int) -> None:
        text = DESCRIPTIONS[chat % len(DESCRIPTIONS)]
        for _ in range(16):
            seen = len(self._sent_to(chat))
            await self.deliver(client, chat, text)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and len(self._sent_to(chat)) <= seen:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # the rest of this turn's replies
            sent = self._sent_to(chat)
            if any(REFERENCE.search(str(p.get("text", ""))) for p in sent):
                self.ticket_seen.add(chat)
                return
            if len(sent) <= seen:
                raise RuntimeError(f"chat {chat}: no answer within 90 s")
            text = self._answer(sent[-1], chat)


def _sqlite(path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, args).fetchall()


async def _drained(data: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db = data / "conversations.db"
        waiting = _sqlite(db, "SELECT count(*) FROM inbox WHERE status = 'received'")[0][0]
        pending = _sqlite(db, "SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0]
        if waiting == 0 and pending == 0:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("the restarted server did not drain its inbox and outbox")


async def run_crash(workdir: Path, *, conversations: int = 12, kills: int = 20, seed: int = 7,
                    min_gap: float = 0.3, max_gap: float = 1.5) -> CrashResult:
    """Run the load, SIGKILL the server ``kills`` times at random moments, then count."""
    from connectors.telegram.render import render
    from dialog.state import reply_from_dict

    data = workdir / "data"
    result = CrashResult(conversations=conversations)
    started = time.monotonic()
    async with FakeTelegram() as fake:
        server = Server(data, fake.base_url)
        await server.start()
        load = Load(server, fake, seed)
        rng = random.Random(seed)

        async def killer() -> None:
            for _ in range(kills):
                await asyncio.sleep(rng.uniform(min_gap, max_gap))
                server.kill()
                result.kills += 1
                await server.start()

        chats: list[int] = []
        killing = asyncio.Event()
        killing.set()

        async def user(slot: int) -> None:
            """One simulated person after another on this slot, while the server keeps being killed."""
            n = 0
            while killing.is_set() or n == 0:
                chat = 2_000_000 + slot * 1000 + n
                chats.append(chat)
                n += 1
                await load.conversation(client, chat)

        async def kill_then_stop() -> None:
            await killer()
            killing.clear()

        try:
            async with httpx.AsyncClient() as client:
                await asyncio.gather(kill_then_stop(), *(user(i) for i in range(conversations)))
                await _drained(data)
        finally:
            server.stop()
        result.conversations = len(chats)

        conv = data / "conversations.db"
        tickets = data / "atende.db"
        per_conversation = "SELECT conversation_key, count(*) FROM tickets GROUP BY conversation_key"
        for key, n in _sqlite(tickets, per_conversation):
            result.tickets_per_conversation[str(key)] = int(n)
        result.duplicate_tickets = sum(n - 1 for n in result.tickets_per_conversation.values() if n > 1)
        result.conversations_without_ticket = sum(
            1 for c in chats if result.tickets_per_conversation.get(f"telegram:{c}", 0) == 0)
        result.updates_acked = len(load.acked)
        rows = _sqlite(conv, "SELECT idempotency_key, status FROM inbox")
        status = {str(k): str(s) for k, s in rows}
        done = ("processed", "ignored")
        result.lost_messages = sum(
            1 for chat, uid in load.acked if status.get(f"telegram:{chat}/{uid}") not in done)
        expected: Counter[int] = Counter()
        for key, replies, state in _sqlite(conv, "SELECT conversation_key, replies, status FROM outbox"):
            if state != "sent":
                continue
            rendered = render([reply_from_dict(r) for r in json.loads(replies)])
            expected[int(str(key).split(":")[1])] += len(rendered)
        delivered: Counter[int] = Counter(int(p["chat_id"]) for p in fake.sent())
        last: dict[int, str] = {}
        for p in fake.sent():
            chat_id, body = int(p["chat_id"]), json.dumps(p, sort_keys=True)
            result.immediate_repeats += last.get(chat_id) == body
            last[chat_id] = body
        result.duplicate_replies = sum(max(0, delivered[c] - expected[c]) for c in chats)
        result.missing_replies = sum(max(0, expected[c] - delivered[c]) for c in chats)
        for name, path in (("tickets", tickets), ("conversations", conv)):
            result.integrity[name] = str(_sqlite(path, "PRAGMA integrity_check")[0][0])
    result.seconds = time.monotonic() - started
    return result
