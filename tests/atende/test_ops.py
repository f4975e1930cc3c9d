"""Operators' routes on the real app: /healthz, /readyz (real database, real Redis) and /metrics."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from dialog.messages import Identity, InboundMessage
from tests.atende.conftest import Chat
from tests.connectors.telegram.fake_telegram import TOKEN, FakeTelegram
from tests.services import RedisServer, free_port, start_postgres

AGENT = {"Authorization": "Bearer agent-token-for-tests"}
TELEGRAM_SECRET = "telegram-secret-for-ops-tests"


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """{sorted label pairs: value} of every sample called ``name`` in a Prometheus exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name:
                out[tuple(sorted(s.labels.items()))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text, name).get(tuple(sorted(labels.items())))


@asynccontextmanager
async def serving(runtime: Runtime, **kw: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime, **kw)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://atende.test") as c,
    ):
        yield c


async def scrape(client: httpx.AsyncClient) -> str:
    r = await client.get("/metrics", headers=AGENT)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


# --- liveness and readiness -------------------------------------------------------------------------
async def test_healthz_and_readyz_on_a_healthy_instance(client: httpx.AsyncClient) -> None:
    live = await client.get("/healthz")
    assert live.status_code == 200 and live.json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready" and "not_ready" not in body
    assert body["checks"] == {
        "database": "ok",
        "conversation_store": "ok",
        "model:classifier": "ok",
        "model:kb": "ok",
    }
    assert body["models"] == {"classifier": "fallback", "kb": "fallback"}  # the keyword stand-ins serve


async def test_readyz_names_a_database_that_went_away_and_says_nothing_of_why(
    settings_factory: Any,
) -> None:
    pg = start_postgres()  # a private server: this test stops it
    try:
        url = pg.create_database("readyz")
        runtime = build_runtime(settings_factory(database_url=url), env={})
        try:
            async with serving(runtime) as client:
                assert (await client.get("/readyz")).status_code == 200
                pg.stop()
                started = time.monotonic()
                r = await client.get("/readyz")
                assert time.monotonic() - started < 10  # bounded by the check timeout, not hung
                assert (await client.get("/healthz")).status_code == 200  # still alive: no restart wanted
        finally:
            runtime.close()
    finally:
        pg.stop()
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "not ready" and body["not_ready"] == ["database"]
    assert body["checks"]["database"] == "unreachable" and body["checks"]["conversation_store"] == "ok"
    assert "127.0.0.1" not in r.text and "postgres" not in r.text.lower()  # no host, user or driver text


async def test_readyz_checks_redis_only_when_configured(
    settings_factory: Any, redis_server: RedisServer
) -> None:
    rt = build_runtime(settings_factory(redis_url=redis_server.url), env={})
    try:
        async with serving(rt) as client:
            r = await client.get("/readyz")
            assert r.status_code == 200 and r.json()["checks"]["redis"] == "ok"
    finally:
        rt.close()
    dead = build_runtime(settings_factory(redis_url=f"redis://127.0.0.1:{free_port()}/0"), env={})
    try:
        async with serving(dead) as client:
            r = await client.get("/readyz")
            assert r.status_code == 503 and r.json()["not_ready"] == ["redis"]
    finally:
        dead.close()


async def test_readyz_waits_for_the_models_and_accepts_a_fallback(
    settings_factory: Any, tmp_path: Path
) -> None:
    rt = build_runtime(
        settings_factory(use_keyword_standins=False, model_dir=tmp_path / "no-model"), env={}
    )
    try:
        async with serving(rt, load_models=False) as client:
            r = await client.get("/readyz")
            assert r.status_code == 503
            assert r.json()["not_ready"] == ["model:classifier", "model:kb"]
            assert r.json()["models"] == {"classifier": "loading", "kb": "loading"}
            metrics = await scrape(client)
            assert value(metrics, "atende_model_state", model="classifier", atende_model_state="loading") == 1
            await rt.classifier.ready()  # the model is missing: the keyword stand-in takes over
            r = await client.get("/readyz")
            assert r.json()["checks"]["model:classifier"] == "ok"
            assert r.json()["not_ready"] == ["model:kb"]
            metrics = await scrape(client)
            state = samples(metrics, "atende_model_state")
            assert state[(("atende_model_state", "fallback"), ("model", "classifier"))] == 1
            assert state[(("atende_model_state", "loading"), ("model", "classifier"))] == 0
    finally:
        rt.close()


# --- /metrics ---------------------------------------------------------------------------------------
async def test_metrics_needs_a_token(settings_factory: Any) -> None:
    rt = build_runtime(settings_factory(metrics_token="prometheus-scrape-token"), env={})
    try:
        async with serving(rt) as client:
            assert (await client.get("/metrics")).status_code == 401
            wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 403
            basic = await client.get("/metrics", headers={"Authorization": "Basic prometheus-scrape-token"})
            assert basic.status_code == 401
            ok = await client.get("/metrics", headers={"Authorization": "Bearer prometheus-scrape-token"})
            assert ok.status_code == 200 and "atende_messages_in" in ok.text
            assert (await client.get("/metrics", headers=AGENT)).status_code == 200
            # The metrics token reads metrics only, never tickets.
            tickets = await client.get(
                "/api/tickets", headers={"Authorization": "Bearer prometheus-scrape-token"}
            )
            assert tickets.status_code == 403
    finally:
        rt.close()


