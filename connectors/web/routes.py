"""The FastAPI adapter of the web chat: the page, its assets, the chat API and the event stream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Cookie, Header, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, model_validator

from connectors.web import sessions
from connectors.web.chat import ContactRequired, WebChat, contact_json
from connectors.web.store import WebSession

STATIC = Path(__file__).parent / "static"
ASSETS = {"chat.js": "text/javascript", "chat.css": "text/css", "widget.js": "text/javascript"}
SESSION_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"
FORBIDDEN = "this session belongs to another browser: start a new conversation"


class ChatIn(BaseModel):
    session: str | None = Field(None, pattern=SESSION_PATTERN,
                                description="the id an earlier answer gave; omit it to start a conversation")
    text: str | None = None
    option: str | None = Field(None, max_length=200)
    message_id: str | None = Field(None, max_length=200, description="client id: a resent message is a no-op")
    locale: str | None = Field(None, max_length=35)
    name: str | None = Field(None, max_length=200)
    identity: str | None = Field(None, max_length=4096, description="identity token signed by the host page")

    @model_validator(mode="after")
    def _one_of(self) -> ChatIn:
        if (self.text is None) == (self.option is None):
            raise ValueError("give exactly one of 'text' or 'option'")
        return self


class VerifyIn(BaseModel):
    session: str | None = Field(None, pattern=SESSION_PATTERN)
    code: str = Field(pattern=r"^\s*\d{6}\s*$")


class ContactIn(BaseModel):
    session: str | None = Field(None, pattern=SESSION_PATTERN)
    locale: str | None = Field(None, max_length=35)
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def page_csp(origins: tuple[str, ...]) -> str:
    ancestors = " ".join(("'self'", *origins))
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {ancestors}")


def build_router(chat: WebChat, *, secure_cookie: bool) -> APIRouter:
    r = APIRouter()
    csp = page_csp(chat.settings.origins)

    def set_session_cookie(response: Response, value: str) -> None:
        response.set_cookie(sessions.COOKIE, value, httponly=True, samesite="lax", secure=secure_cookie,
                            path="/", max_age=180 * 24 * 3600)

    async def owner(session: str | None, cookie: str | None) -> WebSession:
        try:
            found = await chat.session_for(session, cookie)
        except sessions.Forbidden:
            raise HTTPException(status_code=403, detail=FORBIDDEN) from None
        if found is None:
            raise HTTPException(status_code=403, detail="no session: post a message first")
        return found

    @r.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": csp,
                                                             "Cache-Control": "no-cache"})

    @r.get("/webchat/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(status_code=404, detail="not found")
        return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

    @r.post("/api/chat/messages", tags=["web chat"])
    async def post_message(body: ChatIn, request: Request,
                           atende_session: str | None = Cookie(None)) -> JSONResponse:
        locale = body.locale or request.headers.get("accept-language", "").split(",")[0].strip() or None
        try:
            answer = await chat.post(body.session, atende_session, text=body.text, option=body.option,
                                     message_id=body.message_id, locale=locale, name=body.name,
                                     identity_token=body.identity)
        except sessions.Forbidden:
            raise HTTPException(status_code=403, detail=FORBIDDEN) from None
        except sessions.InvalidIdentity as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from None
        except ContactRequired:
            raise HTTPException(status_code=428, detail="name first: POST /api/chat/contact") from None
        response = JSONResponse({"session": answer.session.id, "replies": answer.replies,
                                 "language": answer.language})
        if answer.cookie is not None:
            set_session_cookie(response, answer.cookie)
        return response

    @r.post("/api/chat/contact", tags=["web chat"])
    async def contact(body: ContactIn, atende_session: str | None = Cookie(None)) -> JSONResponse:
        """Name and e-mail typed by an anonymous user, stored as unverified (never used to link or to
        show other tickets)."""
        try:
            language = (body.locale or "")[:2].lower() or None
            session, cookie = await chat.contact(body.session, atende_session, body.name, body.email,
                                                 language)
        except sessions.Forbidden:
            raise HTTPException(status_code=403, detail=FORBIDDEN) from None
        except sessions.InvalidIdentity as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        response = JSONResponse({"session": session.id, "contact": contact_json(session)})
        if cookie is not None:
            set_session_cookie(response, cookie)
        return response

    @r.post("/api/chat/verify", tags=["web chat"])
    async def verify(body: VerifyIn, atende_session: str | None = Cookie(None)) -> dict[str, Any]:
        """The one-time code mailed by POST /api/chat/contact: proves the address (5 tries, 10 minutes)."""
        try:
            session = await chat.verify(body.session, atende_session, body.code)
        except sessions.Forbidden:
            raise HTTPException(status_code=403, detail=FORBIDDEN) from None
        except sessions.InvalidIdentity as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return {"session": session.id, "contact": contact_json(session)}

    @r.get("/api/chat/messages", tags=["web chat"])
    async def pending(session: str | None = Query(None, pattern=SESSION_PATTERN),
                      after: int | None = Query(None, ge=0),
                      atende_session: str | None = Cookie(None)) -> dict[str, Any]:
        """Pushes (agent replies, status changes, CSAT) this session has not acknowledged. Nothing is taken
        away by reading: ``after`` acknowledges everything up to that cursor."""
        return await chat.pending(await owner(session, atende_session), after)

    @r.get("/api/chat/incidents", tags=["web chat"])
    async def incidents() -> JSONResponse:
        """Active major incidents, for the page's banner: ``{"incidents": [{"reference", "service",
        "since"}]}``. Public like the page itself, so it carries no title, description or requester."""
        return JSONResponse({"incidents": await chat.incidents()}, headers={"Cache-Control": "no-cache"})

    @r.get("/api/chat/history", tags=["web chat"])
    async def history(session: str | None = Query(None, pattern=SESSION_PATTERN),
                      atende_session: str | None = Cookie(None)) -> dict[str, Any]:
        """The conversation as the page shows it, oldest first (user messages, replies, agent pushes).
        A first visit (no session named, no cookie) gets an empty history."""
        if session is None and atende_session is None:
            return {"session": None, "ask_contact": chat.settings.ask_contact, "contact": None,
                    "language": None, "messages": [], "cursor": 0}
        return await chat.history(await owner(session, atende_session))

    @r.get("/api/chat/events", tags=["web chat"])
    async def events(session: str | None = Query(None, pattern=SESSION_PATTERN),
                     after: int | None = Query(None, ge=0),
                     atende_session: str | None = Cookie(None),
                     last_event_id: str | None = Header(None)) -> StreamingResponse:
        """Server-sent events: each push as it happens (``text/event-stream``); polling is the fallback.
        A reconnecting EventSource sends Last-Event-ID and resumes after it."""
        found = await owner(session, atende_session)
        if last_event_id is not None and last_event_id.isdigit():
            after = max(after or 0, int(last_event_id))
        return StreamingResponse(chat.events(found, after), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @r.delete("/api/chat/session", status_code=204, tags=["web chat"])
    async def forget() -> Response:
        """"New conversation": the browser drops its cookie; the next message starts a new session."""
        response = Response(status_code=204)
        response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookie)
        return response

    return r
