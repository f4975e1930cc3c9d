"""How long the reports summary takes over 100,000 tickets, on SQLite and on PostgreSQL.

Seeds a realistic history by bulk inserts (not the API: that would take hours and measure the API), in a
schema migrated by the same code as production: ~100,000 tickets over 17 weeks from ~20,000 requesters (a
fifth of the reports from 500 frequent ones) on six channels (8 % opened by alerts), 12 % solved by
self-service (a tenth of them reopened), first responses mostly on time, 5 % reopened, 35 % rated, 6 % with
the category corrected by an agent, ~8 events per ticket. Then it times ``TicketStore.report_summary`` (the
very call behind ``GET /api/reports/summary``) over the whole history and over its last 30 days: the median
of several runs after one warm-up, per backend, wall clock and CPU time (this process's, which holds all of
SQLite's work, plus for PostgreSQL its server processes', read from /proc). The load average is printed too:
on a shared machine wall time is mostly waiting for a core. PostgreSQL is started the way the tests start it
(tests/services.py): a throw-away cluster on this machine.

    .venv/bin/python benchmarks/reports.py --tickets 100000 --runs 7
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, func, insert, select

from benchmarks._common import median, table
from tests.services import start_postgres
from ticket_core import DEFAULT_SLA, TicketStore
from ticket_core.schema import EventRow, PersonRow, TicketRow

FIRST = date(2026, 8, 3)
DAYS = 119  # 17 weeks
NOW = datetime.combine(FIRST + timedelta(days=DAYS), datetime.min.time(), UTC) + timedelta(hours=10)
CHANNELS = (("web", 30), ("email", 22), ("whatsapp", 15), ("telegram", 10), ("slack", 15), ("alert", 8))
CATEGORIES = (
    "network",
    "vpn",
    "email",
    "access",
    "password",
    "printing",
    "hardware",
    "software",
    "phone",
    "server",
)
LANGUAGES = (("es", 45), ("pt", 30), ("en", 22), (None, 3))
PRIORITIES = (("P1", 3), ("P2", 10), ("P3", 30), ("P4", 45), ("P5", 12))
AGENTS = ("marta@desk", "joao@desk", "ana@desk", "li@desk", "sam@desk")


def pick(rng: random.Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def seed(engine: Engine, tickets: int, people: int, rng: random.Random) -> int:
    """Insert the history; returns the number of events."""
    with engine.begin() as conn:
        conn.execute(
            insert(PersonRow),
            [
                {
                    "id": i,
                    "display_name": f"user {i}",
                    "email": f"u{i}@example.org",
                    "phone": None,
                    "created_at": NOW - timedelta(days=400),
                }
                for i in range(1, people + 6)
            ],
        )
    span = DAYS * 86400
    created = sorted(rng.uniform(0, span) for _ in range(tickets))
    events = 0
    batch_t: list[dict[str, Any]] = []
    batch_e: list[dict[str, Any]] = []
    for i, offset in enumerate(created, start=1):
        t_rows, e_rows = story(
            i, datetime.combine(FIRST, datetime.min.time(), UTC) + timedelta(seconds=offset), people, rng
        )
        batch_t.append(t_rows)
        batch_e.extend(e_rows)
        if len(batch_t) >= 5000 or i == tickets:
            with engine.begin() as conn:
                conn.execute(insert(TicketRow), batch_t)
                conn.execute(insert(EventRow), batch_e)
            events += len(batch_e)
            batch_t, batch_e = [], []
    return events


def story(
    i: int, at: datetime, people: int, rng: random.Random
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    channel = pick(rng, CHANNELS)
    alert = channel == "alert"
    category = "server" if alert else rng.choice(CATEGORIES[:-1])
    priority = pick(rng, PRIORITIES)
    # Most people report now and then; a fifth of the reports come from 500 frequent reporters.
    frequent = rng.random() < 0.2
    requester = people + 1 + rng.randrange(5) if alert else 1 + rng.randrange(500 if frequent else people)
    row: dict[str, Any] = {
        "id": i,
        "reference": f"INC-{i:07d}",
        "title": "Report",
        "description": "Report",
        "category": category,
        "type": "incident",
        "impact": "individual",
        "urgency": "medium",
        "priority": priority,
        "language": None if alert else pick(rng, LANGUAGES),
        "requester_id": requester,
        "channel": channel,
        "conversation_key": None,
        "assignee": None,
        "needs_human": False,
        "created_at": at,
        "updated_at": at,
        "answers": {},
        "classification": {"model_version": "bench"},
        "kb_article_id": None,
        "csat_score": None,
        "resolved_at": None,
        "closed_at": None,
        "first_responded_at": None,
        "first_response_due": None,
        "resolution_due": None,
    }
    ev: list[dict[str, Any]] = []

    def event(kind: str, when: datetime, actor: str, **payload: Any) -> None:
        ev.append({"ticket_id": i, "kind": kind, "payload": payload, "actor": actor, "at": when})

    if not alert:
        event("message_in", at - timedelta(seconds=90), "requester", text="it does not work", channel=channel)
        event("message_out", at - timedelta(seconds=60), "bot", text="which device?", channel=channel)
        event("message_in", at - timedelta(seconds=30), "requester", text="my laptop", channel=channel)
    event("created", at, "bot", status="new", priority=priority, channel=channel, category=category)
    event("classified", at, "bot", model_version="bench", category={"label": category, "confidence": 0.8})
    agent = rng.choice(AGENTS)
    if not alert and rng.random() < 0.12:  # solved by a knowledge-base article
        row.update(status="self_service_resolved", kb_article_id=f"kb-{category}", resolved_at=at)
        ev[-2]["payload"]["status"] = "self_service_resolved"
        event("kb_linked", at, "bot", article_id=f"kb-{category}", solved=True)
        if rng.random() < 0.1 and at + timedelta(hours=3) < NOW:
            reopen = at + timedelta(hours=2)
            event("status_changed", reopen, "requester", **{"from": "self_service_resolved", "to": "open"})
            target = DEFAULT_SLA[priority]
            row.update(
                status="open",
                resolved_at=None,
                first_response_due=reopen + target.first_response,
                resolution_due=reopen + target.resolution,
            )
        return row, ev
    target = DEFAULT_SLA[priority]
    row.update(
        status="new", first_response_due=at + target.first_response, resolution_due=at + target.resolution
    )
    if rng.random() < 0.06:
        event("field_changed", at + timedelta(minutes=5), agent, field="category", old=category, new="access")
        row["category"] = "access"
    respond = at + target.first_response * rng.uniform(0.1, 1.3)
    if respond < NOW and rng.random() < 0.95:
        event("agent_reply", respond, agent, text="on it")
        row.update(first_responded_at=respond, assignee=agent, status="in_progress")
    resolve = at + target.resolution * rng.uniform(0.05, 1.4)
    if resolve < NOW and rng.random() < 0.93 and row["first_responded_at"] is not None:
        event("status_changed", resolve, agent, **{"from": "in_progress", "to": "resolved"})
        row.update(status="resolved", resolved_at=resolve)
        if rng.random() < 0.05 and resolve + timedelta(days=1) < NOW:
            event(
                "status_changed",
                resolve + timedelta(hours=20),
                "requester",
                **{"from": "resolved", "to": "open"},
            )
            resolve += timedelta(days=1)
            event("status_changed", resolve, agent, **{"from": "open", "to": "resolved"})
            row["resolved_at"] = resolve
        if not alert and rng.random() < 0.35:
            score = rng.choices((1, 2, 3, 4, 5), (5, 7, 13, 35, 40))[0]
            event("csat", resolve + timedelta(minutes=10), "requester", score=score, comment=None)
            row["csat_score"] = score
        if resolve + timedelta(days=3) < NOW:
            event(
                "status_changed",
                resolve + timedelta(days=3),
                "system",
                **{"from": "resolved", "to": "closed"},
            )
            row.update(status="closed", closed_at=resolve + timedelta(days=3))
    return row, ev


def timed(store: TicketStore, first: date, last: date, runs: int, server: Callable[[], float]
          ) -> tuple[float, float]:
    """Median wall and CPU seconds (this process's plus the database server's) of the summary."""
    store.report_summary(first, last, "Europe/Madrid")  # warm-up: caches, query plans
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0, s0 = time.perf_counter(), time.process_time(), server()
        store.report_summary(first, last, "Europe/Madrid")
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0 + server() - s0)
    return median(wall), median(cpu)


def children_cpu(parent: int) -> float:
    """CPU seconds (user + system) of ``parent``'s child processes: PostgreSQL's backends and workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def backends(workdir: Path) -> Iterator[tuple[str, str, Callable[[], float]]]:
    yield "SQLite", f"sqlite:///{workdir / 'tickets.db'}", lambda: 0.0  # in process: process_time has it
    pg = start_postgres()
    try:
        postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
        yield "PostgreSQL", pg.create_database("reports"), lambda: children_cpu(postmaster)
    finally:
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows: list[list[object]] = []
    last = FIRST + timedelta(days=DAYS - 1)
    with tempfile.TemporaryDirectory(prefix="atende-reports-bench-") as tmp:
        for name, url, server in backends(Path(tmp)):
            store = TicketStore.open(url, clock=lambda: NOW)
            try:
                t0 = time.perf_counter()
                events = seed(store.engine, args.tickets, args.people, random.Random(14))
                seeded = time.perf_counter() - t0
                with store.engine.begin() as conn:  # fresh statistics, as autovacuum would keep them
                    conn.exec_driver_sql("ANALYZE")
                with store.engine.connect() as conn:
                    count = conn.scalar(select(func.count()).select_from(TicketRow))
                load = os.getloadavg()[0]
                whole, whole_cpu = timed(store, FIRST, last, args.runs, server)
                month, month_cpu = timed(store, last - timedelta(days=29), last, args.runs, server)
                report = store.report_summary(FIRST, last, "Europe/Madrid")
                rows.append(
                    [
                        name,
                        count,
                        events,
                        seeded,
                        whole,
                        whole_cpu,
                        month,
                        month_cpu,
                        report["tickets_created"],
                        f"{load:.1f}-{os.getloadavg()[0]:.1f}",
                    ]
                )
            finally:
                store.close()
    print(
        f"reports summary, median of {args.runs} runs after a warm-up (tz Europe/Madrid), "
        f"{os.cpu_count()} CPUs"
    )
    print(
        table(
            [
                "backend",
                "tickets",
                "events",
                "seed s",
                f"{DAYS} days s",
                "cpu s",
                "30 days s",
                "cpu s",
                "in report",
                "load avg",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
