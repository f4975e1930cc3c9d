"""Console fixtures: a whole Atende with agents, and a browser-like client that logs in and carries the
CSRF token the pages give it (as a browser's forms do)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from atende.app import create_app
from atende.console.auth import hash_password
from atende.runtime import Runtime, build_runtime
from ticket_core.accounts import Agent

PASSWORD = "correct horse battery staple"
_FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def add_agent(runtime: Runtime, email: str, role: str = "agent", password: str = PASSWORD,
              language: str = "en", name: str | None = None) -> Agent:
    name = name or email.split("@")[0].title()
    return runtime.accounts.add_agent(email, name, role, hash_password(password), language)


class ConsoleBrowser:
    """One agent's browser: its own cookie jar; ``csrf`` is the token of the last page that showed one."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def login(self, email: str, password: str = PASSWORD, next: str = "") -> httpx.Response:
        form = await self.client.get("/console/login", headers={"accept": "text/html"})
        match = _FORM_CSRF.search(form.text)
        assert match, form.text
        r = await self.client.post("/console/login", data={
            "email": email, "password": password, "csrf_token": match.group(1), "next": next})
        if r.status_code == 303:
            await self.get("/console/tokens")
        return r

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        headers = {"accept": "text/html", **kw.pop("headers", {})}
        r = await self.client.get(url, headers=headers, **kw)
        html = r.headers.get("content-type", "").startswith("text/html")
        match = _META_CSRF.search(r.text) if html else None
        if match:
            self.csrf = match.group(1)
        return r

    async def post(self, url: str, data: dict[str, str] | None = None, *, csrf: bool = True,
                   **kw: Any) -> httpx.Response:
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf_token", self.csrf)
        return await self.client.post(url, data=body, **kw)


@pytest.fixture()
def console_settings() -> dict[str, Any]:
    """Overrides for the console's runtime (no delay after a failed login, so tests stay fast)."""
    return {"console_failure_delay": 0}


@pytest.fixture()
async def console_runtime(settings_factory: Any, console_settings: dict[str, Any]) -> AsyncIterator[Runtime]:
    rt = build_runtime(settings_factory(**console_settings), env={})
    yield rt
    rt.close()


@pytest.fixture()
async def console_app(console_runtime: Runtime) -> AsyncIterator[FastAPI]:
    application = create_app(console_runtime)
    async with application.router.lifespan_context(application):
        yield application


def console_browser(app: FastAPI) -> ConsoleBrowser:
    return ConsoleBrowser(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://atende.test"))


@pytest.fixture()
async def console(console_app: FastAPI) -> AsyncIterator[ConsoleBrowser]:
    browser = console_browser(console_app)
    async with browser.client:
        yield browser


@pytest.fixture()
async def login(console_app: FastAPI, console_runtime: Runtime) -> AsyncIterator[Any]:
    """``await login(email, role="agent")``: a new agent, logged in in a browser of its own."""
    opened: list[ConsoleBrowser] = []

    async def make(email: str, role: str = "agent", language: str = "en") -> ConsoleBrowser:
        add_agent(console_runtime, email, role, language=language)
        browser = console_browser(console_app)
        opened.append(browser)
        assert (await browser.login(email)).status_code == 303
        return browser

    yield make
    for browser in opened:
        await browser.client.aclose()
