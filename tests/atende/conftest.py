"""A whole Atende (runtime + HTTP app) on a temp data dir, driven through its real HTTP interface."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from atende.settings import load_settings


class Chat:
    """A web-chat user: posts to /api/chat/messages and remembers the last options offered."""

    def __init__(self, client: httpx.AsyncClient, session: str) -> None:
        self.client = client
        self.session = session
        self.last: list[dict[str, Any]] = []

    async def say(self, text: str, **extra: Any) -> list[dict[str, Any]]:
        return await self._post({"session": self.session, "text": text, **extra})

    async def pick(self, option_id: str) -> list[dict[str, Any]]:
        return await self._post({"session": self.session, "option": option_id})

    async def _post(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        r = await self.client.post("/api/chat/messages", json=body)
        assert r.status_code == 200, r.text
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
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://atende.test") as c,
    ):
        yield c


@pytest.fixture()
def agent_headers() -> dict[str, str]:
    return {"Authorization": "Bearer agent-token-for-tests"}


@pytest.fixture()
def chat(client: httpx.AsyncClient) -> Chat:
    return Chat(client, "session-aaaaaaaaaaaaaaaa")


@pytest.fixture()
def other_chat(client: httpx.AsyncClient) -> Chat:
    return Chat(client, "session-bbbbbbbbbbbbbbbb")
