"""Personal API tokens: created in the console (shown once, stored as SHA-256), acting as their agent on the
agent API, revoked one by one, and dead the moment their agent is disabled."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
from fastapi import FastAPI

from atende.console.auth import COOKIE
from atende.runtime import Runtime
from tests.atende.console.conftest import ConsoleBrowser
from tests.ticket_core.conftest import new_ticket

SERVICE = {"Authorization": "Bearer agent-token-for-tests"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_token(browser: ConsoleBrowser, name: str) -> str:
    r = await browser.post("/console/tokens", {"name": name})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    match = re.search(r'id="new-token">([^<]+)<', r.text)
    assert match
    return match.group(1)


async def test_a_personal_token_acts_as_its_agent_and_is_stored_only_hashed(
        login: Any, console_runtime: Runtime) -> None:
    ana = await login("ana@example.com")
    token = await create_token(ana, "laptop script")
    api = ana.client
    ref = console_runtime.tickets.create_ticket(new_ticket()).reference
    # X-Atende-Agent is ignored for a personal token: the token says who acts.
    r = await api.patch(f"/api/tickets/{ref}", json={"priority": "P2"},
                        headers={**bearer(token), "X-Atende-Agent": "someone-else"})
    assert r.status_code == 200, r.text
    events = console_runtime.tickets.events(ref)
    assert events[-1].actor == "ana@example.com"
    # Only the digest is kept; the page lists the token without it.
    [info] = console_runtime.accounts.list_tokens(everyone=True)
    assert info.name == "laptop script" and info.last_used_at is not None
    assert console_runtime.accounts.token(hashlib.sha256(token.encode()).hexdigest()) is not None
    page = await ana.get("/console/tokens")
    assert "laptop script" in page.text and token not in page.text


async def test_one_agents_token_is_revoked_while_the_others_keep_working(
        login: Any, console_runtime: Runtime) -> None:
    ana = await login("ana@example.com")
    bo = await login("bo@example.com")
    ana_token = await create_token(ana, "ana's")
    bo_token = await create_token(bo, "bo's")
    api = ana.client
    for token in (ana_token, bo_token):
        assert (await api.get("/api/tickets", headers=bearer(token))).status_code == 200
    accounts = console_runtime.accounts
    [ana_info] = accounts.list_tokens(accounts.find_agent("ana@example.com").id)
    # Bo cannot revoke Ana's token (not his), nor see it.
    assert (await bo.post(f"/console/tokens/{ana_info.id}/revoke")).status_code == 404
    assert "ana&#39;s" not in (await bo.get("/console/tokens")).text
    r = await ana.post(f"/console/tokens/{ana_info.id}/revoke")
    assert r.status_code == 303
    assert (await api.get("/api/tickets", headers=bearer(ana_token))).status_code == 403
    assert (await api.get("/api/tickets", headers=bearer(bo_token))).status_code == 200
    assert (await api.get("/api/tickets", headers=SERVICE)).status_code == 200
    [bo_info] = accounts.list_tokens(accounts.find_agent("bo@example.com").id)
    assert bo_info.revoked_at is None


async def test_a_disabled_agents_session_and_tokens_stop_at_once(
        login: Any, console_runtime: Runtime) -> None:
    admin = await login("boss@example.com", "admin")
    ana = await login("ana@example.com")
    token = await create_token(ana, "ana's")
    assert (await ana.client.get("/api/tickets", headers=bearer(token))).status_code == 200
    agent_id = console_runtime.accounts.find_agent("ana@example.com").id
    await admin.get("/console/agents")
    r = await admin.post(f"/console/agents/{agent_id}/disable")
    assert r.status_code == 200 and "ana@example.com" in r.text
    # The very next requests: the page sends her to the login, the API refuses her token.
    assert (await ana.get("/console/tokens")).status_code == 303
    assert (await ana.client.get("/api/tickets", headers=bearer(token))).status_code == 403
    # And she cannot log in again.
    assert (await ana.login("ana@example.com")).status_code == 401
    # Enabled again, the old token works (it was not revoked) but the old session is gone for good.
    await admin.post(f"/console/agents/{agent_id}/enable")
    assert (await ana.client.get("/api/tickets", headers=bearer(token))).status_code == 200


async def test_an_admin_sees_every_token_and_may_revoke_any(
        login: Any, console_runtime: Runtime) -> None:
    admin = await login("boss@example.com", "admin")
    ana = await login("ana@example.com")
    token = await create_token(ana, "ana-ci")
    page = await admin.get("/console/tokens")
    assert "ana-ci" in page.text and "ana@example.com" in page.text
    [info] = console_runtime.accounts.list_tokens(everyone=True)
    assert (await admin.post(f"/console/tokens/{info.id}/revoke")).status_code == 303
    assert (await ana.client.get("/api/tickets", headers=bearer(token))).status_code == 403


async def test_service_tokens_and_the_api_token(console_app: FastAPI, console_runtime: Runtime) -> None:
    from atende.console.auth import digest

    console_runtime.accounts.create_token(None, "monitoring", digest("atd_service-secret-value"))
    ref = console_runtime.tickets.create_ticket(new_ticket()).reference
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=console_app),
                                 base_url="http://atende.test") as api:
        r = await api.patch(f"/api/tickets/{ref}", json={"priority": "P3"},
                            headers={**bearer("atd_service-secret-value"), "X-Atende-Agent": "mallory"})
        assert r.status_code == 200
        assert console_runtime.tickets.events(ref)[-1].actor == "service:monitoring"
        # ATENDE_API_TOKEN keeps naming its actor with X-Atende-Agent.
        r = await api.patch(f"/api/tickets/{ref}", json={"priority": "P4"},
                            headers={**SERVICE, "X-Atende-Agent": "bo@example.com"})
        assert r.status_code == 200 and console_runtime.tickets.events(ref)[-1].actor == "bo@example.com"
        assert (await api.get("/api/tickets", headers=bearer("atd_unknown"))).status_code == 403
        # A session cookie is not an API credential.
        assert (await api.get("/api/tickets", cookies={COOKIE: "x"})).status_code == 401
