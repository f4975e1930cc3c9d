"""Admin pages: managing agents, and reloading the taxonomy and playbooks without a restart."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from atende.runtime import Runtime
from atende.settings import REPO_ROOT
from tests.atende.console.conftest import PASSWORD, ConsoleBrowser, console_browser


@pytest.fixture()
def console_settings(tmp_path: Path) -> dict[str, Any]:
    taxonomy = tmp_path / "taxonomy.yaml"
    shutil.copy(REPO_ROOT / "dialog" / "taxonomy" / "it.yaml", taxonomy)
    return {"console_failure_delay": 0, "taxonomy_file": taxonomy}


async def test_an_admin_adds_an_agent_who_can_then_log_in(login: Any, console_app: Any,
                                                          console_runtime: Runtime) -> None:
    admin: ConsoleBrowser = await login("boss@example.com", "admin")
    page = await admin.get("/console/agents")
    assert page.status_code == 200 and 'href="/console/agents"' in page.text
    r = await admin.post("/console/agents", {"email": "Cai@Example.com", "name": "Cai", "role": "agent",
                                             "language": "pt", "password": PASSWORD})
    assert r.status_code == 200 and "cai@example.com" in r.text
    again = await admin.post("/console/agents", {"email": "cai@example.com", "name": "Cai", "role": "agent",
                                                 "language": "pt", "password": PASSWORD})
    assert again.status_code == 409
    short = await admin.post("/console/agents", {"email": "dee@example.com", "name": "Dee", "role": "agent",
                                                 "language": "en", "password": "short"})
    assert short.status_code == 400 and console_runtime.accounts.find_agent("dee@example.com") is None
    cai = console_browser(console_app)
    async with cai.client:
        assert (await cai.login("cai@example.com")).status_code == 303
        assert 'lang="pt"' in (await cai.get("/console/")).text


async def test_a_password_reset_ends_the_agents_sessions(login: Any, console_runtime: Runtime) -> None:
    admin = await login("boss@example.com", "admin")
    ana = await login("ana@example.com")
    agent = console_runtime.accounts.find_agent("ana@example.com")
    assert agent is not None
    await admin.get("/console/agents")
    r = await admin.post(f"/console/agents/{agent.id}/reset-password", {"password": "a brand new password"})
    assert r.status_code == 200
    assert (await ana.get("/console/")).status_code == 303
    assert (await ana.login("ana@example.com", PASSWORD)).status_code == 401
    assert (await ana.login("ana@example.com", "a brand new password")).status_code == 303


async def test_an_admin_cannot_disable_themselves(login: Any, console_runtime: Runtime) -> None:
    admin = await login("boss@example.com", "admin")
    me = console_runtime.accounts.find_agent("boss@example.com")
    assert me is not None
    await admin.get("/console/agents")
    assert (await admin.post(f"/console/agents/{me.id}/disable")).status_code == 400
    assert (await admin.get("/console/agents")).status_code == 200


async def test_admin_posts_need_the_csrf_token(login: Any, console_runtime: Runtime) -> None:
    admin = await login("boss@example.com", "admin")
    ana = await login("ana@example.com")
    agent = console_runtime.accounts.find_agent("ana@example.com")
    assert agent is not None
    r = await admin.post(f"/console/agents/{agent.id}/disable", csrf=False)
    assert r.status_code == 403
    # Another agent's token does not do either.
    r = await admin.post(f"/console/agents/{agent.id}/disable", {"csrf_token": ana.csrf})
    assert r.status_code == 403
    assert not console_runtime.accounts.find_agent("ana@example.com").disabled  # type: ignore[union-attr]


async def test_reload_takes_an_edited_taxonomy_and_keeps_the_old_one_when_broken(
        login: Any, console_runtime: Runtime, console_settings: dict[str, Any]) -> None:
    admin = await login("boss@example.com", "admin")
    agent = await login("ana@example.com")
    engine = console_runtime.engine
    assert engine.taxonomy.categories[0].name("en") == "Access and accounts"
    path: Path = console_settings["taxonomy_file"]
    path.write_text(path.read_text().replace('en: "Access and accounts"', 'en: "Logins and accounts"'))
    assert (await agent.post("/console/admin/reload")).status_code == 403  # admins only
    await admin.get("/console/agents")
    r = await admin.post("/console/admin/reload")
    assert r.status_code == 200 and "reloaded" in r.text
    assert engine.taxonomy.categories[0].name("en") == "Logins and accounts"
    before = engine.taxonomy
    path.write_text("version: 1\ncategories: [")
    r = await admin.post("/console/admin/reload")
    assert r.status_code == 400 and "previous ones stay" in r.text
    assert engine.taxonomy is before
