"""Who is at the console: password hashing, server-side sessions, CSRF, and the FastAPI dependencies every
console page uses.

- Passwords: argon2id (argon2-cffi's defaults). An unknown e-mail is verified against a dummy hash so the
  answer takes as long as for a known one.
- Sessions: the cookie holds 32 random bytes; the database holds only their SHA-256 (``agent_sessions.id``),
  with an idle and an absolute expiry. Every request looks the row up, so a logout, a disabled agent or a
  password reset ends the session at once.
- CSRF: a synchroniser token per session (``agent_sessions.csrf_secret``), sent back by every state-changing
  request as the form field ``csrf_token`` or the ``X-CSRF-Token`` header (console.js adds the header to
  htmx requests). Before login, the login form carries the value of a short-lived cookie instead.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import HTTPException, Request, Response

if TYPE_CHECKING:
    from atende.runtime import Runtime
    from ticket_core.accounts import Agent, AgentSession

COOKIE = "atende_console"
LOGIN_COOKIE = "atende_console_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_PATH = "/console/login"
MIN_PASSWORD = 10

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """The agent behind a console request (or a personal API token)."""

    id: int
    email: str
    name: str
    role: str
    language: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        """What the ticket event log records for this agent's actions: the e-mail."""
        return self.email

    @classmethod
    def of(cls, agent: Agent) -> Principal:
        return cls(agent.id, agent.email, agent.name, agent.role, agent.language)


def digest(secret: str) -> str:
    """SHA-256 hex of a session cookie or API token: what the database stores."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """Verified against when the e-mail is unknown: same work, same timing, no enumeration."""
    return _hasher.hash(secrets.token_urlsafe(16))


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def secure_cookies(runtime: Runtime) -> bool:
    return (runtime.settings.public_url or "").lower().startswith("https://")


def set_session_cookie(response: Response, runtime: Runtime, value: str) -> None:
    response.set_cookie(COOKIE, value, httponly=True, samesite="lax", secure=secure_cookies(runtime),
                        path="/console", max_age=int(runtime.settings.console_session_hours * 3600))


async def current_principal(request: Request) -> Principal | None:
    """The logged-in agent, or None. Looked up once per request (kept on ``request.state``)."""
    if hasattr(request.state, "console_principal"):
        cached: Principal | None = request.state.console_principal
        return cached
    principal: Principal | None = None
    cookie = request.cookies.get(COOKIE)
    if cookie and len(cookie) <= 100:
        runtime = runtime_of(request)
        idle = timedelta(minutes=runtime.settings.console_session_idle_minutes)
        found = await asyncio.to_thread(runtime.accounts.session, digest(cookie), idle)
        if found is not None:
            session, agent = found
            request.state.console_session = session
            principal = Principal.of(agent)
    request.state.console_principal = principal
    return principal


def login_required(request: Request) -> HTTPException:
    """A page a browser navigates to goes to the login form (and back afterwards); htmx gets 401 with
    HX-Redirect; an API, an event stream or a form post gets a plain 401."""
    accept = request.headers.get("accept", "")
    if request.headers.get("hx-request"):
        return HTTPException(status_code=401, detail="login required", headers={"HX-Redirect": LOGIN_PATH})
    if request.method in ("GET", "HEAD") and "application/json" not in accept \
            and "text/event-stream" not in accept:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return HTTPException(status_code=303, detail="login required",
                             headers={"Location": f"{LOGIN_PATH}?next={quote(target, safe='')}"})
    return HTTPException(status_code=401, detail="login required")


async def require_agent(request: Request) -> Principal:
    """Dependency: any logged-in, enabled agent."""
    principal = await current_principal(request)
    if principal is None:
        raise login_required(request)
    return principal


async def require_admin(request: Request) -> Principal:
    """Dependency: a logged-in admin (an agent gets 403)."""
    principal = await require_agent(request)
    if not principal.is_admin:
        raise HTTPException(status_code=403, detail="admins only")
    return principal


def csrf_token(request: Request) -> str:
    """The token forms must send back: the session's, or before login the login cookie's."""
    session: AgentSession | None = getattr(request.state, "console_session", None)
    if session is not None:
        return session.csrf_secret
    pending: str | None = getattr(request.state, "login_csrf", None)
    return pending or request.cookies.get(LOGIN_COOKIE, "")


def verify_csrf(request: Request, form_value: str | None) -> None:
    """403 unless ``form_value`` (or the X-CSRF-Token header) is this session's token."""
    expected = csrf_token(request)
    given = form_value or request.headers.get(CSRF_HEADER) or ""
    if not expected or not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")


async def require_csrf(request: Request) -> Principal:
    """Dependency for every state-changing console route: a logged-in agent AND the session's CSRF token
    (header, or the ``csrf_token`` form field). Returns the agent."""
    principal = await require_agent(request)
    header = request.headers.get(CSRF_HEADER)
    if header:
        verify_csrf(request, header)
    else:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        verify_csrf(request, value if isinstance(value, str) else None)
    return principal


async def require_admin_csrf(request: Request) -> Principal:
    """require_csrf, for admins only."""
    principal = await require_csrf(request)
    if not principal.is_admin:
        raise HTTPException(status_code=403, detail="admins only")
    return principal


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def token_principal(runtime: Runtime, token: str) -> tuple[Principal | None, str] | None:
    """A personal or service token: (the agent, or None for a service token; the actor to record), or None
    when the token is unknown, revoked, or its agent disabled. Synchronous (call it in a thread)."""
    found = runtime.accounts.token(digest(token))
    if found is None:
        return None
    info, agent = found
    if agent is None:
        return None, f"service:{info.name}"
    return Principal.of(agent), agent.email


def form_str(form: Any, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""
