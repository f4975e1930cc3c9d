"""The receivers of issue 12 §1 on the whole app: authentication before parsing (401, nothing stored),
off without the token (404), 400 with the reason for what cannot be understood (and kept), Grafana's HMAC
with and without a timestamp, the generic schema, and repeats / HA double deliveries filing one ticket."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from fastapi import FastAPI

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from tests.atende.alerts.conftest import BEARER, HMAC_SECRET, TOKEN, am_alert, am_payload, settle


def _inbox_rows(runtime: Runtime) -> int:
    return runtime.conv_store.inbox_count()


def _tickets(runtime: Runtime) -> list[Any]:
    return runtime.tickets.list_tickets(channel="alert")


async def test_forged_requests_get_401_and_leave_nothing_stored(alerts: httpx.AsyncClient,
                                                                alert_runtime: Runtime) -> None:
    body = json.dumps(am_payload(am_alert("a1")))
    forged = [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Basic " + base64.b64encode(b"am:wrong").decode()},
        {"Authorization": "Basic !!!notbase64"},
        {"Authorization": f"Token {TOKEN}"},
    ]
    for path in ("alertmanager", "grafana", "generic"):
        for headers in forged:
            r = await alerts.post(f"/webhooks/alerts/{path}", content=body, headers=headers)
            assert r.status_code == 401, (path, headers)
    # a forged body that is not even JSON is refused for its credentials, not its syntax
    r = await alerts.post("/webhooks/alerts/generic", content=b"\x00garbage")
    assert r.status_code == 401
    await settle(alert_runtime)
    assert _inbox_rows(alert_runtime) == 0 and _tickets(alert_runtime) == []
    assert alert_runtime.tickets.alert_rejections() == []


async def test_routes_are_off_without_the_token(settings_factory: Any) -> None:
    rt = build_runtime(settings_factory(), env={})
    try:
        app: FastAPI = create_app(rt, manage_runtime=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.post("/webhooks/alerts/alertmanager", json=am_payload(am_alert("a")),
                             headers=BEARER)
            assert r.status_code == 404
    finally:
        rt.close()


async def test_alertmanager_bearer_and_basic_auth_file_one_ticket_per_fingerprint(
    alerts: httpx.AsyncClient, alert_runtime: Runtime
) -> None:
    basic = {"Authorization": "Basic " + base64.b64encode(f"alertmanager:{TOKEN}".encode()).decode()}
    payload = am_payload(am_alert("fp1"), am_alert("fp2", service="mail", severity="warning"))
    for _ in range(5):  # repeats, and each one delivered twice (an HA pair)
        for headers in (BEARER, basic):
            r = await alerts.post("/webhooks/alerts/alertmanager", json=payload, headers=headers)
            assert r.status_code == 200 and r.json() == {"accepted": 2}, r.text
    await settle(alert_runtime)
    tickets = _tickets(alert_runtime)
    assert len(tickets) == 2
    erp = next(t for t in tickets if t.service == "erp")
    assert erp.title == "ERP fp1 is down" and erp.category == "outage" and erp.priority == "P1"
    assert "runbook: https://runbooks.example/erp" in erp.description
    assert "generatorURL: http://prometheus.example/graph?g0.expr=up" in erp.description
    assert "severity=critical" in erp.description and "No answer for 5 minutes" in erp.description
    mail = next(t for t in tickets if t.service == "mail")
    assert mail.priority == "P3"  # warning: team x medium
    info = alert_runtime.tickets.get_alert("alertmanager:fp1")
    assert info is not None and info.seen_count == 10


async def test_resolution_resolves_the_ticket(alerts: httpx.AsyncClient, alert_runtime: Runtime) -> None:
    await alerts.post("/webhooks/alerts/alertmanager", json=am_payload(am_alert("r1")), headers=BEARER)
    await settle(alert_runtime)
    resolved = am_payload(am_alert("r1", status="resolved"), status="resolved")
    r = await alerts.post("/webhooks/alerts/alertmanager", json=resolved, headers=BEARER)
    assert r.status_code == 200
    await settle(alert_runtime)
    [ticket] = _tickets(alert_runtime)
    assert ticket.status == "resolved"
    notes = [e.payload["action"] for e in alert_runtime.tickets.events(ticket.reference) if e.kind == "alert"]
    assert notes == ["opened", "resolved"]


async def test_malformed_payloads_get_400_with_the_reason_and_are_recorded(
    alerts: httpx.AsyncClient, alert_runtime: Runtime
) -> None:
    cases: list[tuple[str, bytes, str]] = [
        ("alertmanager", b"{not json", "not JSON"),
        ("alertmanager", b"[]", "body: must be a JSON object"),
        ("alertmanager", json.dumps({**am_payload(am_alert("x")), "version": "3"}).encode(), "version"),
        ("alertmanager", json.dumps(am_payload()).encode(), "alerts: must be a non-empty list"),
        ("alertmanager", json.dumps(am_payload({**am_alert("x"), "labels": {}})).encode(), "labels"),
        ("alertmanager", json.dumps(am_payload({**am_alert("x"), "startsAt": "yesterday"})).encode(),
         "alerts[0].startsAt"),
        ("alertmanager", json.dumps(am_payload({**am_alert("x"), "status": "pending"})).encode(),
         "alerts[0].status"),
        ("grafana", json.dumps({"status": "firing"}).encode(), "alerts"),
        ("generic", json.dumps({"status": "firing", "title": "x"}).encode(), "id: required"),
        ("generic", json.dumps({"id": "h/s", "status": "maybe"}).encode(), "status"),
        ("generic", json.dumps({"id": "h/s", "status": "problem"}).encode(), "title: required"),
    ]
    for path, body, reason in cases:
        r = await alerts.post(f"/webhooks/alerts/{path}", content=body, headers=BEARER)
        assert r.status_code == 400, (path, body)
        assert reason in r.json()["detail"], (reason, r.json())
        assert r.json()["sha256"] == hashlib.sha256(body).hexdigest()
    kept = alert_runtime.tickets.alert_rejections()
    assert len(kept) == len(cases)
    assert kept[-1]["source"] == "alertmanager" and "not JSON" in kept[-1]["reason"]
    await settle(alert_runtime)
    assert _inbox_rows(alert_runtime) == 0 and _tickets(alert_runtime) == []


def grafana_payload(status: str = "firing") -> dict[str, Any]:
    return {
        "receiver": "atende", "status": status, "orgId": 1, "version": "1", "groupKey": "{}:{}",
        "title": "[FIRING:1] ERP latency", "state": "alerting", "message": "ERP latency high",
        "externalURL": "https://grafana.example/", "truncatedAlerts": 0,
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "alerts": [{
            "status": status,
            "labels": {"alertname": "ERP latency", "service": "erp", "severity": "warning",
                       "grafana_folder": "ERP"},
            "annotations": {"summary": "ERP p95 latency above 2s", "description": "p95 is 3.1s"},
            "startsAt": "2026-12-06T08:15:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://grafana.example/alerting/grafana/abc/view",
            "fingerprint": "9f8e7d6c5b4a3210",
            "silenceURL": "https://grafana.example/alerting/silence/new",
            "dashboardURL": "https://grafana.example/d/erp", "panelURL": "https://grafana.example/d/erp?viewPanel=2",
            "values": {"B": 3.1}, "valueString": "[ var='B' value=3.1 ]",
        }],
    }


def _sign(body: bytes, timestamp: str | None = None, secret: str = HMAC_SECRET) -> dict[str, str]:
    message = body if timestamp is None else timestamp.encode() + b":" + body
    headers = {"X-Grafana-Alerting-Signature": hmac.new(secret.encode(), message, hashlib.sha256).hexdigest(),
               "Content-Type": "application/json"}
    if timestamp is not None:
        headers["X-Grafana-Alerting-Timestamp"] = timestamp
    return headers


async def test_grafana_hmac_signatures(alerts: httpx.AsyncClient, alert_runtime: Runtime) -> None:
    body = json.dumps(grafana_payload()).encode()
    now = str(int(time.time()))
    ok = [_sign(body), _sign(body, now), BEARER]
    for headers in ok:
        r = await alerts.post("/webhooks/alerts/grafana", content=body, headers=headers)
        assert r.status_code == 200, (headers, r.text)
    bad = [
        _sign(body, secret="other-secret"),
        _sign(body + b" "),  # signed something else
        # a timestamp other than the signed one
        {**_sign(body, now), "X-Grafana-Alerting-Timestamp": str(int(now) + 1)},
        _sign(body, str(int(time.time()) - 3600)),  # an old capture replayed
        # the timestamp stripped
        {k: v for k, v in _sign(body, now).items() if k != "X-Grafana-Alerting-Timestamp"},
        {"X-Grafana-Alerting-Signature": "zz"},
    ]
    for headers in bad:
        r = await alerts.post("/webhooks/alerts/grafana", content=body, headers=headers)
        assert r.status_code == 401, headers
    # the HMAC opens the Grafana receiver only
    r = await alerts.post("/webhooks/alerts/alertmanager", content=body, headers=_sign(body))
    assert r.status_code == 401
    await settle(alert_runtime)
    [ticket] = _tickets(alert_runtime)
    assert ticket.title == "ERP p95 latency above 2s" and ticket.service == "erp"
    assert "dashboardURL: https://grafana.example/d/erp" in ticket.description
    info = alert_runtime.tickets.get_alert("grafana:9f8e7d6c5b4a3210")
    assert info is not None and info.seen_count == 3


async def test_grafana_hmac_is_refused_when_no_secret_is_configured(settings_factory: Any) -> None:
    rt = build_runtime(settings_factory(alerts_token=TOKEN), env={})
    try:
        app = create_app(rt, manage_runtime=False)
        body = json.dumps(grafana_payload()).encode()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.post("/webhooks/alerts/grafana", content=body, headers=_sign(body))
            assert r.status_code == 401
    finally:
        rt.close()


async def test_generic_schema_single_and_list_with_status_words(
    alerts: httpx.AsyncClient, alert_runtime: Runtime
) -> None:
    one = {"id": "web01/HTTP", "status": "PROBLEM", "title": "HTTP on web01 is CRITICAL",
           "description": "Connection refused", "severity": "critical", "host": "web01",
           "links": {"dashboard": "https://nagios.example/web01"}}
    r = await alerts.post("/webhooks/alerts/generic", json=one, headers=BEARER)
    assert r.status_code == 200 and r.json() == {"accepted": 1}
    many = {"alerts": [{"id": "zbx-42", "status": "firing", "title": "Disk full on files01",
                        "service": "fileshare", "severity": "high", "labels": {"alertname": "DiskFull"}}]}
    assert (await alerts.post("/webhooks/alerts/generic", json=many, headers=BEARER)).status_code == 200
    await settle(alert_runtime)
    tickets = {t.title: t for t in _tickets(alert_runtime)}
    web = tickets["HTTP on web01 is CRITICAL"]
    assert web.service == "web01" and web.priority == "P1"  # host is the instance label: the service
    disk = tickets["Disk full on files01"]
    assert disk.category == "hardware" and disk.service == "fileshare" and disk.priority == "P2"
    ok = {"id": "web01/HTTP", "status": "OK"}  # a recovery needs no title
    assert (await alerts.post("/webhooks/alerts/generic", json=ok, headers=BEARER)).status_code == 200
    await settle(alert_runtime)
    assert alert_runtime.tickets.get(web.reference).status == "resolved"  # type: ignore[union-attr]


async def test_a_redelivered_inbox_message_is_applied_once(alert_runtime: Runtime) -> None:
    """The same inbox message processed twice (a crash after the ticket write, before the inbox row was
    marked processed): the handler runs again and changes nothing."""
    from atende.alerts.payloads import alertmanager
    from atende.alerts.routes import message_for

    [alert] = alertmanager(json.dumps(am_payload(am_alert("dup"))).encode())
    message = message_for(alert_runtime.alerts, alert)
    await alert_runtime.alerts.handle(message)
    await alert_runtime.alerts.handle(message)
    assert len(_tickets(alert_runtime)) == 1
    info = alert_runtime.tickets.get_alert("alertmanager:dup")
    assert info is not None and info.seen_count == 1
    # and through the Inbox: recording the same message twice is one row
    assert await alert_runtime.inbox.receive(message) is True
    assert await alert_runtime.inbox.receive(message) is False
    await settle(alert_runtime)
    assert alert_runtime.tickets.get_alert("alertmanager:dup").seen_count == 1  # type: ignore[union-attr]
