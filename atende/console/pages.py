"""Login, logout, the language switch, personal tokens, static files, and placeholder pages.

The placeholders (queue, handoffs, reports) are included last by ``atende.console.router``: a page another
module registers at the same path earlier wins, so they disappear as the real pages arrive.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from atende.console import auth, i18n
from atende.console.auth import Principal, require_agent, require_csrf
from atende.console.render import render
from atende.ratelimit import RateLimiter

if TYPE_CHECKING:
    from atende.runtime import Runtime
    from ticket_core.accounts import Agent

STATIC = Path(__file__).with_name("static")
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}\.(js|css|svg|png|woff2)$")
_MEDIA = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml", "png": "image/png",
          "woff2": "font/woff2"}
TOKEN_PREFIX = "atd_"

#: The audit trail of account actions (who logged in, created or revoked which token); never a secret.
log = logging.getLogger("atende.console.audit")


def safe_next(value: str | None) -> str:
    """Where to go after login or a language change: a console path only (no open redirect)."""
    if value and value.startswith("/console") and not value.startswith("//") and "\\" not in value \
            and not value.startswith(auth.LOGIN_PATH):
        return value
    return "/console/"


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    settings = runtime.settings
    ip_limit = RateLimiter(settings.console_login_rate_ip)
    accounts = runtime.accounts

    @r.get("/static/{name}")
    async def static(name: str) -> FileResponse:
        match = _STATIC_NAME.match(name)
        if match is None:
            raise HTTPException(status_code=404, detail="not found")
        path = STATIC / name
        if not path.is_file():
            raise HTTPException(status_code=404, detail="not found")
        return FileResponse(path, media_type=_MEDIA[match.group(1)], headers={"Cache-Control": "no-cache"})

    @r.get("/login")
    async def login_page(request: Request, next: str | None = None) -> Response:
        if await auth.current_principal(request) is not None:
            return see_other(safe_next(next))
        return _login_form(request, next=safe_next(next))

    def _login_form(request: Request, *, next: str, email: str = "", error: str | None = None,
                    status_code: int = 200) -> Response:
        value = request.cookies.get(auth.LOGIN_COOKIE)
        if not value or len(value) > 100:
            value = auth.new_secret()
        request.state.login_csrf = value
        response = render(request, "login.html", None, status_code=status_code, next=next, email=email,
                          error=error)
        response.set_cookie(auth.LOGIN_COOKIE, value, httponly=True, samesite="strict",
                            secure=auth.secure_cookies(runtime), path="/console/login", max_age=3600)
        return response

    async def start_session(agent: Agent, next_url: str) -> Response:
        """A new session (a new random cookie each login: nothing fixed before it survives it)."""
        await asyncio.to_thread(accounts.login_succeeded, agent.id)
        cookie = auth.new_secret()
        lifetime = timedelta(hours=settings.console_session_hours)
        await asyncio.to_thread(accounts.create_session, auth.digest(cookie), agent.id, auth.new_secret(),
                                lifetime)
        response = see_other(next_url)
        auth.set_session_cookie(response, runtime, cookie)
        response.delete_cookie(auth.LOGIN_COOKIE, path="/console/login")
        log.info("console login: %s", agent.email)
        return response

    async def count_failure(agent: Agent) -> None:
        lock_for = timedelta(minutes=settings.console_lockout_minutes)
        after = await asyncio.to_thread(accounts.login_failed, agent.id, settings.console_lockout_failures,
                                        lock_for)
        if accounts.is_locked(after):
            log.warning("console account %s locked after %d failed logins in a row", agent.email,
                        settings.console_lockout_failures)

    @r.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        next_url = safe_next(auth.form_str(form, "next", 2000))
        auth.verify_csrf(request, auth.form_str(form, auth.CSRF_FIELD, 200) or None)
        lang = i18n.best_language(request.headers.get("accept-language"))
        email = auth.form_str(form, "email", 320)
        password = form.get("password")
        password = password[:1024] if isinstance(password, str) else ""
        if not ip_limit.hit(f"console-login:{auth.client_ip(request)}"):
            return _login_form(request, next=next_url, email=email, status_code=429,
                               error=i18n.t(lang, "login.too_many"))
        agent = await asyncio.to_thread(accounts.find_agent, email) if email else None
        # The same work whether the e-mail is known or not: an unknown one is checked against a dummy hash.
        hashed = agent.password_hash if agent is not None else auth.dummy_hash()
        ok = await asyncio.to_thread(auth.check_password, hashed, password)
        usable = agent is not None and not agent.disabled and not accounts.is_locked(agent)
        if agent is not None and usable and ok:
            return await start_session(agent, next_url)
        if agent is not None and usable:  # a wrong password: counted towards the lockout
            await count_failure(agent)
        why = ("unknown e-mail" if agent is None else "disabled" if agent.disabled
               else "locked" if accounts.is_locked(agent) else "wrong password")
        log.info("console login refused (%s) from %s", why, auth.client_ip(request))
        await asyncio.sleep(settings.console_failure_delay)
        error = i18n.t(lang, "login.failed", n=settings.console_lockout_failures,
                       minutes=f"{settings.console_lockout_minutes:g}")
        return _login_form(request, next=next_url, email=email, error=error, status_code=401)

    @r.post("/logout")
    async def logout(request: Request, principal: Principal = Depends(require_csrf)) -> Response:
        cookie = request.cookies.get(auth.COOKIE, "")
        await asyncio.to_thread(accounts.end_session, auth.digest(cookie))
        log.info("console logout: %s", principal.email)
        response = see_other(auth.LOGIN_PATH)
        response.delete_cookie(auth.COOKIE, path="/console")
        return response

    @r.post("/language")
    async def language(request: Request, principal: Principal = Depends(require_csrf)) -> Response:
        form = await request.form()
        lang = auth.form_str(form, "language", 5)
        if lang not in i18n.LANGUAGES:
            raise HTTPException(status_code=400, detail="language: one of es, pt, en")
        await asyncio.to_thread(accounts.set_language, principal.id, lang)
        return see_other(safe_next(auth.form_str(form, "next", 2000)))

    # -- personal API tokens ------------------------------------------------------------------------------
    async def tokens_page(request: Request, principal: Principal, new_token: str | None = None) -> Response:
        tokens = await asyncio.to_thread(accounts.list_tokens, principal.id, everyone=principal.is_admin)
        return render(request, "tokens.html", principal, tokens=tokens, new_token=new_token)

    @r.get("/tokens")
    async def tokens(request: Request, principal: Principal = Depends(require_agent)) -> Response:
        return await tokens_page(request, principal)

    @r.post("/tokens")
    async def create_token(request: Request, principal: Principal = Depends(require_csrf)) -> Response:
        form = await request.form()
        name = auth.form_str(form, "name", 100)
        if not name:
            raise HTTPException(status_code=400, detail="name: required")
        token = new_api_token()
        info = await asyncio.to_thread(accounts.create_token, principal.id, name, auth.digest(token))
        log.info("API token %d (%s) created by %s", info.id, name, principal.email)
        return await tokens_page(request, principal, new_token=token)  # shown once, never stored

    @r.post("/tokens/{token_id}/revoke")
    async def revoke_token(token_id: int, principal: Principal = Depends(require_csrf)) -> Response:
        owner = None if principal.is_admin else principal.id  # an agent revokes only their own
        if not await asyncio.to_thread(lambda: accounts.revoke_token(token_id, owner=owner)):
            raise HTTPException(status_code=404, detail="no such token")
        log.info("API token %d revoked by %s", token_id, principal.email)
        return see_other("/console/tokens")

    return r


def placeholders() -> APIRouter:
    """Pages other modules build; until then they say so (and the nav never leads to a 404)."""
    r = APIRouter(include_in_schema=False)
    for path, key in (("/", "nav.queue"), ("/handoffs", "nav.handoffs"), ("/reports", "nav.reports")):
        def make(title_key: str) -> object:
            async def page(request: Request, principal: Principal = Depends(require_agent)) -> Response:
                return render(request, "placeholder.html", principal, title_key=title_key)
            return page
        r.add_api_route(path, make(key), methods=["GET"])  # type: ignore[arg-type]
    return r

