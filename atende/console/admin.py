"""Admin pages: agents (add, disable/enable, reset password) and the taxonomy/playbooks reload.

Every route depends on ``require_admin`` (GET) or ``require_admin_csrf`` (POST): an agent gets 403.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from atende.console import auth, i18n
from atende.console.auth import Principal, require_admin, require_admin_csrf
from atende.console.render import render
from ticket_core import InvalidValue
from ticket_core.accounts import AccountExists

if TYPE_CHECKING:
    from atende.runtime import Runtime

log = logging.getLogger(__name__)
audit = logging.getLogger("atende.console.audit")


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    accounts = runtime.accounts

    async def page(request: Request, principal: Principal, status_code: int = 200, **ctx: Any) -> Response:
        agents = await asyncio.to_thread(accounts.list_agents)
        locked = {a.id for a in agents if accounts.is_locked(a)}
        ctx.setdefault("notice", None)
        ctx.setdefault("error", None)
        return render(request, "agents.html", principal, status_code=status_code, agents=agents,
                      locked=locked, min_password=auth.MIN_PASSWORD, **ctx)

    def t(principal: Principal, key: str, **kw: object) -> str:
        return i18n.t(principal.language, key, **kw)

    @r.get("/agents")
    async def agents(request: Request, principal: Principal = Depends(require_admin)) -> Response:
        return await page(request, principal)

    @r.post("/agents")
    async def add_agent(request: Request, principal: Principal = Depends(require_admin_csrf)) -> Response:
        form = await request.form()
        email = auth.form_str(form, "email", 320)
        password = form.get("password")
        if not isinstance(password, str) or len(password) < auth.MIN_PASSWORD:
            return await page(request, principal, 400, error=t(principal, "agents.short_password",
                                                                n=auth.MIN_PASSWORD))
        hashed = await asyncio.to_thread(auth.hash_password, password[:1024])
        try:
            await asyncio.to_thread(accounts.add_agent, email, auth.form_str(form, "name", 200),
                                    auth.form_str(form, "role", 10), hashed,
                                    auth.form_str(form, "language", 5))
        except AccountExists:
            return await page(request, principal, 409, error=t(principal, "agents.exists"))
        except InvalidValue as exc:
            return await page(request, principal, 400, error=t(principal, "agents.invalid", reason=str(exc)))
        audit.info("agent %s added by %s", email.lower(), principal.email)
        return await page(request, principal, notice=t(principal, "agents.added", email=email.lower()))

    async def target(agent_id: int) -> Any:
        agent = await asyncio.to_thread(accounts.agent, agent_id)
        if agent is None:
            raise HTTPException(status_code=404, detail="no such agent")
        return agent

    @r.post("/agents/{agent_id}/disable")
    async def disable(agent_id: int, request: Request,
                      principal: Principal = Depends(require_admin_csrf)) -> Response:
        agent = await target(agent_id)
        if agent.id == principal.id:
            return await page(request, principal, 400, error=t(principal, "agents.not_self"))
        await asyncio.to_thread(accounts.set_disabled, agent.email, True)
        audit.info("agent %s disabled by %s", agent.email, principal.email)
        return await page(request, principal, notice=t(principal, "agents.updated", email=agent.email))

    @r.post("/agents/{agent_id}/enable")
    async def enable(agent_id: int, request: Request,
                     principal: Principal = Depends(require_admin_csrf)) -> Response:
        agent = await target(agent_id)
        await asyncio.to_thread(accounts.set_disabled, agent.email, False)
        audit.info("agent %s enabled by %s", agent.email, principal.email)
        return await page(request, principal, notice=t(principal, "agents.updated", email=agent.email))

    @r.post("/agents/{agent_id}/reset-password")
    async def reset_password(agent_id: int, request: Request,
                             principal: Principal = Depends(require_admin_csrf)) -> Response:
        agent = await target(agent_id)
        form = await request.form()
        password = form.get("password")
        if not isinstance(password, str) or len(password) < auth.MIN_PASSWORD:
            return await page(request, principal, 400, error=t(principal, "agents.short_password",
                                                                n=auth.MIN_PASSWORD))
        hashed = await asyncio.to_thread(auth.hash_password, password[:1024])
        await asyncio.to_thread(accounts.set_password, agent.email, hashed)
        audit.info("password of %s reset by %s", agent.email, principal.email)
        return await page(request, principal, notice=t(principal, "agents.updated", email=agent.email))

    @r.post("/admin/reload")
    async def reload(request: Request, principal: Principal = Depends(require_admin_csrf)) -> Response:
        """Reload the taxonomy and playbook files into the engine of this process. In the scaled mode the
        engines run in the `atende worker` processes, which load the files when they start."""
        if runtime.redis is not None:
            reason = "scaled mode: restart the `atende worker` processes to load the files"
            error = t(principal, "agents.reload_failed", reason=reason)
            return await page(request, principal, 409, error=error)
        try:
            categories, playbooks = await asyncio.to_thread(runtime.engine.reload_definitions)
        except Exception as exc:  # a broken file of any kind: say so; the engine keeps the previous ones
            log.warning("reload of taxonomy/playbooks by %s failed: %s", principal.email, exc)
            error = t(principal, "agents.reload_failed", reason=str(exc))
            return await page(request, principal, 400, error=error)
        log.info("taxonomy and playbooks reloaded by %s: %d categories, %d playbooks", principal.email,
                 categories, playbooks)
        return await page(request, principal, notice=t(principal, "agents.reloaded", categories=categories,
                                                        playbooks=playbooks))

    return r
