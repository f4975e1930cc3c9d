"""Web-chat sessions are issued by the server and bound to the browser that started them (issue 8, high:
destructive polling; issue 11 §3). Pushed messages stay readable by their owner until acknowledged."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from atende.runtime import Runtime
from tests.atende.conftest import Chat, browser

COOKIE = "atende_session"


async def _agent_reply(client: httpx.AsyncClient, headers: dict[str, str], ref: str, text: str) -> None:
    r = await client.post(f"/api/tickets/{ref}/replies", json={"text": text}, headers=headers)
    assert r.status_code == 201 and r.json()["delivered"] is True


async def test_a_message_without_session_starts_a_conversation_with_a_server_issued_id(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/api/chat/messages", json={"text": "Hola, no puedo imprimir"})
    assert r.status_code == 200, r.text
    session = r.json()["session"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,128}", session)
    assert r.json()["replies"]
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here: see the https test below
    again = await client.post("/api/chat/messages", json={"text": "Hola otra vez"})
    assert again.json()["session"] == session  # the cookie alone continues the conversation


async def test_two_browsers_get_different_sessions(app: FastAPI) -> None:
    ids = set()
    for _ in range(2):
        async with browser(app) as c:
            ids.add((await c.post("/api/chat/messages", json={"text": "hello"})).json()["session"])
    assert len(ids) == 2


async def test_a_made_up_session_id_is_403_and_stores_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    made_up = "made-up-session-aaaaaaaaaaaaaaaaaaaaaaaaa"
    r = await client.post("/api/chat/messages", json={"session": made_up, "text": "status"})
    assert r.status_code == 403
    assert (await client.get(f"/api/chat/messages?session={made_up}")).status_code == 403
    assert (await client.get(f"/api/chat/history?session={made_up}")).status_code == 403
    assert runtime.conv_store.inbox_count() == 0


async def test_another_users_session_id_never_reads_or_writes_that_conversation(
    chat: Chat, other_chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str], runtime: Runtime
) -> None:
    ref = await chat.report("No puedo entrar en el correo, dice que la contraseña es incorrecta")
    assert ref
    await _agent_reply(client, agent_headers, ref, "Tu contraseña temporal es Xy-123")
    await other_chat.say("hola")  # the attacker has a valid session (and cookie) of their own
    victim = chat.session
    inbox_before = runtime.conv_store.inbox_count(f"web:{victim}")
    for attacker in (other_chat.client, client):  # with another session's cookie, and with no cookie
        r = await attacker.get(f"/api/chat/messages?session={victim}")
        assert r.status_code == 403 and "Xy-123" not in r.text
        r = await attacker.get(f"/api/chat/history?session={victim}")
        assert r.status_code == 403 and "Xy-123" not in r.text
        r = await attacker.post("/api/chat/messages", json={"session": victim, "text": "status"})
        assert r.status_code == 403 and ref not in r.text
    assert runtime.conv_store.inbox_count(f"web:{victim}") == inbox_before
    pushed = await chat.pushed()
    assert any("Xy-123" in p["text"] for p in pushed["replies"])  # the owner still gets it


async def test_pushed_messages_stay_readable_until_acknowledged(
    chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    ref = await chat.report("La VPN se desconecta cada diez minutos desde ayer")
    assert ref
    await _agent_reply(client, agent_headers, ref, "Reinstala el cliente VPN")
    first = await chat.pushed()
    second = await chat.pushed()  # a read (a lost response, a second tab) takes nothing away
    assert first == second
    assert any("Reinstala el cliente VPN" in p["text"] for p in first["replies"])
    assert (await chat.pushed(after=first["cursor"]))["replies"] == []
    await _agent_reply(client, agent_headers, ref, "¿Funciona ya?")
    later = await chat.pushed(after=first["cursor"])
    assert [p["text"] for p in later["replies"]] and "¿Funciona ya?" in later["replies"][-1]["text"]
    assert all("Reinstala" not in p["text"] for p in later["replies"])


async def test_cookie_is_secure_when_the_public_url_is_https(settings_factory: Any) -> None:
    from atende.app import create_app
    from atende.runtime import build_runtime

    rt = build_runtime(settings_factory(public_url="https://desk.example.test"), env={})
    application = create_app(rt)
    try:
        async with application.router.lifespan_context(application), browser(application) as c:
            r = await c.post("/api/chat/messages", json={"text": "hello"})
            assert r.status_code == 200
            assert "secure" in r.headers["set-cookie"].lower()
    finally:
        rt.close()


def test_the_page_never_makes_up_a_session_id() -> None:
    scripts = [p.read_text() for p in Path("connectors/web/static").glob("*.js")]
    assert scripts
    for js in scripts:
        assert "Math.random" not in js and "Date.now" not in js and "randomUUID" not in js


async def test_history_returns_the_conversation_in_order_with_agent_names_and_times(
    chat: Chat, client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    ref = await chat.report("My laptop cannot connect to the VPN since this morning, error 809")
    assert ref
    r = await client.post(f"/api/tickets/{ref}/replies", json={"text": "Reinstalled it", "author": "Marta"},
                          headers=agent_headers)
    assert r.status_code == 201
    got = (await chat.client.get("/api/chat/history")).json()  # the cookie alone is enough
    assert got["session"] == chat.session and got["language"] == "en"
    msgs = got["messages"]
    assert msgs[0]["role"] == "user" and "VPN" in msgs[0]["text"]
    assert [m["id"] for m in msgs] == sorted(m["id"] for m in msgs)
    assert all(m["at"] for m in msgs)
    picked = [m for m in msgs if m["role"] == "user" and m["option"]]
    assert picked and all(not m["text"].startswith("[") for m in picked)  # the label the user saw
    assert msgs[-1]["role"] == "push" and msgs[-1]["author"] == "Marta"
    assert "Reinstalled it" in msgs[-1]["text"]
    assert any(m["ticket"] == ref for m in msgs if m["role"] == "bot")
    assert got["cursor"] == msgs[-1]["id"]


async def test_a_first_visit_has_an_empty_history(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/chat/history")
    assert r.status_code == 200 and r.json()["messages"] == []


async def test_a_made_up_cookie_is_no_session(client: httpx.AsyncClient, runtime: Runtime) -> None:
    client.cookies.set(COOKIE, "x" * 43 + "." + "y" * 43)
    assert (await client.get("/api/chat/messages")).status_code == 403
    r = await client.post("/api/chat/messages", json={"text": "hello"})
    assert r.status_code == 200 and not r.json()["session"].startswith("xxxx")  # a new session instead


async def test_a_message_id_reused_by_another_user_never_returns_the_first_users_replies(
    chat: Chat, other_chat: Chat
) -> None:
    """Issue 8 (high): V asks "status" with message_id 1, then A sends "hi" with message_id 1."""
    ref = await chat.report("No puedo entrar en el correo, dice que la contraseña es incorrecta")
    assert ref
    victim = await chat.say("status", message_id="1")
    assert any(ref in r["text"] for r in victim)
    mine = await other_chat.say("hi", message_id="1")
    assert mine and all(ref not in r["text"] for r in mine)
    assert mine != victim
