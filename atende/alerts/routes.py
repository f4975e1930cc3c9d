"""The receivers: ``POST /webhooks/alerts/alertmanager``, ``/grafana`` and ``/generic``.

Each request is authenticated first (401, nothing read further, nothing stored), then parsed; a payload
that cannot be understood gets a 400 with the reason and is kept in ``alert_rejections`` (its SHA-256 and
first 4 KiB) and logged with the digest. Each alert is then recorded in the Inbox (durably, before the 200)
as one message of channel ``alert``; the Dispatcher applies it (processor.py). Mounted only when
``ATENDE_ALERTS_TOKEN`` is set: otherwise these paths are 404.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from atende.alerts import payloads
from atende.alerts.auth import grafana_signature_ok, token_ok
from atende.alerts.payloads import AlertIn, PayloadError
from dialog.messages import Identity, InboundMessage
from ticket_core import ALERT_CHANNEL

if TYPE_CHECKING:
    from atende.alerts.processor import AlertProcessor
    from atende.runtime import Runtime

log = logging.getLogger(__name__)

_UNAUTHORIZED = {"detail": "missing or invalid credentials"}


def router(runtime: Runtime, processor: AlertProcessor) -> APIRouter:
    settings = runtime.settings
    token = settings.alerts_token
    assert token, "the alert receivers are mounted only with ATENDE_ALERTS_TOKEN set"
    r = APIRouter(prefix="/webhooks/alerts", tags=["alerts"])

    def refused() -> JSONResponse:
        return JSONResponse(_UNAUTHORIZED, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @r.post("/alertmanager")
    async def alertmanager(request: Request) -> JSONResponse:
        if not token_ok(request.headers, token):
            return refused()
        return await _accept(runtime, processor, "alertmanager", await request.body(), payloads.alertmanager)

    @r.post("/grafana")
    async def grafana(request: Request) -> JSONResponse:
        if token_ok(request.headers, token):
            return await _accept(runtime, processor, "grafana", await request.body(), payloads.grafana)
        secret = settings.grafana_hmac_secret
        if not secret or not request.headers.get(settings.grafana_hmac_signature_header):
            return refused()
        body = await request.body()
        if not grafana_signature_ok(request.headers, body, secret, settings.grafana_hmac_signature_header,
                                    settings.grafana_hmac_timestamp_header):
            return refused()
        return await _accept(runtime, processor, "grafana", body, payloads.grafana)

    @r.post("/generic")
    async def generic(request: Request) -> JSONResponse:
        if not token_ok(request.headers, token):
            return refused()
        return await _accept(runtime, processor, "generic", await request.body(), payloads.generic)

    return r


async def _accept(runtime: Runtime, processor: AlertProcessor, source: str, body: bytes,
                  parse: Callable[[bytes], list[AlertIn]]) -> JSONResponse:
    try:
        alerts = parse(body)
    except PayloadError as exc:
        digest = await asyncio.to_thread(runtime.tickets.record_alert_rejection, source, str(exc), body)
        log.warning("alert payload from %s rejected: %s (sha256 %s, %d bytes)", source, exc, digest,
                    len(body))
        return JSONResponse({"detail": str(exc), "sha256": digest}, status_code=400)
    for alert in alerts:
        await runtime.inbox.receive(message_for(processor, alert))
    return JSONResponse({"accepted": len(alerts)})


def message_for(processor: AlertProcessor, alert: AlertIn) -> InboundMessage:
    """One inbox message per alert. Its id is new for every delivery: a repeat, a resend and an HA twin
    are each recorded and counted ("seen again") by the processor, never filed twice."""
    summary = alert.annotations.get("summary") or alert.labels.get("alertname") or alert.fingerprint
    return InboundMessage(
        channel=ALERT_CHANNEL,
        conversation_key=processor.conversation_key(alert),
        sender=Identity(ALERT_CHANNEL, alert.source, display_name=alert.source),
        text=f"[{alert.status}] {summary}"[:1000],
        provider_message_id=f"{alert.source}-{uuid.uuid4().hex}",
        extras={"alert": alert.to_json()},
    )
