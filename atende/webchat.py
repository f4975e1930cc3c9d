"""The web chat: the page at / and the JSON endpoint the page (or any script) talks to.

The session id is chosen by the browser and acts as the user's secret for this channel: it must be long
and random enough not to be guessed (at least 16 URL-safe characters).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, field_validator, model_validator

from dialog.messages import Identity, InboundMessage, Reply

if TYPE_CHECKING:
    from atende.runtime import Runtime

STATIC = Path(__file__).parent / "static"
ASK_TIMEOUT_S = 25.0
WORKING_ON_IT = "… / ⏳ We are on it: the answer will appear here in a moment."
SESSION_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"


class ChatIn(BaseModel):
    session: str = Field(pattern=SESSION_PATTERN)
    text: str | None = None
    option: str | None = Field(None, max_length=200)
    message_id: str | None = Field(None, max_length=200, description="client id: a resent message is a no-op")
    locale: str | None = Field(None, max_length=35)
    name: str | None = Field(None, max_length=200)

    @field_validator("text", "option", "message_id", "locale", "name")
    @classmethod
    def _encodable(cls, v: str | None) -> str | None:
        """JSON may carry a lone surrogate ("\ud800"); no database can store it: a 422, not a 500."""
        if v is not None:
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("contains an invalid character (a lone UTF-16 surrogate)") from None
        return v

    @model_validator(mode="after")
    def _one_of(self) -> ChatIn:
        if (self.text is None) == (self.option is None):
            raise ValueError("give exactly one of 'text' or 'option'")
        return self


def conversation_key(session: str) -> str:
    return f"web:{session}"


def replies_json(replies: list[Reply]) -> dict[str, Any]:
    return {"replies": [r.to_json() for r in replies]}


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter()

    @r.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @r.post("/api/chat/messages")
    async def post_message(body: ChatIn, request: Request) -> dict[str, Any]:
        locale = body.locale or request.headers.get("accept-language", "").split(",")[0].strip() or None
        msg = InboundMessage(
            channel="web",
            conversation_key=conversation_key(body.session),
            sender=Identity(channel="web", native_id=body.session, display_name=body.name),
            text=body.text or "",
            option_id=body.option,
            provider_message_id=body.message_id,
            locale_hint=locale,
        )
        replies = await ask(msg)
        return replies_json(replies)

    async def ask(msg: InboundMessage) -> list[Reply]:
        """The one place the web chat reaches the engine: through the Inbox, answered in the response.
        When the answer takes longer than the wait, the user is told and the replies follow by push."""
        replies = await runtime.inbox.ask(msg, ASK_TIMEOUT_S)
        if replies is None:
            return [Reply(WORKING_ON_IT)]
        return replies

    @r.get("/api/chat/messages")
    async def pending(session: str = Query(pattern=SESSION_PATTERN)) -> dict[str, Any]:
        """Messages pushed to this session since the last poll (agent replies, status changes, CSAT)."""
        items = await asyncio.to_thread(runtime.conv_store.pop_sync, conversation_key(session))
        return {"replies": items}

    return r


class WebOutbound:
    """Pushes to web users are kept in the outbox until the page polls for them."""

    channel = "web"

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def reply(self, message: InboundMessage, replies: Any) -> None:
        """Replies that missed their request (the wait timed out, or a crash recovery): pushed."""
        await self.send(message.conversation_key, replies)

    async def send(self, conversation_key: str, replies: Any, ticket: str | None = None) -> None:
        await asyncio.to_thread(
            self._runtime.conv_store.push_sync, conversation_key, [r.to_json() for r in replies]
        )
