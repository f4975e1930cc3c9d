"""AccountStore: console agents, their API tokens and their console sessions.

Storage only: passwords arrive already hashed and tokens and session ids already digested (atende hashes them
with argon2 and SHA-256); this package never sees a secret it could leak. Synchronous like TicketStore, and
safe to share between threads: every method opens its own short session and returns frozen values.

What makes a session or a token stop working at once is checked here, on every lookup: a disabled agent, a
revoked token, an expired (absolute) or idle session. Nothing is cached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ticket_core import values
from ticket_core.domain import InvalidValue, TicketError
from ticket_core.engine import writer
from ticket_core.schema import AgentRow, AgentSessionRow, AgentTokenRow

T = TypeVar("T")
ROLES = ("agent", "admin")
LANGUAGES = ("es", "pt", "en")


class AccountExists(TicketError):
    def __init__(self, email: str) -> None:
        super().__init__(f"an agent with e-mail {email!r} exists already")
        self.email = email


class AgentNotFound(TicketError, LookupError):
    def __init__(self, key: object) -> None:
        super().__init__(f"no agent {key!r}")
        self.key = key


@dataclass(frozen=True)
class Agent:
    id: int
    email: str
    name: str
    role: str
    language: str
    disabled: bool
    created_at: datetime
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None
    password_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class AgentToken:
    id: int
    agent_id: int | None  # None: a service token
    agent_email: str | None
    name: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class AgentSession:
    id: str
    agent_id: int
    csrf_secret: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def normal_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively and without surrounding blanks."""
    return email.strip().lower()


def _agent(row: AgentRow) -> Agent:
    return Agent(row.id, row.email, row.name, row.role, row.language, row.disabled, row.created_at,
                 row.failed_logins, row.locked_until, row.last_login_at, row.password_hash)


def _session(row: AgentSessionRow) -> AgentSession:
    return AgentSession(row.id, row.agent_id, row.csrf_secret, row.created_at, row.last_seen_at,
                        row.expires_at)


