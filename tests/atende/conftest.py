"""A whole Atende (runtime + HTTP app) on a temp data dir, driven through its real HTTP interface."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from atende.settings import load_settings


class Chat:
    """A web-chat user with a browser of its own (its own cookie jar): the first message starts the
    conversation and the server issues the session id; later messages send the id and the cookie."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._session: str | None = None
        self.last: list[dict[str, Any]] = []

    @property
    def session(self) -> str:
        assert self._session is not None, "no message sent yet: the server has not issued a session"
        return self._session

    async def say(self, text: str, **extra: Any) -> list[dict[str, Any]]:
        return await self._post({"text": text, **extra})

    async def pick(self, option_id: str) -> list[dict[str, Any]]:
        return await self._post({"option": option_id})

    async def pushed(self, after: int | None = None) -> dict[str, Any]:
        """GET /api/chat/messages: what agents pushed and this user has not acknowledged yet."""
        url = f"/api/chat/messages?session={self.session}" + (f"&after={after}" if after is not None else "")
        r = await self.client.get(url)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data

    async def _post(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        if self._session is not None:
            body = {"session": self._session, **body}
        r = await self.client.post("/api/chat/messages", json=body)
        assert r.status_code == 200, r.text
        self._session = r.json()["session"]
        self.last = r.json()["replies"]
        return self.last

    @property
    def options(self) -> list[str]:
        return [o["id"] for rep in self.last for o in rep["options"]]

    @property
    def ticket(self) -> str | None:
        return next((rep["ticket"] for rep in self.last if rep["ticket"]), None)

    async def report(self, text: str, solved: bool = False) -> str | None:
        """Report a problem and answer every question with its first option (or 'no' to the KB offer)."""
        await self.say(text)
        for _ in range(12):
            if self.ticket:
                return self.ticket
            opts = self.options
            if not opts:
                await self.say("desde esta mañana, en mi portátil")
                continue
            if "kb:no" in opts:
                if solved:
                    await self.pick(next(o for o in opts if o.startswith("kb:yes")))
                    return None
                await self.pick("kb:no")
            else:
                await self.pick(opts[0])
        return self.ticket


@pytest.fixture()
def settings_factory(tmp_path: Path) -> Any:
    def make(**overrides: Any) -> Any:
        base: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "api_token": "agent-token-for-tests",
            "use_keyword_standins": True,
        }
        base.update(overrides)
        return load_settings(**base)

    return make


@pytest.fixture()
async def runtime(settings_factory: Any) -> AsyncIterator[Runtime]:
    rt = build_runtime(settings_factory(), env={})
    await rt.dispatcher.start()  # the app's lifespan starts it too; tests without the app need it running
    yield rt
    await rt.dispatcher.stop()
    rt.close()


@pytest.fixture()
async def app(runtime: Runtime) -> AsyncIterator[FastAPI]:
    application = create_app(runtime)
    async with application.router.lifespan_context(application):
        yield application


def browser(app: FastAPI) -> httpx.AsyncClient:
    """A client with a cookie jar of its own, as one user's browser has."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://atende.test")


@pytest.fixture()
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as c:
        yield c


@pytest.fixture()
def agent_headers() -> dict[str, str]:
    return {"Authorization": "Bearer agent-token-for-tests"}


@pytest.fixture()
async def chat(app: FastAPI) -> AsyncIterator[Chat]:
    async with browser(app) as c:
        yield Chat(c)


@pytest.fixture()
async def other_chat(app: FastAPI) -> AsyncIterator[Chat]:
    async with browser(app) as c:
        yield Chat(c)


@pytest.fixture()
async def served(settings_factory: Any) -> AsyncIterator[tuple[str, Runtime]]:
    """The whole product under a real uvicorn on a free loopback port: SSE streams and browsers need a
    transport that streams, which the in-process ASGI client is not. Yields (base URL, runtime)."""
    from tests.services import free_port

    runtime = build_runtime(settings_factory(), env={})
    port = free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
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
