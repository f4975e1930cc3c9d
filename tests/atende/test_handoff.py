"""Handoff to a person over HTTP, with the real web chat: the user asks for a human, the ticket shows in
GET /api/handoffs and on the desk's SSE feed, an agent takes it, the bot goes silent while the user's
messages reach the ticket and the feed, the agent's words reach the user, the hand-back, the timeout notice
told once, conflicts between agents, and the bearer token on every route."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from atende import handoff
from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from tests.atende.conftest import Chat, browser

PROBLEM = "No me llegan los correos en el móvil desde esta mañana"
MARTA = {"X-Atende-Agent": "agent:marta"}
JOAO = {"X-Atende-Agent": "agent:joao"}


class Feed:
    """The desk's event stream as a reader sees it: parsed SSE events, waited for with a timeout."""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self.lines = lines
        self.seen: list[dict[str, Any]] = []
        self.ids: list[int] = []

    async def until(self, found: Callable[[dict[str, Any]], bool], timeout: float = 5.0) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            event: dict[str, str] = {}
            async for line in self.lines:
                if line.startswith(":"):
                    continue
                if line:
                    name, _, value = line.partition(": ")
                    event[name] = value
                    continue
                if "data" in event:
                    data: dict[str, Any] = json.loads(event["data"])
                    assert int(event["id"]) == data["id"]
                    self.ids.append(data["id"])
                    self.seen.append(data)
                    if found(data):
                        return data
                event = {}
            raise AssertionError("stream ended")

        return await asyncio.wait_for(read(), timeout)

    async def kind(self, kind: str, ref: str, timeout: float = 5.0, **payload: Any) -> dict[str, Any]:
        return await self.until(lambda e: e["kind"] == kind and e["reference"] == ref and all(
            e["payload"].get(k) == v for k, v in payload.items()), timeout)


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies)


async def pushed_texts(user: Chat) -> str:
    got = await user.pushed()
    await user.pushed(after=got["cursor"])  # acknowledged: the next read shows only what is new
    return texts(got["replies"])


async def test_handoff_end_to_end(served: tuple[str, Runtime]) -> None:
    base, runtime = served
    token = {"Authorization": f"Bearer {runtime.api_token}"}
    marta = {**token, **MARTA}
    async with httpx.AsyncClient(base_url=base, timeout=15) as page, \
            httpx.AsyncClient(base_url=base, timeout=15) as desk:
        user = Chat(page)
        async with desk.stream("GET", "/api/events", headers=token) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            feed = Feed(stream.aiter_lines())
            ref = await user.report(PROBLEM)
            assert ref
            await feed.kind("created", ref)
            await user.say("quiero hablar con una persona")
            assert "He pedido a una persona del equipo" in texts(user.last)
            await feed.kind("human_requested", ref)
            said = await feed.kind("message_out", ref)  # the bot's answer is on the ticket, and live
            assert "He pedido a una persona" in said["payload"]["text"]

            listed = (await desk.get("/api/handoffs", headers=token)).json()
            assert [h["reference"] for h in listed["waiting"]] == [ref] and listed["live"] == []
            assert listed["waiting"][0]["channel"] == "web" and listed["waiting"][0]["timed_out"] is False

            r = await desk.post(f"/api/tickets/{ref}/handoff/take", json={"name": "Marta"}, headers=marta)
            assert r.status_code == 200, r.text
            assert r.json()["delivered"] is True and r.json()["handoff"]["agent_name"] == "Marta"
            assert "Marta, del centro de soporte, se ha unido a la conversación" in await pushed_texts(user)
            taken = await feed.kind("handoff_taken", ref)
            assert taken["actor"] == "agent:marta" and taken["topic"] == "handoff"

            # The bot is silent, whatever the user writes; each message is on the ticket and the feed.
            for line in ("sigue sin funcionar", "ayuda", "estado", "cancelar", "hablar con una persona"):
                assert await user.say(line) == [], line
                await feed.kind("message_in", ref, text=line)
            assert await user.pick("cmd:new") == []
            assert (await user.pushed())["replies"] == []

            r = await desk.post(f"/api/tickets/{ref}/replies", json={"text": "¿Puedes reiniciar el móvil?",
                                                                     "author": "Marta"}, headers=marta)
            assert r.json()["delivered"] is True
            assert await pushed_texts(user) == "¿Puedes reiniciar el móvil?"
            await feed.kind("agent_reply", ref, text="¿Puedes reiniciar el móvil?")
            assert await user.say("ya está, gracias") == []
            await feed.kind("message_in", ref, text="ya está, gracias")

            live = (await desk.get("/api/handoffs?status=live", headers=token)).json()
            assert list(live) == ["live"] and live["live"][0]["agent"] == "agent:marta"
            ticket = (await desk.get(f"/api/tickets/{ref}", headers=token)).json()
            assert ticket["assignee"] == "agent:marta" and ticket["needs_human"] is False

            r = await desk.post(f"/api/tickets/{ref}/handoff/release", headers=marta)
            assert r.status_code == 200 and r.json()["delivered"] is True
            assert "Vuelves a hablar con el asistente" in await pushed_texts(user)
            released = await feed.kind("handoff_released", ref)
            assert released["actor"] == "agent:marta"
            assert await user.say("gracias")  # the bot answers again
            assert (await desk.get("/api/handoffs", headers=token)).json() == {"waiting": [], "live": []}
        # Everything the feed delivered came in id order, once.
        assert feed.ids == sorted(set(feed.ids))