class AccountStore:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        """``engine``: the ticket store's (already migrated: TicketStore.open applies every revision)."""
        self._reads = sessionmaker(bind=engine, expire_on_commit=False)
        self._writes = sessionmaker(bind=writer(engine), expire_on_commit=False)
        self._clock = clock or (lambda: datetime.now(UTC))

    # -- agents ---------------------------------------------------------------------------------------
    def add_agent(self, email: str, name: str, role: str, password_hash: str, language: str = "en") -> Agent:
        email = normal_email(email)
        _check(role in ROLES, f"role must be one of {', '.join(ROLES)}")
        _check(language in LANGUAGES, f"language must be one of {', '.join(LANGUAGES)}")
        _check("@" in email and len(email) <= 320, "not an e-mail address")
        _check(0 < len(name.strip()) <= 200, "a name of 1 to 200 characters")
        row = AgentRow(email=email, name=name.strip(), role=role, password_hash=password_hash, disabled=False,
                       language=language, created_at=self._now(), failed_logins=0)
        try:
            with self._write() as s:
                s.add(row)
                s.flush()
                return _agent(row)
        except IntegrityError:
            raise AccountExists(email) from None

    def agent(self, agent_id: int) -> Agent | None:
        with self._reads() as s:
            row = s.get(AgentRow, agent_id)
            return _agent(row) if row is not None else None

    def find_agent(self, email: str) -> Agent | None:
        with self._reads() as s:
            row = s.scalar(select(AgentRow).where(AgentRow.email == normal_email(email)))
            return _agent(row) if row is not None else None

    def list_agents(self) -> list[Agent]:
        with self._reads() as s:
            return [_agent(r) for r in s.scalars(select(AgentRow).order_by(AgentRow.email))]

    def set_disabled(self, email: str, disabled: bool = True) -> Agent:
        """Disabling ends every session of the agent now; their tokens fail from the next request (the
        lookup checks the agent)."""
        with self._write() as s:
            row = self._find(s, email)
            row.disabled = disabled
            if disabled:
                s.execute(delete(AgentSessionRow).where(AgentSessionRow.agent_id == row.id))
            return _agent(row)

    def set_password(self, email: str, password_hash: str) -> Agent:
        """A new password clears the lockout and ends every session (whoever knew the old one is out)."""
        with self._write() as s:
            row = self._find(s, email)
            row.password_hash = password_hash
            row.failed_logins = 0
            row.locked_until = None
            s.execute(delete(AgentSessionRow).where(AgentSessionRow.agent_id == row.id))
            return _agent(row)

    def set_role(self, email: str, role: str) -> Agent:
        _check(role in ROLES, f"role must be one of {', '.join(ROLES)}")
        with self._write() as s:
            row = self._find(s, email)
            row.role = role
            return _agent(row)

    def set_language(self, agent_id: int, language: str) -> None:
        _check(language in LANGUAGES, f"language must be one of {', '.join(LANGUAGES)}")
        with self._write() as s:
            s.execute(update(AgentRow).where(AgentRow.id == agent_id).values(language=language))

    def login_failed(self, agent_id: int, lock_after: int, lock_for: timedelta) -> Agent:
        """Count a failed login; the ``lock_after``-th in a row locks the account for ``lock_for``."""
        with self._write() as s:
            row = s.get(AgentRow, agent_id)
            if row is None:
                raise AgentNotFound(agent_id)
            row.failed_logins += 1
            if row.failed_logins >= lock_after:
                row.locked_until = self._now() + lock_for
                row.failed_logins = 0
            return _agent(row)

    def login_succeeded(self, agent_id: int) -> None:
        with self._write() as s:
            s.execute(update(AgentRow).where(AgentRow.id == agent_id).values(
                failed_logins=0, locked_until=None, last_login_at=self._now()))

    def is_locked(self, agent: Agent) -> bool:
        return agent.locked_until is not None and agent.locked_until > self._now()

    # -- sessions -------------------------------------------------------------------------------------
    def create_session(self, session_id: str, agent_id: int, csrf_secret: str,
                       lifetime: timedelta) -> AgentSession:
        now = self._now()
        row = AgentSessionRow(id=session_id, agent_id=agent_id, csrf_secret=csrf_secret, created_at=now,
                              last_seen_at=now, expires_at=now + lifetime)
        with self._write() as s:
            s.add(row)
            s.flush()
            return _session(row)

    def session(self, session_id: str, idle: timedelta) -> tuple[AgentSession, Agent] | None:
        """The live session and its (enabled) agent, or None. Seen now: the idle clock restarts. An expired
        or idle one is deleted on the way."""
        now = self._now()
        with self._reads() as s:
            found = s.execute(select(AgentSessionRow, AgentRow).join(
                AgentRow, AgentRow.id == AgentSessionRow.agent_id).where(
                AgentSessionRow.id == session_id)).first()
            if found is None:
                return None
            srow, arow = found.tuple()
            sess, agent = _session(srow), _agent(arow)
        if agent.disabled or sess.expires_at <= now or sess.last_seen_at + idle <= now:
            self.end_session(session_id)
            return None
        if now - sess.last_seen_at > timedelta(seconds=30):  # one write a half minute, not one a request
            with self._write() as s:
                s.execute(update(AgentSessionRow).where(AgentSessionRow.id == session_id)
                          .values(last_seen_at=now))
        return sess, agent

    def end_session(self, session_id: str) -> None:
        with self._write() as s:
            s.execute(delete(AgentSessionRow).where(AgentSessionRow.id == session_id))

    def end_sessions(self, agent_id: int) -> None:
        with self._write() as s:
            s.execute(delete(AgentSessionRow).where(AgentSessionRow.agent_id == agent_id))

    def prune_sessions(self) -> int:
        with self._write() as s:
            result = s.execute(delete(AgentSessionRow).where(AgentSessionRow.expires_at <= self._now()))
            return int(getattr(result, "rowcount", 0) or 0)

    # -- tokens ---------------------------------------------------------------------------------------
    def create_token(self, agent_id: int | None, name: str, token_hash: str) -> AgentToken:
        _check(0 < len(name.strip()) <= 100, "a token name of 1 to 100 characters")
        _check(len(token_hash) == 64, "token_hash must be a SHA-256 hex digest")
        row = AgentTokenRow(agent_id=agent_id, name=name.strip(), token_hash=token_hash,
                            created_at=self._now())
        with self._write() as s:
            if agent_id is not None and s.get(AgentRow, agent_id) is None:
                raise AgentNotFound(agent_id)
            s.add(row)
            s.flush()
            return self._token(s, row)

    def token(self, token_hash: str) -> tuple[AgentToken, Agent | None] | None:
        """The live token with that hash and its agent (None for a service token), or None when it is
        unknown, revoked, or its agent is disabled. Marks it used."""
        with self._reads() as s:
            row = s.scalar(select(AgentTokenRow).where(AgentTokenRow.token_hash == token_hash))
            if row is None or row.revoked_at is not None:
                return None
            arow = s.get(AgentRow, row.agent_id) if row.agent_id is not None else None
            if row.agent_id is not None and (arow is None or arow.disabled):
                return None
            token, agent = self._token(s, row), (_agent(arow) if arow is not None else None)
        now = self._now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            with self._write() as s:
                s.execute(update(AgentTokenRow).where(AgentTokenRow.id == token.id).values(last_used_at=now))
        return token, agent

    def list_tokens(self, agent_id: int | None = None, *, everyone: bool = False) -> list[AgentToken]:
        """One agent's tokens, or (``everyone``) every token, service tokens included."""
        with self._reads() as s:
            q = select(AgentTokenRow).order_by(AgentTokenRow.id)
            if not everyone:
                q = q.where(AgentTokenRow.agent_id == agent_id)
            return [self._token(s, r) for r in s.scalars(q)]

    def revoke_token(self, token_id: int, *, owner: int | None = None) -> bool:
        """Revoke; with ``owner``, only a token of that agent. False when there was nothing to revoke."""
        with self._write() as s:
            q = update(AgentTokenRow).where(AgentTokenRow.id == token_id, AgentTokenRow.revoked_at.is_(None))
            if owner is not None:
                q = q.where(AgentTokenRow.agent_id == owner)
            return bool(getattr(s.execute(q.values(revoked_at=self._now())), "rowcount", 0))

    # -- helpers --------------------------------------------------------------------------------------
    def _token(self, s: Session, row: AgentTokenRow) -> AgentToken:
        email = None
        if row.agent_id is not None:
            arow = s.get(AgentRow, row.agent_id)
            email = arow.email if arow is not None else None
        return AgentToken(row.id, row.agent_id, email, row.name, row.created_at, row.revoked_at,
                          row.last_used_at)

    def _find(self, s: Session, email: str) -> AgentRow:
        row = s.scalar(select(AgentRow).where(AgentRow.email == normal_email(email)).with_for_update())
        if row is None:
            raise AgentNotFound(email)
        return row

    def _now(self) -> datetime:
        return values.aware(self._clock(), "clock()").astimezone(UTC)

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._writes() as s, s.begin():
            yield s


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise InvalidValue(message)
