"""Proving a typed e-mail address with a one-time code (issue 11 §3): the code is mailed through the real
e-mail channel (to a local fake relay); the right code in time makes the user verified and linked by
e-mail; wrong codes are counted and a stolen session id cannot verify."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from atende.app import create_app
from atende.runtime import Runtime, build_runtime
from tests.atende.conftest import browser
from tests.connectors.email.conftest import FakeRelay, email_env_for, free_port


@pytest.fixture()
async def with_mail(settings_factory: Any) -> AsyncIterator[tuple[Any, Runtime, FakeRelay]]:
    relay = FakeRelay()
    await relay.start()
    rt = build_runtime(settings_factory(), env=email_env_for(relay.port, free_port()))
    app = create_app(rt)
    async with app.router.lifespan_context(app):
        yield app, rt, relay
    rt.close()
    await relay.stop()


async def test_the_right_code_proves_the_address(with_mail: tuple[Any, Runtime, FakeRelay]) -> None:
    app, rt, relay = with_mail
    async with browser(app) as c:
        r = await c.post("/api/chat/contact", json={"name": "Ana", "email": "Ana@Corp.test", "locale": "es"})
        assert r.status_code == 200 and r.json()["contact"]["code_sent"] is True
        assert "code" not in str(r.json()["contact"].keys() - {"code_sent"})
        mail = (await relay.wait_for(1))[0]
        assert mail.rcpt_tos == ["ana@corp.test"] and "código de verificación" in mail.body
        code = re.search(r"\b(\d{6})\b", mail.body)
        assert code
        session = r.json()["session"]
        async with browser(app) as thief:  # the id alone is not enough
            stolen = await thief.post("/api/chat/verify", json={"session": session, "code": code.group(1)})
            assert stolen.status_code == 403
        wrong = "000000" if code.group(1) != "000000" else "111111"
        assert (await c.post("/api/chat/verify", json={"code": wrong})).status_code == 400
        ok = await c.post("/api/chat/verify", json={"code": code.group(1)})
        assert ok.status_code == 200 and ok.json()["contact"]["verified"] is True
        assert (await c.post("/api/chat/verify", json={"code": code.group(1)})).status_code == 400  # once
        ref = None
        r = await c.post("/api/chat/messages", json={"text": "My laptop cannot connect to the VPN"})
        for _ in range(12):
            replies = r.json()["replies"]
            ref = next((x["ticket"] for x in replies if x["ticket"]), None)
            if ref:
                break
            opts = [o["id"] for x in replies for o in x["options"]]
            body = {"option": "kb:no" if "kb:no" in opts else opts[0]} if opts else {"text": "since today"}
            r = await c.post("/api/chat/messages", json=body)
    assert ref
    ticket = rt.tickets.get(ref)
    assert ticket is not None and "ana@corp.test" in str(ticket.requester)


async def test_codes_run_out_after_five_wrong_tries(with_mail: tuple[Any, Runtime, FakeRelay]) -> None:
    app, _, relay = with_mail
    async with browser(app) as c:
        await c.post("/api/chat/contact", json={"name": "Ana", "email": "ana@corp.test"})
        code = re.search(r"\b(\d{6})\b", (await relay.wait_for(1))[0].body)
        assert code
        wrong = "000000" if code.group(1) != "000000" else "111111"
        for _ in range(5):
            assert (await c.post("/api/chat/verify", json={"code": wrong})).status_code == 400
        r = await c.post("/api/chat/verify", json={"code": code.group(1)})
        assert r.status_code == 400 and "expired" in r.json()["detail"]


async def test_without_an_e_mail_channel_no_code_is_sent(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/chat/contact", json={"name": "Ana", "email": "ana@corp.test"})
    assert r.status_code == 200 and r.json()["contact"]["code_sent"] is False
    assert (await client.post("/api/chat/verify", json={"code": "123456"})).status_code == 400