async def test_the_feed_resumes_after_last_event_id(served: tuple[str, Runtime]) -> None:
    base, runtime = served
    token = {"Authorization": f"Bearer {runtime.api_token}"}
    async with httpx.AsyncClient(base_url=base, timeout=15) as page, \
            httpx.AsyncClient(base_url=base, timeout=15) as desk:
        user = Chat(page)
        async with desk.stream("GET", "/api/events", headers=token) as stream:
            feed = Feed(stream.aiter_lines())
            ref = await user.report(PROBLEM)
            assert ref
            created = await feed.kind("created", ref)
        # Disconnected: the desk acts meanwhile.
        await desk.post(f"/api/tickets/{ref}/replies", json={"text": "Primera"}, headers=token)
        await desk.post(f"/api/tickets/{ref}/replies", json={"text": "Segunda"}, headers=token)
        headers = {**token, "Last-Event-ID": str(created["id"])}
        async with desk.stream("GET", "/api/events", headers=headers) as stream:
            resumed = Feed(stream.aiter_lines())
            await resumed.kind("agent_reply", ref, text="Segunda")
        assert resumed.ids[0] == created["id"] + 1  # nothing lost, nothing repeated
        assert resumed.ids == sorted(set(resumed.ids))
        replies = [e["payload"]["text"] for e in resumed.seen if e["kind"] == "agent_reply"]
        assert replies == ["Primera", "Segunda"]
        # ?after= works the same for clients that cannot set headers.
        async with desk.stream("GET", f"/api/events?after={created['id']}", headers=token) as stream:
            again = Feed(stream.aiter_lines())
            await again.kind("agent_reply", ref, text="Segunda")
        assert again.ids == resumed.ids[: len(again.ids)]


@contextlib.asynccontextmanager
async def filed_with_human(app: FastAPI) -> AsyncIterator[tuple[Chat, str]]:
    async with browser(app) as page:
        user = Chat(page)
        ref = await user.report(PROBLEM)
        assert ref
        await user.say("quiero hablar con una persona")
        yield user, ref


