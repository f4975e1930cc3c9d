"""The runtime's SLA loop: every ATENDE_SLA_SCAN_SECONDS, once cluster-wide under the ``sla-scan`` lease.
Two runtimes on one database share a lease table (two processes of the scaled mode): the breach of a ticket
with a three-second target is recorded and logged once, by the lease holder."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml

from atende.dispatch.lease import LeaseTable, LocalLease
from atende.runtime import build_runtime
from tests.atende.sla.conftest import SLA, new_ticket


async def test_two_runtimes_scan_once_cluster_wide(settings_factory: Any, tmp_path: Path) -> None:
    sla_file = tmp_path / "sla.yaml"
    targets = {p: {"first_response": "3s", "resolution": "1h", "mode": "24x7"}
               for p in ("P1", "P2", "P3", "P4", "P5")}
    sla_file.write_text(yaml.safe_dump({**SLA, "targets": targets, "escalations": []}))
    settings = settings_factory(sla_file=sla_file, sla_scan_seconds=0.5)  # lease ttl 0.75 s: a scan takes ms
    table = LeaseTable()
    runtimes = [build_runtime(settings, env={}) for _ in range(2)]
    try:
        for i, rt in enumerate(runtimes):
            rt.lease = LocalLease(table, owner=f"process-{i}")
            assert rt.sla_scanner is not None
            rt.sla_scanner.worker = f"process-{i}"
        ref = runtimes[0].tickets.create_ticket(new_ticket("loop", category="printing")).reference
        loops = [asyncio.create_task(rt._sla_loop()) for rt in runtimes]
        for _ in range(60):
            await asyncio.sleep(0.1)
            if any(e.kind == "sla_breached" for e in runtimes[0].tickets.events(ref)):
                break
        await asyncio.sleep(0.5)  # more rounds: nothing more may be recorded
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        events = [e.kind for e in runtimes[1].tickets.events(ref) if e.kind.startswith("sla_")]
        assert events.count("sla_breached") == 1
        rows = runtimes[0].sla_scanner.ledger.list(reference=ref)  # type: ignore[union-attr]
        assert sorted(n.level for n in rows) == sorted(set(n.level for n in rows))
        assert {n.level for n in rows} == {75, 90, 100}
        holder = table.holder("sla-scan")
        assert holder in ("process-0", "process-1")
        assert {n.claimed_by for n in rows if n.state != "skipped"} == {holder}
    finally:
        for rt in runtimes:
            rt.close()
