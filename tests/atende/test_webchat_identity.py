"""Signed identity from the host page (issue 11 §3): a verified token links the web user to one requester
(with the name and e-mail the intranet vouches for); a forged, expired or unexpected token is refused."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from connectors.web.sessions import sign_identity, verify_identity

SECRET = "s" * 40


@pytest.fixture()
async def verified_app(settings_factory: Any) -> AsyncIterator[tuple[Any, Runtime]]:
    rt = build_runtime(settings_factory(), env={"ATENDE_WEBCHAT_IDENTITY_SECRET": SECRET})
    app = create_app(rt)
    async with app.router.lifespan_context(app):
        yield app, rt
    rt.close()


def browser(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://atende.test")


def token(sub: str = "u-1", secret: str = SECRET, ttl: float = 600, **claims: Any) -> str:
    return sign_identity(secret, {"sub": sub, "name": "Alice Prado", "email": "Alice@Corp.test",
                                  "exp": int(time.time() + ttl), **claims})


async def report(c: httpx.AsyncClient, text: str, identity: str | None = None) -> str | None:
    body: dict[str, Any] = {"text": text}
    if identity:
        body["identity"] = identity
    r = await c.post("/api/chat/messages", json=body)
    assert r.status_code == 200, r.text
    for _ in range(12):
        replies = r.json()["replies"]
        ref = next((x["ticket"] for x in replies if x["ticket"]), None)
        if ref:
            return str(ref)
        opts = [o["id"] for x in replies for o in x["options"]]
        body = {"option": "kb:no" if "kb:no" in opts else opts[0]} if opts else {"text": "since this morning"}
        r = await c.post("/api/chat/messages", json=body)
    return None


async def test_a_verified_user_is_one_requester_across_sessions(verified_app: tuple[Any, Runtime]) -> None:
    app, rt = verified_app
    async with browser(app) as first:
        ref = await report(first, "My laptop cannot connect to the VPN since this morning", token())
    assert ref
    ticket = rt.tickets.get(ref)
    assert ticket is not None
    requester = str(ticket.requester).lower()
    assert "alice@corp.test" in requester and "alice prado" in requester
    async with browser(app) as second:  # another day, another browser, the same intranet user
        r = await second.post("/api/chat/messages", json={"text": "status", "identity": token()})
        assert ref in " ".join(x["text"] for x in r.json()["replies"])
    async with browser(app) as anonymous:
        r = await anonymous.post("/api/chat/messages", json={"text": "status"})
        assert ref not in " ".join(x["text"] for x in r.json()["replies"])


@pytest.mark.parametrize("bad", [
    token(secret="w" * 40),  # signed with another key
    token(ttl=-5),  # expired
    token()[:-4] + "AAAA",  # tampered signature
    "not-a-token",
])
async def test_a_bad_token_is_refused_and_stores_nothing(verified_app: tuple[Any, Runtime], bad: str) -> None:
    app, rt = verified_app
    async with browser(app) as c:
        r = await c.post("/api/chat/messages", json={"text": "status", "identity": bad})
    assert r.status_code == 403
    assert bad not in r.text
    assert rt.conv_store.inbox_count() == 0
    assert "set-cookie" not in r.headers  # no session was opened either


async def test_a_token_is_refused_where_identity_is_not_configured(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/chat/messages", json={"text": "hi", "identity": token()})
    assert r.status_code == 403 and "ATENDE_WEBCHAT_IDENTITY_SECRET" in r.json()["detail"]


async def test_a_session_cannot_switch_to_another_verified_user(verified_app: tuple[Any, Runtime]) -> None:
    app, _ = verified_app
    async with browser(app) as c:
        first = await c.post("/api/chat/messages", json={"text": "hi", "identity": token("u-1")})
        assert first.status_code == 200
        r = await c.post("/api/chat/messages", json={"text": "status", "identity": token("u-2")})
        assert r.status_code == 403


def test_claims_are_normalised() -> None:
    user = verify_identity(SECRET, token())
    assert user.user_id == "u-1" and user.email == "alice@corp.test" and user.name == "Alice Prado"


async def test_typed_contact_details_are_unverified_and_never_link(
    verified_app: tuple[Any, Runtime]
) -> None:
    app, rt = verified_app
    async with browser(app) as alice:  # the real Alice, verified by her intranet
        ref = await report(alice, "My laptop cannot connect to the VPN since this morning", token())
    assert ref
    async with browser(app) as mallory:  # types Alice's address without proving it
        r = await mallory.post("/api/chat/contact", json={"name": "Alice Prado", "email": "alice@corp.test"})
        assert r.status_code == 200 and r.json()["contact"] == {
            "name": "Alice Prado", "email": "alice@corp.test", "verified": False, "code_sent": False}
        history = (await mallory.get("/api/chat/history")).json()
        assert history["contact"]["verified"] is False
        r = await mallory.post("/api/chat/messages", json={"text": "status"})
        assert ref not in " ".join(x["text"] for x in r.json()["replies"])
        theirs = await report(mallory, "The printer on floor 2 prints blank pages")
    assert theirs
    ticket = rt.tickets.get(theirs)
    assert ticket is not None
    requester = to_dict(ticket.requester)
    assert requester.get("email") in (None, "")  # never stored as the requester's (linking) e-mail
    assert "alice@corp.test (unverified)" in str(requester)
    assert to_dict(rt.tickets.get(ref).requester)["id"] != requester["id"]  # type: ignore[union-attr]


async def test_contact_can_be_required_before_reporting(settings_factory: Any) -> None:
    rt = build_runtime(settings_factory(), env={"ATENDE_WEBCHAT_ASK_CONTACT": "required"})
    app = create_app(rt)
    try:
        async with app.router.lifespan_context(app), browser(app) as c:
            assert (await c.get("/api/chat/history")).json()["ask_contact"] == "required"
            r = await c.post("/api/chat/messages", json={"text": "hello"})
            assert r.status_code == 428
            bad = await c.post("/api/chat/contact", json={"name": "Ana", "email": "nope"})
            assert bad.status_code == 422
            assert (await c.post("/api/chat/contact", json={"name": "Ana"})).status_code == 200
            assert (await c.post("/api/chat/messages", json={"text": "hello"})).status_code == 200
    finally:
        rt.close()


def to_dict(obj: Any) -> dict[str, Any]:
    from atende.api import to_json

    data: dict[str, Any] = to_json(obj)
    return data