async def test_taking_a_ticket_another_agent_has_is_409_unless_forced(
        app: FastAPI, client: httpx.AsyncClient, agent_headers: dict[str, str]) -> None:
    async with filed_with_human(app) as (user, ref):
        marta, joao = {**agent_headers, **MARTA}, {**agent_headers, **JOAO}
        take = f"/api/tickets/{ref}/handoff/take"
        assert (await client.post(take, json={"name": "Marta"}, headers=marta)).status_code == 200
        assert (await client.post(take, json={"name": "Marta"}, headers=marta)).status_code == 200  # hers
        r = await client.post(take, json={"name": "João"}, headers=joao)
        assert r.status_code == 409 and "Marta" in r.json()["detail"]
        r = await client.post(take, json={"name": "João", "force": True}, headers=joao)
        assert r.status_code == 200
        pushes = await pushed_texts(user)
        assert pushes.count("se ha unido") == 2 and "João" in pushes  # once per agent, not per click
        assert (await client.post(take, headers=marta)).status_code == 409
        log = (await client.get(f"/api/tickets/{ref}", headers=agent_headers)).json()["events"]
        taken = [e for e in log if e["kind"] == "handoff_taken"]
        assert [(e["actor"], e["payload"]["forced"]) for e in taken] == [("agent:marta", False),
                                                                          ("agent:joao", True)]
        release = f"/api/tickets/{ref}/handoff/release"
        assert (await client.post(release, headers=joao)).status_code == 200
        assert (await client.post(release, headers=joao)).status_code == 409  # nothing left to end
        for action in ("take", "release"):
            r = await client.post(f"/api/tickets/INC-999999/handoff/{action}", headers=marta)
            assert r.status_code == 404


async def test_a_waiting_handoff_nobody_takes_is_told_once(
        app: FastAPI, runtime: Runtime, client: httpx.AsyncClient, agent_headers: dict[str, str]) -> None:
    async with filed_with_human(app) as (user, ref):
        now = datetime.now(UTC)
        assert await handoff.expire(runtime, now + timedelta(minutes=9)) == []  # default: 10 minutes
        assert await handoff.expire(runtime, now + timedelta(minutes=11)) == [ref]
        assert await handoff.expire(runtime, now + timedelta(minutes=30)) == []
        await runtime.dispatcher.join()
        told = await pushed_texts(user)
        assert told.count("Ahora mismo no hay nadie del equipo libre") == 1
        assert f"Te responderán en tu ticket {ref}" in told and "de lunes a viernes" in told
        log = (await client.get(f"/api/tickets/{ref}", headers=agent_headers)).json()["events"]
        assert [e["actor"] for e in log if e["kind"] == "handoff_timed_out"] == ["system"]
        waiting = (await client.get("/api/handoffs", headers=agent_headers)).json()["waiting"]
        assert waiting[0]["reference"] == ref and waiting[0]["timed_out"] is True
        # Still in the inbox: an agent may take it later, and the bot still answers until then.
        assert await user.say("gracias")


async def test_desk_hours_setting_per_language(settings_factory: Any) -> None:
    runtime = build_runtime(settings_factory(desk_hours='{"es": "L-V de 8 a 17", "en": "Mon-Fri 8-17"}'),
                            env={})
    application = create_app(runtime)
    try:
        async with application.router.lifespan_context(application), \
                filed_with_human(application) as (user, ref):
            assert await handoff.expire(runtime, datetime.now(UTC) + timedelta(hours=1)) == [ref]
            await runtime.dispatcher.join()
            assert "Horario del centro de soporte: L-V de 8 a 17." in await pushed_texts(user)
    finally:
        runtime.close()


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/tickets/INC-000001/handoff/take"),
    ("POST", "/api/tickets/INC-000001/handoff/release"),
    ("GET", "/api/handoffs"),
    ("GET", "/api/events"),
])
async def test_every_desk_route_needs_the_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    assert (await client.request(method, path)).status_code == 401
    forged = {"Authorization": "Bearer not-the-token", "X-Atende-Agent": "agent:marta"}
    assert (await client.request(method, path, headers=forged)).status_code == 403
    # The chat user's session cookie is no credential here.
    assert (await client.request(method, path, headers={"Cookie": "atende_session=abc"})).status_code == 401


