"""The web chat channel: what a page's request does, independent of the HTTP framework.

Every message goes to the engine through :meth:`WebChat._ask`: ``inbox.ask(message, timeout)``, answered in
the response, or, past the wait, a "we are on it" notice and the replies pushed when the Dispatcher has
them. Everything the page shows is appended to the chat log (the WebChatStore port) so that a reload
restores it; pushes stay there until the owner acknowledges them.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.base import Answered, ChannelError, ConnectorContext
from connectors.markdown import to_html
from connectors.web import sessions
from connectors.web.settings import WebChatSettings
from connectors.web.store import ChatEntry, WebChatStore, WebSession
from dialog.messages import Identity, InboundMessage, Reply

log = logging.getLogger(__name__)

#: While an event stream is idle it re-reads the store this often, for pushes written by another process.
STORE_RECHECK_SECONDS = 2.0
#: A stream ends after this long; EventSource reconnects by itself (Last-Event-ID), and a server that is
#: shutting down never waits long on open streams.
STREAM_SECONDS = 55.0


def conversation_key(session: str) -> str:
    return f"web:{session}"


@dataclass(frozen=True, slots=True)
class Answer:
    session: WebSession
    cookie: str | None  # set when the session was created by this request
    replies: list[dict[str, Any]]
    language: str | None


class WebChat:
    """One instance per server: sessions, the chat log, pushes to open event streams, contact details."""

    def __init__(self, ctx: ConnectorContext, store: WebChatStore, settings: WebChatSettings) -> None:
        self.ctx = ctx
        self.store = store
        self.settings = settings
        self._listeners: dict[str, set[asyncio.Event]] = {}
        self.ask_timeout = 25.0  # longer than this, the answer is pushed to the page instead

    # --- the one call into the engine -------------------------------------------------------------------
    async def _ask(self, message: InboundMessage) -> Answered:
        answered = await self.ctx.inbox.ask(message, self.ask_timeout)
        if answered is None:  # the replies follow by push (WebOutbound.reply)
            lang = (message.locale_hint or "en")[:2].lower()
            return Answered([Reply(WORKING_ON_IT.get(lang, WORKING_ON_IT["en"]), kind="notice")])
        return answered

    # --- requests ---------------------------------------------------------------------------------------
    async def session_for(self, named: str | None, cookie: str | None) -> WebSession | None:
        return await sessions.authenticate(self.store, named, cookie)

    async def post(self, named: str | None, cookie: str | None, *, text: str | None, option: str | None,
                   message_id: str | None, locale: str | None, name: str | None,
                   identity_token: str | None) -> Answer:
        session = await self.session_for(named, cookie)
        user = self._verify(identity_token) if identity_token else None  # before anything is stored
        if user is None and self.needs_contact(session):
            raise ContactRequired()
        new_cookie = None
        if session is None:
            session, new_cookie = await sessions.new_session(self.store)
        if user is not None:
            session = await self._adopt(session, user)
        key = conversation_key(session.id)
        msg = InboundMessage(
            channel="web",
            conversation_key=key,
            sender=self._identity(session, name),
            text=text or "",
            option_id=option,
            # A client's message id means something only inside its own conversation: scoped to the session,
            # another user's "message_id": "1" can never return this conversation's replies.
            provider_message_id=f"{session.id}:{message_id}" if message_id else None,
            locale_hint=locale,
        )
        result = await self._ask(msg)
        replies = [reply_json(r) for r in result.replies]
        if not result.duplicate:
            shown = text if option is None else await self._option_label(key, option)
            await self.store.append(key, "user", [{"text": shown or "", "options": [], "ticket": None}],
                                    option=option)
            await self.store.append(key, "bot", replies)
        return Answer(session, new_cookie, replies, await self.store.language(key))

    async def contact(self, named: str | None, cookie: str | None, name: str, email: str | None,
                      language: str | None = None) -> tuple[WebSession, str | None]:
        """Contact details typed by an anonymous user: kept as unverified. They name the requester for the
        agents, and are never used to link identities or to show any other ticket."""
        session = await self.session_for(named, cookie)
        new_cookie = None
        if session is None:
            session, new_cookie = await sessions.new_session(self.store)
        if session.identity.get("verified"):
            raise sessions.InvalidIdentity("this conversation's user is already verified")
        identity: dict[str, Any] = {"verified": False, "name": name.strip()[:200] or None,
                                    "email": email.strip().lower()[:320] if email else None,
                                    "code_sends": session.identity.get("code_sends", 0)}
        can_send = self.ctx.deliver is not None and identity["code_sends"] < sessions.CODE_MAX_SENDS
        if identity["email"] and can_send and self.ctx.deliver is not None:
            code, code_digest = sessions.new_code()
            text = CODE_TEXT.get(language or "", CODE_TEXT["en"]).format(code=code)
            try:
                await self.ctx.deliver("email", f"email:{identity['email']}", [Reply(text, kind="notice")])
            except ChannelError as exc:  # no e-mail channel, or the mail could not go: stays unverified
                log.info("no one-time code sent for a web session: %s", exc)
            else:
                identity.update(code=code_digest, code_expires=time.time() + sessions.CODE_TTL_SECONDS,
                                code_tries=0, code_sends=identity["code_sends"] + 1)
        await self.store.set_identity(session.id, identity)
        return WebSession(session.id, session.secret_digest, session.created_at, session.acked,
                          identity), new_cookie

    async def verify(self, named: str | None, cookie: str | None, code: str) -> WebSession:
        """The one-time code mailed to the typed address: right, in time and within the tries, it proves
        the address, and the user becomes verified (linked by e-mail like any verified identity)."""
        session = await self.session_for(named, cookie)
        if session is None:
            raise sessions.Forbidden("")
        ident = dict(session.identity)
        if not ident.get("code") or not ident.get("email"):
            raise sessions.InvalidIdentity("no code was sent to this conversation")
        spent = ident.get("code_tries", 0) >= sessions.CODE_MAX_TRIES
        if spent or time.time() > ident.get("code_expires", 0):
            raise sessions.InvalidIdentity("the code expired: ask for a new one")
        if not hmac.compare_digest(ident["code"], sessions.digest(code.strip())):
            ident["code_tries"] = ident.get("code_tries", 0) + 1
            await self.store.set_identity(session.id, ident)
            raise sessions.InvalidIdentity("wrong code")
        verified = {"verified": True, "user_id": f"email:{ident['email']}", "name": ident.get("name"),
                    "email": ident["email"], "via": "email_code"}
        await self.store.set_identity(session.id, verified)
        return WebSession(session.id, session.secret_digest, session.created_at, session.acked, verified)

    def needs_contact(self, session: WebSession | None) -> bool:
        """Whether a report must wait for contact details (ATENDE_WEBCHAT_ASK_CONTACT=required)."""
        if self.settings.ask_contact != "required":
            return False
        return session is None or not (session.identity.get("verified") or session.identity.get("name"))

    async def history(self, session: WebSession) -> dict[str, Any]:
        key = conversation_key(session.id)
        entries = await self.store.history(key)
        return {
            "session": session.id,
            "ask_contact": self.settings.ask_contact,
            "contact": contact_json(session),
            "language": await self.store.language(key),
            "messages": [e.to_json() for e in entries],
            "cursor": entries[-1].id if entries else 0,
        }

    async def incidents(self) -> list[dict[str, Any]]:
        """The active major incidents for the banner: reference, service and since, nothing else (anyone
        who can open the page reads them). A failing lookup shows no banner rather than an error."""
        source = self.ctx.major_incidents
        if source is None or not self.settings.incident_banner:
            return []
        try:
            rows = await source()
        except Exception:
            log.exception("could not read the active major incidents for the banner")
            return []
        return [{"reference": str(r["reference"]), "service": r.get("service"), "since": r.get("since")}
                for r in rows[:MAX_BANNER_INCIDENTS]]

    async def pending(self, session: WebSession, after: int | None) -> dict[str, Any]:
        """Pushes not yet acknowledged. ``after`` acknowledges everything up to it (the page has shown it);
        a read without it changes nothing."""
        cursor = session.acked
        if after is not None:
            cursor = await self.store.acknowledge(session.id, after)
        entries = await self.store.pushed(conversation_key(session.id), cursor)
        return {"replies": [e.to_json() for e in entries], "cursor": entries[-1].id if entries else cursor}

    async def events(self, session: WebSession, after: int | None) -> AsyncIterator[str]:
        """Server-sent events: each push as an ``event: message`` with its id, then waits for the next."""
        key = conversation_key(session.id)
        cursor = session.acked if after is None else await self.store.acknowledge(session.id, after)
        wake = asyncio.Event()
        self._listeners.setdefault(key, set()).add(wake)
        loop = asyncio.get_running_loop()
        last_sent = started = loop.time()
        try:
            yield "retry: 2000\n\n"
            while loop.time() - started < STREAM_SECONDS:
                for entry in await self.store.pushed(key, cursor):
                    cursor = entry.id
                    yield sse(entry)
                    last_sent = loop.time()
                wake.clear()
                try:
                    await asyncio.wait_for(wake.wait(), STORE_RECHECK_SECONDS)
                except TimeoutError:
                    if loop.time() - last_sent >= self.settings.sse_ping_seconds:
                        yield ": ping\n\n"
                        last_sent = loop.time()
        finally:
            listeners = self._listeners.get(key)
            if listeners is not None:
                listeners.discard(wake)
                if not listeners:
                    del self._listeners[key]

    # --- pushes (the channel's Outbound) ----------------------------------------------------------------
    async def push(self, key: str, replies: Sequence[Reply], author: str | None = None) -> None:
        await self.store.append(key, "push", [reply_json(r) for r in replies], author=author)
        for wake in self._listeners.get(key, ()):
            wake.set()

    # --- helpers ----------------------------------------------------------------------------------------
    async def _option_label(self, key: str, option: str) -> str:
        """What the user saw on the button they pressed, from the last reply that offered it."""
        for entry in reversed(await self.store.history(key)):
            for o in entry.reply.get("options") or []:
                if o.get("id") == option:
                    return str(o.get("label", option))
        return option

    def _verify(self, token: str) -> sessions.VerifiedUser:
        secret = self.settings.identity_secret
        if secret is None:
            raise sessions.InvalidIdentity("identity tokens are not enabled (ATENDE_WEBCHAT_IDENTITY_SECRET)")
        return sessions.verify_identity(secret, token)

    async def _adopt(self, session: WebSession, user: sessions.VerifiedUser) -> WebSession:
        """Bind the session to the verified user; a session never changes hands to another user."""
        known = session.identity
        if known.get("verified") and known.get("user_id") != user.user_id:
            raise sessions.InvalidIdentity("this conversation belongs to another user")
        identity = {"verified": True, "user_id": user.user_id, "name": user.name, "email": user.email}
        if identity != known:
            await self.store.set_identity(session.id, identity)
        return WebSession(session.id, session.secret_digest, session.created_at, session.acked, identity)

    @staticmethod
    def _identity(session: WebSession, name: str | None) -> Identity:
        ident = session.identity
        if ident.get("verified"):
            # A verified user is the same requester in every session, and their e-mail links channels.
            return Identity(channel="web", native_id=f"user:{ident['user_id']}",
                            display_name=ident.get("name") or name, email=ident.get("email"))
        if ident.get("name") or ident.get("email"):
            # Typed, not proven: shown to agents as such, never put in ``email`` (which links identities).
            label = " · ".join(p for p in (ident.get("name"), ident.get("email")) if p)
            return Identity(channel="web", native_id=session.id, display_name=f"{label} (unverified)"[:200])
        return Identity(channel="web", native_id=session.id, display_name=name)


class ContactRequired(Exception):
    """ATENDE_WEBCHAT_ASK_CONTACT=required and the user has given no name yet."""


def contact_json(session: WebSession) -> dict[str, Any] | None:
    ident = session.identity
    if not ident:
        return None
    return {"name": ident.get("name"), "email": ident.get("email"), "verified": bool(ident.get("verified")),
            "code_sent": bool(ident.get("code"))}


CODE_TEXT = {
    "es": "Tu código de verificación de Atende es {code}. Caduca en 10 minutos. Si no lo pediste, ignora "
          "este mensaje.",
    "pt": "O seu código de verificação do Atende é {code}. Expira em 10 minutos. Se não o pediu, ignore "
          "esta mensagem.",
    "en": "Your Atende verification code is {code}. It expires in 10 minutes. If you did not ask for it, "
          "ignore this message.",
}


#: Said when the answer takes longer than the request may wait; the replies then arrive as a push.
#: Incidents the banner names at most (a storm of them is still one banner).
MAX_BANNER_INCIDENTS = 5

WORKING_ON_IT = {
    "es": "Estamos en ello: la respuesta aparecerá aquí en un momento.",
    "pt": "Estamos nisso: a resposta vai aparecer aqui em um instante.",
    "en": "We are on it: the answer will appear here in a moment.",
}


def reply_json(reply: Reply) -> dict[str, Any]:
    """The contract's reply JSON; a knowledge-base article also carries its rendering as safe HTML."""
    data = reply.to_json()
    if reply.kind == "article":
        data["html"] = to_html(reply.text)
    return data


def sse(entry: ChatEntry) -> str:
    return f"id: {entry.id}\nevent: message\ndata: {json.dumps(entry.to_json(), ensure_ascii=False)}\n\n"


class WebOutbound:
    """Pushes to web users land in the chat log; an open event stream shows them at once."""

    channel = "web"

    def __init__(self, chat: WebChat) -> None:
        self._chat = chat

    async def reply(self, message: InboundMessage, replies: Sequence[Reply]) -> None:
        """Replies that missed their request (the wait ran out, or a restart recovered the message)."""
        await self._chat.push(message.conversation_key, replies)

    async def send(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None = None) -> None:
        await self._chat.push(conversation_key, replies)

    async def send_from(self, conversation_key: str, replies: Sequence[Reply], ticket: str | None,
                        author: str) -> None:
        await self._chat.push(conversation_key, replies, author=author)
