"""SLA benchmark (issue 14): the cost of the clock and of one scanner round.

1. ``Calendar.add`` / ``business_time`` on the Madrid calendar (holidays, lunch break): microseconds per call
   for a 27-business-hour target.
2. One ``SlaLedger.survey`` (what every scan does: replay every open ticket's log) over N open tickets with a
   few events each, on SQLite: seconds per round, i.e. how small ATENDE_SLA_SCAN_SECONDS may be.

Run: .venv/bin/python benchmarks/sla.py [--tickets 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ticket_core import NewTicket, RequesterIdentity, TicketPolicy, TicketStore
from ticket_core.sla import SlaConfig
from ticket_core.sla_ledger import SlaLedger

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "sla-example.yaml"


def calendar_bench(config: SlaConfig, n: int = 5000) -> tuple[float, float]:
    cal = config.calendars["madrid"]
    start = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)
    t0 = time.perf_counter()
    for i in range(n):
        due = cal.add(start + timedelta(minutes=7 * i), timedelta(hours=27))
    add_us = (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    for i in range(n):
        cal.business_time(start + timedelta(minutes=7 * i), due)
    return add_us, (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=2000)
    args = parser.parse_args()
    config = SlaConfig.load(EXAMPLE)
    add_us, measure_us = calendar_bench(config)
    print(f"Calendar.add (27 business hours, Madrid): {add_us:.1f} us/call; "
          f"business_time: {measure_us:.1f} us/call")
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    with tempfile.TemporaryDirectory() as tmp, TicketStore.open(
        f"sqlite:///{tmp}/t.db", TicketPolicy(sla_config=config), clock=lambda: now[0]
    ) as store:
        t0 = time.perf_counter()
        for i in range(args.tickets):
            ref = store.create_ticket(NewTicket(
                title="VPN drops", description="VPN drops", category=("network", "access", "hardware")[i % 3],
                type="incident", impact="individual", urgency="medium", channel="web",
                requester=RequesterIdentity("web", f"user{i}"))).reference
            if i % 2:
                store.record_event(ref, "agent_reply", {"text": "On it"}, "marta")
        print(f"filed {args.tickets} open tickets in {time.perf_counter() - t0:.1f}s")
        now[0] += timedelta(hours=3)
        ledger = SlaLedger(store)
        rounds = []
        for _ in range(3):
            t0 = time.perf_counter()
            due, stale = ledger.survey()
            rounds.append(time.perf_counter() - t0)
        print(f"survey of {args.tickets} open tickets: {min(rounds):.2f}s (best of 3), "
              f"{len(due)} levels due, {len(stale)} stored states stale")


if __name__ == "__main__":
    main()
