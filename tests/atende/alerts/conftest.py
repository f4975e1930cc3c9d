"""A whole Atende with the alert receivers on (ATENDE_ALERTS_TOKEN, a Grafana HMAC secret), driven over
its HTTP interface in process; payload builders shared by the receiver tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from tests.services import free_port

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


@pytest.fixture()
async def live(settings_factory: Any) -> AsyncIterator[tuple[str, Runtime]]:
    """A running Atende (uvicorn on a free port) with the alert receivers on: (base URL, runtime)."""
    runtime = build_runtime(settings_factory(alerts_token=TOKEN), env={})
    port = free_port()
    config = uvicorn.Config(create_app(runtime, load_models=False), host="127.0.0.1", port=port,
                            log_level="warning")
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    for _ in range(500):
        if srv.started:
            break
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}", runtime
    srv.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 20)
    runtime.close()


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
