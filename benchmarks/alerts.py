"""Alerts: deliveries versus tickets, and the time from an alert to its ticket (issue 12 §4).

The server is the real application (uvicorn on a free port, SQLite, the alert receivers on). Three runs:

1. de-duplication: 3 alerts (three services) x 10 repeats x 2 deliveries (an HA pair), each delivery one
   Alertmanager v4 webhook carrying the 3 alerts: 60 alerts sent, which must make 3 tickets;
2. latency: N fresh alerts posted one at a time; for each, the webhook's answer (recorded in the inbox, not
   yet applied) and the time until its ticket exists in the database (polled every 2 ms);
3. with --alertmanager: two real, unclustered Alertmanagers (the worst case of an HA pair: both deliver
   everything) with repeat_interval 1s receive the same 3 alerts, as Prometheus sends them to both, for
   --seconds; deliveries counted by Atende versus tickets, and injection -> ticket (the alerts started
   5 s earlier, so Alertmanager sends the new group at once rather than after group_wait).

    python -m benchmarks.alerts [--alerts 50] [--alertmanager] [--seconds 12]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from atende.settings import load_settings
from benchmarks._common import free_port, median, pct, table

TOKEN = "benchmark-alerts-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def am_alert(fp: str, service: str, status: str = "firing") -> dict[str, Any]:
    return {"status": status, "fingerprint": fp,
            "labels": {"alertname": f"Down-{fp}", "service": service, "severity": "critical"},
            "annotations": {"summary": f"{service} is down", "description": "no answer"},
            "startsAt": datetime.now(UTC).isoformat(), "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example/graph"}


def payload(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {"version": "4", "groupKey": "{}:{}", "status": "firing", "receiver": "atende",
            "alerts": list(alerts)}


def delivered(runtime: Runtime) -> int:
    return sum(a.seen_count for a in runtime.tickets.list_alerts(limit=1000))


async def wait_until(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check):
            return True
        await asyncio.sleep(0.01)
    return False


async def dedup(client: httpx.AsyncClient, runtime: Runtime) -> list[object]:
    alerts = [am_alert(f"dedup{i}", f"svc-dedup-{i}") for i in range(3)]
    before = len(runtime.tickets.list_tickets(channel="alert", limit=1000))
    sent = 0
    for _repeat in range(10):
        for _member in range(2):  # an HA pair: both members deliver each notification
            r = await client.post("/webhooks/alerts/alertmanager", json=payload(*alerts), headers=BEARER)
            r.raise_for_status()
            sent += len(alerts)
    await wait_until(lambda: delivered(runtime) >= sent, 60)
    tickets = len(runtime.tickets.list_tickets(channel="alert", limit=1000)) - before
    return ["3 alerts x 10 repeats x 2 HA deliveries (webhook)", sent, delivered(runtime), tickets]


async def latency(client: httpx.AsyncClient, runtime: Runtime, n: int) -> tuple[list[float], list[float]]:
    acks, tickets = [], []
    for i in range(n):
        fp = f"lat{i}-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        r = await client.post("/webhooks/alerts/alertmanager", json=payload(am_alert(fp, f"svc-lat-{i}")),
                              headers=BEARER)
        r.raise_for_status()
        acks.append(time.perf_counter() - started)
        key = f"alertmanager:{fp}"
        if not await wait_until(lambda key=key: runtime.tickets.get_alert(key) is not None, 30):
            raise RuntimeError(f"no ticket for {fp}")
        tickets.append(time.perf_counter() - started)
    return acks, tickets


async def with_alertmanager(base: str, runtime: Runtime, seconds: float) -> tuple[list[object], list[float]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.services import start_alertmanager

    pair = [await asyncio.to_thread(start_alertmanager, f"{base}/webhooks/alerts/alertmanager", TOKEN,
                                    repeat_interval="1s") for _ in range(2)]
    try:
        now = datetime.now(UTC)
        alerts = [{"labels": {"alertname": f"AmDown{i}", "service": f"svc-am-{i}", "severity": "critical"},
                   "annotations": {"summary": f"svc-am-{i} is down"},
                   "startsAt": (now - timedelta(seconds=5)).isoformat()} for i in range(3)]
        before = delivered(runtime)
        started = time.perf_counter()
        for am in pair:  # Prometheus sends every alert to each member of an HA pair
            await asyncio.to_thread(am.post_alerts, alerts)
        firsts: list[float] = []
        seen: set[str] = set()
        while time.perf_counter() - started < seconds:
            for a in runtime.tickets.list_alerts(limit=1000):
                if a.service and a.service.startswith("svc-am-") and a.fingerprint not in seen:
                    seen.add(a.fingerprint)
                    firsts.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)
        mine = [a for a in runtime.tickets.list_alerts(limit=1000) if (a.service or "").startswith("svc-am-")]
        row: list[object] = [f"3 alerts, 2 unclustered Alertmanagers, repeat 1s, {seconds:.0f}s",
                             "-", delivered(runtime) - before, len({a.reference for a in mine})]
        return row, firsts
    finally:
        for am in pair:
            await asyncio.to_thread(am.stop)
            shutil.rmtree(am.root, ignore_errors=True)


async def main(n: int, use_alertmanager: bool, seconds: float) -> None:
    data = Path(tempfile.mkdtemp(prefix="atende-bench-alerts-"))
    runtime = build_runtime(load_settings(data_dir=data, alerts_token=TOKEN, use_keyword_standins=True,
                                          rate_limit_ip="100000/minute"), env={})
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(runtime, load_models=False), host="127.0.0.1", port=port,
                                        log_level="warning"))
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        await asyncio.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            rows = [await dedup(client, runtime)]
            acks, tickets = await latency(client, runtime, n)
            firsts: list[float] = []
            if use_alertmanager:
                row, firsts = await with_alertmanager(base, runtime, seconds)
                rows.append(row)
        print(table(["run", "alerts sent", "deliveries counted", "tickets created"], rows))
        print()
        timing = [["webhook answered (recorded, 200)", n, median(acks) * 1000, pct(acks, 90) * 1000],
                  ["alert -> ticket in the database", n, median(tickets) * 1000, pct(tickets, 90) * 1000]]
        if firsts:
            # startsAt lies 5 s back, so Alertmanager flushes the new group at once instead of group_wait.
            timing.append(["Alertmanager injection -> ticket", len(firsts),
                           median(firsts) * 1000, pct(firsts, 90) * 1000])
        print(table(["timing", "n", "median ms", "p90 ms"], timing))
    finally:
        srv.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 20)
        runtime.close()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--alerts", type=int, default=50, help="fresh alerts timed one at a time")
    parser.add_argument("--alertmanager", action="store_true", help="also run two real Alertmanagers")
    parser.add_argument("--seconds", type=float, default=12.0, help="how long the Alertmanager run lasts")
    args = parser.parse_args()
    asyncio.run(main(args.alerts, args.alertmanager, args.seconds))
