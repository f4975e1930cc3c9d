"""What the web chat needs stored, as a narrow port implemented by the composition root
(atende.adapters.webstore).

Two things live there: the sessions the server issued (only a digest of each browser's secret is kept) and
the conversation as the page shows it (user messages, bot replies, agent pushes, in order). Pushes are
never deleted by a read: the owner acknowledges them with a cursor, so a lost response or a second tab
loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

Role = Literal["user", "bot", "push"]


@dataclass(frozen=True, slots=True)
class ChatEntry:
    """One line of the page: ``reply`` is the Reply JSON (text, options, ticket); ``author`` names the agent
    of a pushed agent reply; ``option`` is the option id the user picked (the label is in ``reply.text``)."""

    id: int
    role: Role
    reply: dict[str, Any]
    at: datetime
    author: str | None = None
    option: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.reply, "id": self.id, "role": self.role, "author": self.author,
                "option": self.option, "at": self.at.isoformat()}


@dataclass(frozen=True, slots=True)
class WebSession:
    """A session the server issued. ``secret_digest`` is the SHA-256 of the browser's cookie secret."""

    id: str
    secret_digest: str
    created_at: datetime
    acked: int = 0
    identity: dict[str, Any] = field(default_factory=dict)


class WebChatStore(Protocol):
    async def create_session(self, session: WebSession) -> None:
        """Store a new session; ids are random, a collision is an error."""
        ...

    async def get_session(self, session_id: str) -> WebSession | None: ...

    async def set_identity(self, session_id: str, identity: dict[str, Any]) -> None:
        """Remember who the user is (a verified token's claims, or details they typed, marked unverified)."""
        ...

    async def append(self, conversation_key: str, role: Role, replies: list[dict[str, Any]],
                     author: str | None = None, option: str | None = None) -> int:
        """Add entries in order; returns the id of the last one (0 when ``replies`` is empty)."""
        ...

    async def history(self, conversation_key: str, after: int = 0) -> list[ChatEntry]:
        """Every entry after ``after``, oldest first."""
        ...

    async def pushed(self, conversation_key: str, after: int) -> list[ChatEntry]:
        """Pushed entries (agent replies, status changes) with an id above ``after``, oldest first."""
        ...

    async def acknowledge(self, session_id: str, upto: int) -> int:
        """Move the session's acknowledged cursor forward (never back); returns the cursor."""
        ...

    async def language(self, conversation_key: str) -> str | None:
        """The language the conversation is held in (the engine's choice), for the page's own labels."""
        ...
