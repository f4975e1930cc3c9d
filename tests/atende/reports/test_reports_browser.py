"""The reports page in a real headless Chromium: logged in as an agent, the page draws its charts (SVG),
the console shows no error (a CSP violation would be one), and each chart's CSV, fetched with the page's
session, carries the numbers of ``GET /api/reports/summary``. A screenshot goes to $ATENDE_SCREENS_DIR when
set, else to the test's tmp dir."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from atende.console import report_charts
from tests.atende.reports.browser import logged_in, serve
from tests.atende.reports.history import FIRST, LAST, seed
from tests.ticket_core.conftest import Clock
from ticket_core import TicketStore

pytestmark = pytest.mark.chromium
QUERY = f"from={FIRST}&to={LAST}&tz=UTC"


async def test_the_reports_page_in_chromium(settings_factory: Any, tmp_path: Path) -> None:
    settings = settings_factory(console_failure_delay=0)

    def history(url: str) -> None:
        clock = Clock()
        with TicketStore.open(url, clock=clock) as store:  # written at its own, controlled times
            seed(store, clock)

    async with serve(settings, history) as (base, runtime), logged_in(base) as (page, errors):
        response = await page.goto(f"{base}/console/reports?{QUERY}")
        assert response is not None and response.status == 200
        charts = page.locator("figure.report-chart svg")
        await charts.first.wait_for()
        assert await charts.count() == len(report_charts.CHART_IDS)
        for i in range(await charts.count()):
            box = await charts.nth(i).bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 80  # drawn, not collapsed
            assert await charts.nth(i).locator("title").count() >= 1
        assert await page.locator('[data-kpi="tickets_created"] dd').text_content() == "12"
        shots = Path(os.environ.get("ATENDE_SCREENS_DIR") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(shots / "reports-test.png"), full_page=True)

        async with httpx.AsyncClient(base_url=base) as api:
            r = await api.get(f"/api/reports/summary?{QUERY}",
                              headers={"Authorization": f"Bearer {runtime.api_token}"})
            assert r.status_code == 200
            report = r.json()
        for chart in ("volume_by_channel", "sla_resolution", "csat_distribution", "drift_by_week"):
            link = page.locator(f"#chart-{chart} a.chart-csv")
            href = await link.get_attribute("href")
            assert href is not None
            got = await page.request.get(base + href)  # the page's own session cookie
            assert got.status == 200
            table = list(csv.reader(io.StringIO(await got.text())))
            if chart == "volume_by_channel":
                for i, name in enumerate(table[0][1:], start=1):
                    assert [int(row[i]) for row in table[1:]] == report["volume_by_channel"][name]
            elif chart == "sla_resolution":
                sla = report["sla_by_priority"]
                assert [[p, int(m), int(n)] for p, m, n, _ in table[1:]] == [
                    [p, v["resolution_met"], v["resolution_total"]] for p, v in sla.items()]
            elif chart == "csat_distribution":
                assert {s: int(n) for s, n in table[1:]} == report["csat_distribution"]
            else:
                assert [float(r[3]) for r in table[1:]] == [w["rate"] for w in report["drift_by_week"]]
        # Chromium asks for /favicon.ico on its own (the console has none): not the page's doing.
        assert [e for e in errors if not e.endswith("/favicon.ico")] == []
