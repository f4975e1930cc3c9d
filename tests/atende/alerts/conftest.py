"""A whole Atende with the alert receivers on (ATENDE_ALERTS_TOKEN, a Grafana HMAC secret), driven over
its HTTP interface in process; payload builders shared by the receiver tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from atende.app import create_app
from atende.runtime import Runtime, build_runtime

TOKEN = "alerts-token-for-tests"
HMAC_SECRET = "grafana-hmac-secret"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture()
async def alert_runtime(settings_factory: Any) -> AsyncIterator[Runtime]:
    rt = build_runtime(settings_factory(alerts_token=TOKEN, grafana_hmac_secret=HMAC_SECRET), env={})
    await rt.dispatcher.start()
    yield rt
    await rt.dispatcher.stop()
    rt.close()


@pytest.fixture()
async def alert_app(alert_runtime: Runtime) -> AsyncIterator[FastAPI]:
    application = create_app(alert_runtime, load_models=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture()
async def alerts(alert_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=alert_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://atende.test") as c:
        yield c


def am_alert(fp: str, status: str = "firing", service: str = "erp", severity: str = "critical",
             **annotations: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": f"Down{fp}", "service": service, "severity": severity,
                   "instance": "db1:9100"},
        "annotations": {"summary": f"ERP {fp} is down", "description": "No answer for 5 minutes",
                        "runbook_url": "https://runbooks.example/erp", **annotations},
        "startsAt": "2026-12-06T08:15:00.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-12-06T09:00:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=up",
        "fingerprint": fp,
    }


def am_payload(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {"version": "4", "groupKey": '{}:{service="erp"}', "status": status, "receiver": "atende",
            "groupLabels": {"service": "erp"}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager.example", "truncatedAlerts": 0, "alerts": list(alerts)}


async def settle(runtime: Runtime) -> None:
    """Wait until the Dispatcher applied everything recorded."""
    await asyncio.sleep(0)
    await runtime.dispatcher.join(timeout=10)