async def test_a_conversation_shows_in_the_metrics(client: httpx.AsyncClient, chat: Chat) -> None:
    ref = await chat.report("No puedo imprimir en la impresora del tercer piso, sale un error de papel")
    assert ref
    text = await scrape(client)
    in_web = value(text, "atende_messages_in_total", channel="web")
    processed = value(text, "atende_processing_seconds_count", channel="web")
    assert in_web is not None and in_web >= 3
    assert processed == in_web  # every accepted message was processed and timed
    filed = samples(text, "atende_tickets_filed_total")
    assert sum(filed.values()) == 1 and all(dict(k)["channel"] == "web" for k in filed)
    assert value(text, "atende_model_state", model="kb", atende_model_state="fallback") == 1
    assert value(text, "atende_stream_lag", shard="0") is not None


async def test_backlog_counts_messages_received_and_not_processed(runtime: Runtime) -> None:
    async with serving(runtime) as client:
        before = value(await scrape(client), "atende_stream_pending", shard="0")
        msg = InboundMessage(
            channel="web",
            conversation_key="web:backlog-aaaaaaaaaaaaaaaa",
            sender=Identity(channel="web", native_id="backlog-aaaaaaaaaaaaaaaa"),
            text="my screen is black",
            provider_message_id="m-1",
        )
        # Recorded as a crashed process would have left it: in the inbox, not yet dispatched.
        assert await runtime.conv_store.record_inbound(msg)
        text = await scrape(client)
        assert value(text, "atende_stream_pending", shard="0") == (before or 0) + 1
        assert value(text, "atende_stream_lag", shard="0") == (before or 0) + 1
        runtime.dispatcher.kick(msg.conversation_key)
        await runtime.dispatcher.join(30)
        assert value(await scrape(client), "atende_stream_pending", shard="0") == before


async def test_duplicates_are_not_counted_twice(client: httpx.AsyncClient, chat: Chat) -> None:
    await chat.say("Hola, mi correo no sincroniza", message_id="dup-1")
    await chat.say("Hola, mi correo no sincroniza", message_id="dup-1")
    assert value(await scrape(client), "atende_messages_in_total", channel="web") == 1


async def test_two_apps_in_one_process_count_apart(settings_factory: Any, tmp_path: Path) -> None:
    a = build_runtime(settings_factory(), env={})
    b = build_runtime(settings_factory(data_dir=tmp_path / "other"), env={})
    try:
        async with serving(a) as ca, serving(b) as cb:
            await Chat(ca).say("my VPN drops every hour")
            assert value(await scrape(ca), "atende_messages_in_total", channel="web") == 1
            assert value(await scrape(cb), "atende_messages_in_total", channel="web") is None
    finally:
        a.close()
        b.close()


async def test_failed_deliveries_are_counted_per_channel(settings_factory: Any) -> None:
    """Telegram refuses every sendMessage (the user blocked the bot): the reply to the user's message and
    an agent's push both fail, and both are counted."""
    async with FakeTelegram() as fake:
        env = {
            "ATENDE_TELEGRAM_TOKEN": TOKEN,
            "ATENDE_TELEGRAM_SECRET": TELEGRAM_SECRET,
            "ATENDE_TELEGRAM_API_BASE": fake.base_url,
        }
        rt = build_runtime(settings_factory(), env=env)
        try:
            connector = next(m for m in rt.mounted if m.name == "telegram").outbound
            connector.retry_attempts = 1  # type: ignore[union-attr]
            fake.fail("sendMessage", 403, times=100, description="Forbidden: bot was blocked by the user")
            async with serving(rt) as client:
                update = {
                    "update_id": 1,
                    "message": {
                        "message_id": 7,
                        "date": int(time.time()),
                        "chat": {"id": 555, "type": "private"},
                        "from": {"id": 555, "is_bot": False, "first_name": "Ana"},
                        "text": "The office printer is jammed",
                    },
                }
                r = await client.post(
                    "/webhooks/telegram",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
                )
                assert r.status_code == 200, r.text
                await rt.dispatcher.join(30)
                text = await scrape(client)
                assert value(text, "atende_messages_in_total", channel="telegram") == 1
                assert value(text, "atende_deliveries_failed_total", channel="telegram") == 1

                from ticket_core.domain import NewTicket, RequesterIdentity

                ticket = rt.tickets.create_ticket(
                    NewTicket(
                        title="Printer jammed",
                        description="The office printer is jammed",
                        category="printing",
                        type="incident",
                        impact="individual",
                        urgency="medium",
                        channel="telegram",
                        requester=RequesterIdentity(channel="telegram", address="555"),
                        conversation_key="telegram:555",
                    )
                )
                r = await client.post(
                    f"/api/tickets/{ticket.reference}/replies", json={"text": "On my way"}, headers=AGENT
                )
                assert r.status_code == 201 and r.json()["delivered"] is False
                text = await scrape(client)
                assert value(text, "atende_deliveries_failed_total", channel="telegram") == 2
        finally:
            for m in rt.mounted:
                if m.stop is not None:
                    await m.stop()
            rt.close()
