"""Server-issued web-chat sessions bound to the browser that started them, and signed identity tokens.

A session has a public id (sent in JSON bodies and query strings, shown in logs) and a secret that only
the browser holds, in an HttpOnly cookie ``atende_session=<id>.<secret>``. The server keeps a SHA-256
digest of the secret, never the secret. A request naming a session must carry that session's cookie:
knowing (or guessing) an id is worth nothing without it.

Identity tokens come from the intranet page that embeds the chat, signed with a secret shared with Atende
(HMAC-SHA256, the scheme of Intercom's and Zendesk's identity verification):
``base64url(json {"sub", "name", "email", "exp"}) "." base64url(hmac)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.web.store import WebChatStore, WebSession

COOKIE = "atende_session"
ID_BYTES = 32  # 256 bits: 43 URL-safe characters


class Forbidden(Exception):
    """The request names a session it cannot prove it owns (no cookie, another session's cookie)."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_cookie(value: str | None) -> tuple[str, str] | None:
    if not value or value.count(".") != 1:
        return None
    sid, secret = value.split(".")
    if not sid or not secret or len(value) > 300:
        return None
    return sid, secret


async def new_session(store: WebChatStore) -> tuple[WebSession, str]:
    """A fresh session and the cookie value that proves it."""
    sid, secret = secrets.token_urlsafe(ID_BYTES), secrets.token_urlsafe(ID_BYTES)
    session = WebSession(id=sid, secret_digest=digest(secret), created_at=datetime.now(UTC))
    await store.create_session(session)
    return session, f"{sid}.{secret}"


async def from_cookie(store: WebChatStore, cookie: str | None) -> WebSession | None:
    """The session the cookie proves, or None (no cookie, a malformed one, an unknown or wrong secret)."""
    parts = split_cookie(cookie)
    if parts is None:
        return None
    session = await store.get_session(parts[0])
    if session is None or not hmac.compare_digest(session.secret_digest, digest(parts[1])):
        return None
    return session


async def authenticate(store: WebChatStore, named: str | None, cookie: str | None) -> WebSession | None:
    """The caller's session. ``named`` (the id in the body or query) must be the cookie's own session.

    Returns None only when nothing is named and no valid cookie is sent (a new visitor); raises Forbidden
    when a session is named without its cookie.
    """
    session = await from_cookie(store, cookie)
    if named is None:
        return session
    if session is None or not hmac.compare_digest(session.id, named):
        raise Forbidden(named)
    return session


CODE_TTL_SECONDS = 600
CODE_MAX_TRIES = 5
CODE_MAX_SENDS = 3  # per session: the desk's mailer is not a way to mail strangers


def new_code() -> tuple[str, str]:
    """A six-digit one-time code and the digest kept of it."""
    code = f"{secrets.randbelow(10**6):06d}"
    return code, digest(code)


@dataclass(frozen=True, slots=True)
class VerifiedUser:
    user_id: str
    name: str | None
    email: str | None


class InvalidIdentity(ValueError):
    """A token that is malformed, forged or expired. The message never echoes the token."""


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def sign_identity(secret: str, claims: dict[str, Any]) -> str:
    """What the host page's back end does (documented in the README; used by tests and the demo)."""
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=")
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return payload.decode() + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def verify_identity(secret: str, token: str, now: float | None = None) -> VerifiedUser:
    if len(token) > 4096 or token.count(".") != 1:
        raise InvalidIdentity("malformed identity token")
    payload, mac = token.split(".")
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    try:
        given = _b64decode(mac)
        claims = json.loads(_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        raise InvalidIdentity("malformed identity token") from None
    if not hmac.compare_digest(expected, given):
        raise InvalidIdentity("identity token signature does not match")
    if not isinstance(claims, dict):
        raise InvalidIdentity("malformed identity token")
    exp, sub = claims.get("exp"), claims.get("sub")
    if not isinstance(exp, int | float) or exp < (time.time() if now is None else now):
        raise InvalidIdentity("identity token expired")
    if not isinstance(sub, str | int) or not str(sub).strip():
        raise InvalidIdentity("identity token has no sub")
    name, email = claims.get("name"), claims.get("email")
    return VerifiedUser(
        user_id=str(sub)[:200],
        name=name[:200] if isinstance(name, str) and name.strip() else None,
        email=email.strip().lower()[:320] if isinstance(email, str) and "@" in email else None,
    )
