"""The closing note's screenshot: the reports page over a seeded history of several weeks.

Seeds a fresh database with the benchmark's realistic history (benchmarks/reports.py, bulk inserts; 17
weeks, a few thousand tickets by default), starts the real application on a free port, logs a console agent
in with a real headless Chromium and shoots ``/console/reports`` over the last eight weeks of the history.

    .venv/bin/python benchmarks/reports_screenshot.py --out docs/screenshots/reports.png
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atende.settings import load_settings
from benchmarks.reports import DAYS, FIRST, NOW, seed
from tests.atende.reports.browser import logged_in, serve
from ticket_core import TicketStore


async def shoot(out: Path, tickets: int, width: int, lang: str) -> None:
    def history(url: str) -> None:
        with TicketStore.open(url, clock=lambda: NOW) as store:
            seed(store.engine, tickets, max(50, tickets // 5), random.Random(14))

    last = FIRST + timedelta(days=DAYS - 1)
    first = last - timedelta(weeks=8) + timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="atende-reports-shot-") as tmp:
        settings = load_settings(data_dir=Path(tmp), api_token="screenshot", use_keyword_standins=True,
                                 console_failure_delay=0)
        async with serve(settings, history, language=lang) as (base, _), \
                logged_in(base, width=width) as (page, _):
            await page.goto(f"{base}/console/reports?from={first}&to={last}&tz=Europe/Madrid")
            await page.locator("figure.report-chart svg").first.wait_for()
            out.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(out), full_page=True)
    print(f"{out}: /console/reports?from={first}&to={last}&tz=Europe/Madrid over {tickets} seeded tickets")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots/reports.png"))
    parser.add_argument("--tickets", type=int, default=6000)
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--lang", choices=("en", "es", "pt"), default="en")
    args = parser.parse_args()
    asyncio.run(shoot(args.out, args.tickets, args.width, args.lang))


if __name__ == "__main__":
    main()
