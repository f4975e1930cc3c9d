"""``/console/reports`` over HTTP: agents and admins only, the filter's 400s, every chart drawn, and every
chart's CSV carrying the JSON's numbers."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from atende.console import report_charts
from atende.runtime import Runtime
from tests.atende.console.conftest import ConsoleBrowser, add_agent, console_browser
from tests.atende.reports.history import FIRST, LAST

QUERY = f"from={FIRST}&to={LAST}&tz=UTC"
TOKEN = {"Authorization": "Bearer agent-token-for-tests"}


@pytest.fixture
async def agent(seeded_app: FastAPI, seeded_runtime: Runtime) -> AsyncIterator[ConsoleBrowser]:
    add_agent(seeded_runtime, "marta@desk.test", language="es")
    browser = console_browser(seeded_app)
    async with browser.client:
        assert (await browser.login("marta@desk.test")).status_code == 303
        yield browser


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def num(cell: str) -> Any:
    if cell == "":
        return None
    return float(cell) if "." in cell else int(cell)


async def test_the_page_draws_every_chart_in_the_agents_language(agent: ConsoleBrowser) -> None:
    r = await agent.get(f"/console/reports?{QUERY}")
    assert r.status_code == 200, r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    html = r.text
    assert html.count("<svg ") == len(report_charts.CHART_IDS)
    assert "Informes" in html and "Tickets por día y canal" in html  # es, the agent's language
    for chart in report_charts.CHART_IDS:
        assert f"/console/reports/{chart}.csv?from={FIRST}&amp;to={LAST}&amp;tz=UTC" in html
    assert 'data-kpi="tickets_created"><dt>Tickets creados</dt><dd>12</dd>' in html
    assert "<script>" not in html and " style=" not in html  # the CSP allows neither
    for svg in html.split("<svg ")[1:]:
        root = ET.fromstring("<svg " + svg.split("</svg>")[0] + "</svg>")  # well-formed XML
        assert root.get("role") == "img"
        ns = "{http://www.w3.org/2000/svg}"
        assert root.find(f"{ns}title") is not None and root.find(f"{ns}desc") is not None


async def test_every_csv_has_the_json_numbers(agent: ConsoleBrowser, api: httpx.AsyncClient) -> None:
    report = (await api.get(f"/api/reports/summary?{QUERY}", headers=TOKEN)).json()
    got = {}
    for chart in report_charts.CHART_IDS:
        r = await agent.client.get(f"/console/reports/{chart}.csv?{QUERY}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        got[chart] = rows(r.text)
    for key in ("volume_by_channel", "volume_by_origin", "volume_by_category", "volume_by_language"):
        header, *body = got[key]
        assert header == ["day", *report[key]]
        assert [r[0] for r in body] == report["days"]
        for i, name in enumerate(header[1:], start=1):
            assert [num(r[i]) for r in body] == report[key][name]
    for target in ("first_response", "resolution"):
        header, *body = got[f"sla_{target}"]
        assert header == ["priority", "met", "total", "met_rate"]
        for p, met, total, met_rate in body:
            row = report["sla_by_priority"][p]
            assert (num(met), num(total), num(met_rate)) == (
                row[f"{target}_met"], row[f"{target}_total"], row[f"{target}_met_rate"])
    assert {b: num(n) for b, n in got["backlog_ageing"][1:]} == report["backlog_ageing"]
    assert {s: num(n) for s, n in got["csat_distribution"][1:]} == report["csat_distribution"]
    assert [[w, num(n), num(c), num(r)] for w, n, c, r in got["drift_by_week"][1:]] == [
        [w["week"], w["user_opened"], w["corrected"], w["rate"]] for w in report["drift_by_week"]]


async def test_a_bad_filter_is_a_400_page_and_a_400_csv(agent: ConsoleBrowser) -> None:
    r = await agent.get(f"/console/reports?from={LAST}&to={FIRST}")
    assert r.status_code == 400 and 'role="alert"' in r.text and "<svg" not in r.text
    r = await agent.get(f"/console/reports?from={FIRST}&to={LAST}&tz=Mars/Olympus")
    assert r.status_code == 400
    r = await agent.client.get(f"/console/reports/backlog_ageing.csv?from=x&to={LAST}")
    assert r.status_code == 400
    assert (await agent.client.get(f"/console/reports/passwords.csv?{QUERY}")).status_code == 404


async def test_without_a_login_there_is_no_report(seeded_app: FastAPI) -> None:
    anonymous = console_browser(seeded_app)
    async with anonymous.client:
        r = await anonymous.get(f"/console/reports?{QUERY}")
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
        r = await anonymous.client.get(f"/console/reports/csat_distribution.csv?{QUERY}")
        assert r.status_code in (303, 401) and "csat" not in r.text
        # the API's bearer token is not a console session
        r = await anonymous.client.get(f"/console/reports/csat_distribution.csv?{QUERY}", headers=TOKEN)
        assert r.status_code in (303, 401)


async def test_the_default_range_is_the_last_four_weeks(agent: ConsoleBrowser) -> None:
    r = await agent.get("/console/reports")
    assert r.status_code == 200 and r.text.count("<svg ") == len(report_charts.CHART_IDS)
    assert 'name="tz" type="text" list="report-zones" value="UTC"' in r.text


def test_a_csv_cell_never_becomes_a_formula() -> None:
    axes = report_charts.charts.Axes("t", "d", "x", "y")
    chart = report_charts.Chart("x", "bar", axes, [], {"": []}, False, ["category", "n"],
                                [['=HYPERLINK("http://evil")', 1], ["-1+2", 2], ["@SUM(A1)", 3], [None, 4]])
    assert rows(chart.csv()) == [["category", "n"], ["'=HYPERLINK(\"http://evil\")", "1"], ["'-1+2", "2"],
                                 ["'@SUM(A1)", "3"], ["", "4"]]


async def test_admins_see_the_reports_too(seeded_app: FastAPI, seeded_runtime: Runtime) -> None:
    add_agent(seeded_runtime, "lead@desk.test", role="admin", language="pt")
    admin = console_browser(seeded_app)
    async with admin.client:
        assert (await admin.login("lead@desk.test")).status_code == 303
        r = await admin.get(f"/console/reports?{QUERY}")
        assert r.status_code == 200 and "Relatórios" in r.text and "n/d" in r.text  # P2 has no SLA data
