"""Scaled mode on loopback: end-to-end web-chat turns through ``atende serve`` alone (single process, the
in-process Dispatcher) and through ``atende serve`` (ingress) + 1 or 2 ``atende worker`` processes on Redis
Streams; worker takeover after SIGKILL; a soak at a fixed rate that must lose nothing.

Everything is a real process on this machine: PostgreSQL and Redis (appendonly) from Debian, started like
the test fixtures do (tests/services.py), the servers as ``python -m atende``. The load is virtual users of
the web chat who want a ticket (``POST /api/chat/messages``, answered inside the request: in the scaled mode
through the per-request Redis reply key), so a turn's latency is the HTTP request's, end to end. Keyword
stand-ins replace the models: this measures the plumbing, not the classifier.

    .venv/bin/python benchmarks/scale.py --users 24 --seconds 30 --soak-seconds 600 --soak-rate 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import REPO, free_port, pct, table
from tests.connectors.real_runtime import pick
from tests.services import PostgresServer, RedisServer, make_temp_dir, start_postgres, start_redis

OPENING = "My laptop cannot connect to the VPN since this morning, error 809"
ANSWER = "Only me. It started this morning."
WORKING_ON_IT = "We are on it"


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    waited: int = 0  # answered "we are on it" (the reply followed by push)
    tickets: int = 0
    sessions: set[str] = field(default_factory=set)


class Setup:
    def __init__(self, name: str, pg: PostgresServer, redis: RedisServer | None, workers: int,
                 lease: float) -> None:
        self.name = name
        self.root = make_temp_dir("atende-bench-")
        self.db = pg.create_database("bench")
        self.redis = redis
        self.n_workers = workers
        self.lease = lease
        self.port = free_port()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes]] = []

    def env(self) -> dict[str, str]:
        env = {**os.environ, "PYTHONPATH": str(REPO), "ATENDE_DATA_DIR": str(self.root / "data"),
               "ATENDE_DATABASE_URL": self.db, "ATENDE_STATE_URL": self.db,
               "ATENDE_USE_KEYWORD_STANDINS": "1", "ATENDE_API_TOKEN": "t" * 32,
               "ATENDE_LOG_LEVEL": "WARNING", "ATENDE_HTTP_PORT": str(self.port),
               "ATENDE_WORKER_LEASE_SECONDS": str(self.lease)}
        if self.redis is not None:
            env["ATENDE_REDIS_URL"] = self.redis.url
        return env

    def _spawn(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        with open(self.root / log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "atende", *args], env=self.env(), cwd=REPO,
                                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def start_worker(self) -> subprocess.Popen[bytes]:
        proc = self._spawn("worker", log=f"worker-{len(self.workers)}.log")
        self.workers.append(proc)
        return proc

    async def start(self) -> None:
        self._spawn("serve", log="serve.log")
        for _ in range(self.n_workers):
            self.start_worker()
        async with httpx.AsyncClient() as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError((self.root / "serve.log").read_text()[-2000:])
                await asyncio.sleep(0.1)
        if self.n_workers:
            await self.wait_owned(None, distinct=self.n_workers)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def owners(self) -> dict[int, str | None]:
        from redis.asyncio import Redis

        assert self.redis is not None
        r = Redis.from_url(self.redis.url, decode_responses=True)
        try:
            return {s: await r.get(f"atende:lease:shard:{s}") for s in range(8)}
        finally:
            await r.aclose()

    async def wait_owned(self, exclude_pid: int | None, timeout: float = 90, distinct: int = 1) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            owners = await self.owners()
            if all(o is not None and (exclude_pid is None or o.split(":")[1] != str(exclude_pid))
                   for o in owners.values()) and len(set(owners.values())) >= distinct:
                return time.monotonic() - start
            await asyncio.sleep(0.05)
        raise RuntimeError(f"shards not owned: {await self.owners()}")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    def verdict(self) -> dict[str, int]:
        """Lost (inbox rows not processed, outbox rows not delivered) and duplicated tickets, from SQL."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.db)
        try:
            with engine.connect() as c:
                lost = c.execute(sa.text("SELECT count(*) FROM inbox WHERE status <> 'processed'")).scalar()
                undelivered = c.execute(sa.text(
                    "SELECT count(*) FROM outbox WHERE status NOT IN ('sent', 'answered')")).scalar()
                dups = c.execute(sa.text(
                    "SELECT count(*) FROM (SELECT conversation_key FROM tickets GROUP BY conversation_key "
                    "HAVING count(*) > 1) d")).scalar()
                messages = c.execute(sa.text("SELECT count(*) FROM inbox")).scalar()
        finally:
            engine.dispose()
        return {"lost": int(lost or 0) + int(undelivered or 0), "dup_tickets": int(dups or 0),
                "messages": int(messages or 0)}


async def user(http: httpx.AsyncClient, url: str, stats: Stats, until: float, period: float = 0.0) -> None:
    """A web-chat user filing tickets one after another until ``until``; ``period`` paces its turns."""
    while time.monotonic() < until:
        session = uuid.uuid4().hex
        stats.sessions.add(session)
        text: str | None = OPENING
        option: str | None = None
        for _ in range(20):
            body: dict[str, Any] = {"session": session, "message_id": uuid.uuid4().hex}
            body["text" if text is not None else "option"] = text if text is not None else option
            started = time.monotonic()
            try:
                r = await http.post(f"{url}/api/chat/messages", json=body, timeout=60)
                r.raise_for_status()
                replies = r.json()["replies"]
            except (httpx.HTTPError, KeyError, ValueError):
                stats.errors += 1
                await asyncio.sleep(0.5)
                continue
            stats.latencies.append(time.monotonic() - started)
            if any(WORKING_ON_IT in x["text"] for x in replies):
                stats.waited += 1
            if any(x.get("ticket") for x in replies) or time.monotonic() >= until:
                stats.tickets += any(x.get("ticket") for x in replies)
                break
            options = [o["id"] for x in replies for o in x.get("options") or ()]
            text, option = (None, pick(options)) if options else (ANSWER, None)
            if period:
                await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))


