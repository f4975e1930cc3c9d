"""Console accounts over HTTP: login, sessions, cookie flags, CSRF, roles, logout."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from atende.app import create_app
from atende.console.auth import COOKIE
from atende.runtime import Runtime, build_runtime
from tests.atende.console.conftest import PASSWORD, ConsoleBrowser, add_agent, console_browser


async def test_pages_need_a_login_browsers_are_sent_to_the_form(console: ConsoleBrowser) -> None:
    r = await console.get("/console/tokens?x=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=%2Fconsole%2Ftokens%3Fx%3D1"
    api = await console.client.get("/console/tokens", headers={"accept": "application/json"})
    assert api.status_code == 401
    hx = await console.client.get("/console/", headers={"hx-request": "true"})
    assert hx.status_code == 401 and hx.headers["hx-redirect"] == "/console/login"
    post = await console.post("/console/tokens", {"name": "x"})
    assert post.status_code == 401


async def test_the_login_form_is_labelled_and_strict(console: ConsoleBrowser) -> None:
    r = await console.get("/console/login")
    assert r.status_code == 200
    assert '<label for="login-email">' in r.text
    assert 'id="login-email" name="email" type="email"' in r.text
    assert '<label for="login-password">' in r.text and 'type="password"' in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in r.text and "style=" not in r.text


async def test_an_agent_logs_in_and_sees_the_console(console: ConsoleBrowser,
                                                     console_runtime: Runtime) -> None:
    add_agent(console_runtime, "Ana@Example.com", language="es", name="Ana Díaz")
    r = await console.login("ana@example.com", next="/console/handoffs")
    assert r.status_code == 303 and r.headers["location"] == "/console/handoffs"
    page = await console.get("/console/")
    assert page.status_code == 200
    assert 'lang="es"' in page.text and "Sesión de Ana Díaz" in page.text and ">Cola<" in page.text
    assert "/console/agents" not in page.text  # admin-only nav item
    assert 'action="/console/logout"' in page.text and console.csrf


async def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(
        settings_factory: object, console_runtime: Runtime, console: ConsoleBrowser) -> None:
    add_agent(console_runtime, "ana@example.com")
    r = await console.login("ana@example.com")
    cookie = r.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/console" in cookie and "Secure" not in cookie  # plain http here
    console_runtime.settings.public_url = "https://desk.example.test"
    other = ConsoleBrowser(httpx.AsyncClient(transport=console.client._transport, base_url="https://atende.test"))
    async with other.client:
        r = await other.login("ana@example.com")
        assert "Secure" in r.headers["set-cookie"]


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
        console: ConsoleBrowser, console_runtime: Runtime) -> None:
    add_agent(console_runtime, "ana@example.com")
    wrong = await console.login("ana@example.com", "not the password")
    unknown = await console.login("nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail or password" in wrong.text
    assert _alert(wrong.text) == _alert(unknown.text) != ""
    assert f"{COOKIE}=" not in wrong.headers.get("set-cookie", "")
    assert (await console.get("/console/")).status_code == 303


def _alert(html: str) -> str:
    match = re.search(r'role="alert">([^<]*)<', html)
    return match.group(1) if match else ""


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
        console: ConsoleBrowser, console_runtime: Runtime) -> None:
    add_agent(console_runtime, "ana@example.com")
    for _ in range(console_runtime.settings.console_lockout_failures):
        assert (await console.login("ana@example.com", "guess")).status_code == 401
    locked = await console.login("ana@example.com", PASSWORD)
    assert locked.status_code == 401  # the same answer as a wrong password: nothing to enumerate
    agent = console_runtime.accounts.find_agent("ana@example.com")
    assert agent is not None and console_runtime.accounts.is_locked(agent)
    # An admin's password reset lifts the lock.
    from atende.console.auth import hash_password
    console_runtime.accounts.set_password("ana@example.com", hash_password(PASSWORD))
    assert (await console.login("ana@example.com", PASSWORD)).status_code == 303


async def test_a_post_without_its_csrf_token_is_refused(console: ConsoleBrowser,
                                                        console_runtime: Runtime) -> None:
    add_agent(console_runtime, "ana@example.com")
    await console.login("ana@example.com")
    assert (await console.post("/console/tokens", {"name": "ci"}, csrf=False)).status_code == 403
    assert (await console.post("/console/tokens", {"name": "ci", "csrf_token": "forged"})).status_code == 403
    assert (await console.post("/console/logout", csrf=False)).status_code == 403
    assert console_runtime.accounts.list_tokens(everyone=True) == []
    assert (await console.post("/console/tokens", {"name": "ci"})).status_code == 200


async def test_the_login_form_itself_needs_its_token(console: ConsoleBrowser,
                                                     console_runtime: Runtime) -> None:
    add_agent(console_runtime, "ana@example.com")
    r = await console.client.post("/console/login", data={"email": "ana@example.com", "password": PASSWORD})
    assert r.status_code == 403


async def test_an_agent_cannot_open_admin_pages(console: ConsoleBrowser, console_runtime: Runtime) -> None:
    add_agent(console_runtime, "ana@example.com")
    await console.login("ana@example.com")
    page = await console.get("/console/agents")
    assert page.status_code == 403 and "You may not open this page." in page.text
    assert 'href="/console/tokens"' in page.text  # the console's own page, nav and all
    api = await console.client.get("/console/agents", headers={"accept": "application/json"})
    assert api.status_code == 403 and api.json() == {"detail": "admins only"}
    missing = await console.get("/console/no-such-page")
    assert missing.status_code == 404 and "There is no such page." in missing.text
    outside = await console.client.get("/api/tickets/INC-1", headers={"accept": "text/html"})
    assert outside.status_code == 401 and outside.json() == {"detail": "missing bearer token"}
    r = await console.post("/console/agents", {"email": "eve@example.com", "name": "Eve", "role": "admin",
                                               "language": "en", "password": "x" * 20})
    assert r.status_code == 403
    assert console_runtime.accounts.find_agent("eve@example.com") is None


async def test_logout_ends_the_session_on_the_server(console: ConsoleBrowser,
                                                     console_runtime: Runtime) -> None:
    add_agent(console_runtime, "ana@example.com")
    await console.login("ana@example.com")
    cookie = console.client.cookies[COOKIE]
    r = await console.post("/console/logout")
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    # The old cookie, replayed, opens nothing.
    console.client.cookies.set(COOKIE, cookie, domain="atende.test", path="/console")
    assert (await console.get("/console/")).status_code == 303


async def test_the_language_is_stored_on_the_agent(console_app: FastAPI, console_runtime: Runtime) -> None:
    add_agent(console_runtime, "ana@example.com")
    first = console_browser(console_app)
    async with first.client:
        await first.login("ana@example.com")
        r = await first.post("/console/language", {"language": "pt", "next": "/console/tokens"})
        assert r.status_code == 303 and r.headers["location"] == "/console/tokens"
    second = console_browser(console_app)  # another browser, the same agent: Portuguese everywhere
    async with second.client:
        await second.login("ana@example.com")
        page = await second.get("/console/handoffs")
        assert 'lang="pt"' in page.text and "Transferências" in page.text


async def test_static_assets_are_served_and_nothing_else(console: ConsoleBrowser) -> None:
    for name, kind in (("htmx.min.js", "text/javascript"), ("console.js", "text/javascript"),
                       ("console.css", "text/css")):
        r = await console.client.get(f"/console/static/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
    for bad in ("VENDORED.md", "..%2Fauth.py", "nothing.js"):
        assert (await console.client.get(f"/console/static/{bad}")).status_code == 404


async def test_login_attempts_are_limited_per_client_ip(settings_factory: Any) -> None:
    settings = settings_factory(console_failure_delay=0, console_login_rate_ip="3/minute")
    runtime = build_runtime(settings, env={})
    try:
        app = create_app(runtime)
        async with app.router.lifespan_context(app):
            add_agent(runtime, "ana@example.com")
            browser = console_browser(app)
            async with browser.client:
                # Different e-mails each time: the per-account lockout never starts; the IP limit does.
                for i in range(3):
                    assert (await browser.login(f"guess{i}@example.com", "x")).status_code == 401
                refused = await browser.login("ana@example.com")
                assert refused.status_code == 429 and "Too many login attempts" in refused.text
                assert (await browser.get("/console/")).status_code == 303
    finally:
        runtime.close()


async def test_htmx_requests_carry_the_token_in_a_header(console: ConsoleBrowser,
                                                         console_runtime: Runtime) -> None:
    add_agent(console_runtime, "ana@example.com")
    await console.login("ana@example.com")
    headers = {"hx-request": "true", "x-csrf-token": console.csrf}
    r = await console.client.post("/console/tokens", data={"name": "hx"}, headers=headers)
    assert r.status_code == 200
    r = await console.client.post("/console/tokens", data={"name": "hx2"},
                                  headers={"hx-request": "true", "x-csrf-token": "forged"})
    assert r.status_code == 403
    assert [t.name for t in console_runtime.accounts.list_tokens(everyone=True)] == ["hx"]
    js = await console.client.get("/console/static/console.js")
    assert "X-CSRF-Token" in js.text and 'meta[name="csrf-token"]' in js.text
