"""Crash test as a benchmark: N concurrent Telegram conversations against a real `atende serve` that is
SIGKILLed K times at random points and restarted on the same data; prints one table row per run.

    .venv/bin/python benchmarks/crash.py --kills 20 --conversations 12 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.atende.crash_load import run_crash


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--conversations", type=int, default=12)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rows = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as d:
            result = await run_crash(Path(d), conversations=args.conversations, kills=args.kills,
                                     seed=args.seed + run)
        rows.append(result.row())
    headers = list(rows[0])
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(str(row[h]) for h in headers) + " |")


if __name__ == "__main__":
    asyncio.run(main())