async def load(setup: Setup, users: int, seconds: float, period: float = 0.0) -> tuple[Stats, float]:
    stats = Stats()
    limits = httpx.Limits(max_connections=users + 4, max_keepalive_connections=users + 4)
    async with httpx.AsyncClient(limits=limits) as http:
        started = time.monotonic()
        await asyncio.gather(*(user(http, setup.url, stats, started + seconds, period) for _ in range(users)))
        wall = time.monotonic() - started
    return stats, wall


async def settle(setup: Setup, timeout: float = 60) -> None:
    """Let the pushes of timed-out turns finish before counting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = setup.verdict()
        if v["lost"] == 0:
            return
        await asyncio.sleep(0.5)


async def run(args: argparse.Namespace) -> None:
    pg = start_postgres()
    redis = start_redis(appendonly=True)
    rows: list[list[object]] = []
    notes: list[str] = []
    try:
        base: float | None = None
        for name, scaled, workers in (("single process (serve + in-process Dispatcher)", False, 0),
                                      ("ingress + 1 worker", True, 1), ("ingress + 2 workers", True, 2)):
            await asyncio.to_thread(lambda: subprocess.run(["redis-cli", "-p", str(redis.port), "FLUSHALL"],
                                                           capture_output=True))
            setup = Setup(name, pg, redis if scaled else None, workers, args.lease)
            await setup.start()
            try:
                await load(setup, args.users, min(5.0, args.seconds))  # warm-up
                stats, wall = await load(setup, args.users, args.seconds)
                await settle(setup)
                v = setup.verdict()
            finally:
                setup.stop()
            rate = len(stats.latencies) / wall
            base = base or rate
            rows.append([name, len(stats.latencies), rate, rate / base, pct(stats.latencies, 50) * 1000,
                         pct(stats.latencies, 99) * 1000, stats.tickets, stats.errors, v["lost"],
                         v["dup_tickets"]])

        # Takeover: two workers under a light load, SIGKILL one, time until its shards are held again.
        setup = Setup("takeover", pg, redis, 2, args.lease)
        await asyncio.to_thread(lambda: subprocess.run(["redis-cli", "-p", str(redis.port), "FLUSHALL"],
                                                       capture_output=True))
        await setup.start()
        takeovers: list[float] = []
        try:
            for _ in range(args.kills):
                await setup.wait_owned(None, distinct=2)
                owners = await setup.owners()
                victim = next(w for w in setup.workers
                              if any(o and o.split(":")[1] == str(w.pid) for o in owners.values()))
                victim.send_signal(signal.SIGKILL)
                victim.wait(10)
                setup.workers.remove(victim)
                killed = time.monotonic()
                await setup.wait_owned(victim.pid)
                takeovers.append(time.monotonic() - killed)
                setup.start_worker()
        finally:
            setup.stop()
        each = ", ".join(f"{t:.2f}" for t in takeovers)
        notes.append(f"worker takeover after SIGKILL (lease {args.lease:.0f} s, {args.kills} kills): "
                     f"{each} s; median {sorted(takeovers)[len(takeovers) // 2]:.2f} s")

        # Soak: ingress + 2 workers at a fixed rate.
        setup = Setup("soak", pg, redis, 2, args.lease)
        await asyncio.to_thread(lambda: subprocess.run(["redis-cli", "-p", str(redis.port), "FLUSHALL"],
                                                       capture_output=True))
        await setup.start()
        try:
            period = args.soak_users / args.soak_rate
            stats, wall = await load(setup, args.soak_users, args.soak_seconds, period)
            await settle(setup)
            v = setup.verdict()
        finally:
            setup.stop()
        rows.append([f"soak {args.soak_seconds:.0f} s at {args.soak_rate:.0f}/s target, ingress + 2 workers",
                     len(stats.latencies), len(stats.latencies) / wall, float("nan"),
                     pct(stats.latencies, 50) * 1000, pct(stats.latencies, 99) * 1000, stats.tickets,
                     stats.errors, v["lost"], v["dup_tickets"]])
    finally:
        pg.stop()
        redis.stop()
        import shutil

        shutil.rmtree(redis.root, ignore_errors=True)

    print(f"\n## Scaled mode, loopback ({os.cpu_count()} cores), {args.users} web-chat users, "
          f"{args.seconds:.0f} s per setup, keyword stand-ins, PostgreSQL + Redis (appendonly)\n")
    print(table(["setup", "turns", "turns/s", "ratio", "p50 ms", "p99 ms", "tickets", "errors", "lost",
                 "dup tickets"], rows))
    print("\n" + "\n".join(notes))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=24, help="concurrent web-chat users (closed loop)")
    ap.add_argument("--seconds", type=float, default=30.0, help="measured seconds per setup")
    ap.add_argument("--lease", type=float, default=5.0, help="ATENDE_WORKER_LEASE_SECONDS")
    ap.add_argument("--kills", type=int, default=3, help="SIGKILLs for the takeover time")
    ap.add_argument("--soak-seconds", type=float, default=600.0, help="soak duration (10 minutes in full)")
    ap.add_argument("--soak-rate", type=float, default=20.0, help="soak target turns per second")
    ap.add_argument("--soak-users", type=int, default=40, help="users sharing the soak rate")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
