"""Page and API headers (issue 8, low): CSP with a configurable frame-ancestors, nosniff, docs behind a
setting, and a bad filter value answered 400 rather than 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from atende.app import create_app
from atende.runtime import build_runtime


@pytest.fixture()
async def configured(settings_factory: Any) -> AsyncIterator[Any]:
    async def make(env: dict[str, str], **settings: Any) -> httpx.AsyncClient:
        rt = build_runtime(settings_factory(**settings), env=env)
        runtimes.append(rt)
        app = create_app(rt)
        await stack.enter_async_context(app.router.lifespan_context(app))
        return await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://atende.test"))

    from contextlib import AsyncExitStack

    runtimes: list[Any] = []
    async with AsyncExitStack() as stack:
        yield make
    for rt in runtimes:
        rt.close()


async def test_the_page_has_a_csp_that_allows_only_the_configured_embedders(configured: Any) -> None:
    client = await configured({"ATENDE_WEBCHAT_ALLOWED_ORIGINS": "https://intranet.example.test"})
    r = await client.get("/")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://intranet.example.test" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    js = await client.get("/webchat/chat.js")
    assert js.headers["x-content-type-options"] == "nosniff"
    assert js.headers["content-type"].startswith("text/javascript")


async def test_without_allowed_origins_nobody_else_may_frame_the_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.headers["content-security-policy"].endswith("frame-ancestors 'self'")


async def test_api_answers_carry_a_deny_all_policy_and_nosniff(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/tickets")
    assert r.status_code == 401
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_a_bad_allowed_origin_stops_start_up(settings_factory: Any) -> None:
    from connectors.base import ConfigError

    with pytest.raises(ConfigError, match="ATENDE_WEBCHAT_ALLOWED_ORIGINS"):
        build_runtime(settings_factory(), env={"ATENDE_WEBCHAT_ALLOWED_ORIGINS": "intranet; script-src *"})


async def test_docs_are_off_unless_enabled(client: httpx.AsyncClient, configured: Any) -> None:
    assert (await client.get("/docs")).status_code == 404
    assert (await client.get("/openapi.json")).status_code == 404
    enabled = await configured({}, api_docs=True)
    assert (await enabled.get("/openapi.json")).status_code == 200
    assert (await enabled.get("/docs")).status_code == 200


async def test_a_bad_status_filter_is_a_400_that_names_it(
    client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    r = await client.get("/api/tickets?status=bogus", headers=agent_headers)
    assert r.status_code == 400
    assert "status" in r.json()["detail"]