async def test_two_agents_taking_at_once_one_wins(
        app: FastAPI, client: httpx.AsyncClient, agent_headers: dict[str, str]) -> None:
    async with filed_with_human(app) as (user, ref):
        take = f"/api/tickets/{ref}/handoff/take"
        names = ("ana", "bea", "caio", "dora")
        results = await asyncio.gather(*(
            client.post(take, json={"name": n}, headers={**agent_headers, "X-Atende-Agent": f"agent:{n}"})
            for n in names))
        assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
        log = (await client.get(f"/api/tickets/{ref}", headers=agent_headers)).json()["events"]
        assert len([e for e in log if e["kind"] == "handoff_taken"]) == 1
        assert (await pushed_texts(user)).count("se ha unido") == 1


async def test_two_processes_checking_timeouts_at_once_tell_once(runtime: Runtime, app: FastAPI) -> None:
    async with filed_with_human(app) as (user, ref):
        later = datetime.now(UTC) + timedelta(minutes=11)
        told = await asyncio.gather(*(handoff.expire(runtime, later) for _ in range(3)))
        assert sorted(ref for refs in told for ref in refs) == [ref]
        await runtime.dispatcher.join()
        assert (await pushed_texts(user)).count("Ahora mismo no hay nadie del equipo libre") == 1


async def test_say_is_a_live_chat_message(app: FastAPI, runtime: Runtime) -> None:
    async with filed_with_human(app) as (user, ref):
        await handoff.take(runtime, ref, "agent:marta", "Marta")
        await pushed_texts(user)
        assert await handoff.say(runtime, ref, "agent:marta", "Hola, soy Marta.", "Marta") is True
        assert await pushed_texts(user) == "Hola, soy Marta."
        assert [h.reference for h in await handoff.live(runtime)] == [ref]
        assert await handoff.waiting(runtime) == []
        await handoff.release(runtime, ref, "agent:marta", "Marta")
        assert await handoff.live(runtime) == []


async def test_a_ticket_from_a_phone_call_cannot_be_chatted_on(
        runtime: Runtime, client: httpx.AsyncClient, agent_headers: dict[str, str]) -> None:
    from tests.ticket_core.conftest import new_ticket

    call = runtime.tickets.create_ticket(new_ticket(channel="voice", address="+34600000000",
                                                    conversation_key="voice:+34600000000"))
    runtime.tickets.flag_human(call.reference, "requester")
    r = await client.post(f"/api/tickets/{call.reference}/handoff/take", headers=agent_headers)
    assert r.status_code == 409 and "voice" in r.json()["detail"]
    assert [h.reference for h in await handoff.waiting(runtime)] == [call.reference]  # still listed


async def test_the_runtime_checks_timeouts_by_itself(settings_factory: Any) -> None:
    runtime = build_runtime(settings_factory(handoff_timeout_minutes=0.02), env={})  # 1.2 s; checked every 5
    application = create_app(runtime)
    try:
        async with application.router.lifespan_context(application), \
                filed_with_human(application) as (user, ref):
            told = ""
            for _ in range(150):
                told += await pushed_texts(user)
                if "Ahora mismo no hay nadie del equipo libre" in told:
                    break
                await asyncio.sleep(0.1)
            assert f"Te responderán en tu ticket {ref}" in told
    finally:
        runtime.close()


async def test_a_resolution_ends_the_handoff_for_good(
        app: FastAPI, client: httpx.AsyncClient, agent_headers: dict[str, str]) -> None:
    async with filed_with_human(app) as (user, ref):
        marta = {**agent_headers, **MARTA}
        assert (await client.post(f"/api/tickets/{ref}/handoff/take", headers=marta)).status_code == 200
        r = await client.patch(f"/api/tickets/{ref}", json={"status": "resolved"}, headers=marta)
        assert r.status_code == 200, r.text
        assert await user.pick("csat:5")  # the bot is back: it asks for (and takes) the rating
        r = await client.patch(f"/api/tickets/{ref}", json={"status": "open"}, headers=marta)
        assert r.status_code == 200, r.text
        listed = (await client.get("/api/handoffs", headers=agent_headers)).json()
        assert listed == {"waiting": [], "live": []}
        assert (await client.post(f"/api/tickets/{ref}/handoff/release", headers=marta)).status_code == 409
        assert (await client.post(f"/api/tickets/{ref}/handoff/take", headers=marta)).status_code == 200
