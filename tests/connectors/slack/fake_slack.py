"""A local fake of the Slack Web API (and its file host), for slack_sdk's AsyncWebClient pointed at it with
``base_url=fake.base_url + "/api/"``. It checks the bot token, answers in the Web API's JSON, records every
call, and can be told to fail a method (429 with Retry-After, 5xx, or an ``ok: false`` error)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.connectors.fake_server import InjectedFailure, LocalFakeServer, due_failure, request_params

BOT_TOKEN = "xoxb-1111-2222-testtoken"
BOT_USER = "UBOT01"
TEAM = "T0TEAM"


@dataclass
class FakeSlack(LocalFakeServer):
    token: str = BOT_TOKEN
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    users_scope: bool = True  # False: users.info answers missing_scope
    files: dict[str, bytes] = field(default_factory=dict)
    file_requests: list[tuple[str, str | None]] = field(default_factory=list)
    base_url: str = ""
    _failures: dict[str, list[InjectedFailure]] = field(default_factory=dict)
    _ts: int = 0

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/files/{path:.+}", self._file)
        self.base_url = await self.serve(app)
        return self.base_url

    # -- test helpers ------------------------------------------------------------------------------------

    def fail(self, method: str, status: int = 200, *, error: str = "internal_error", times: int = 1,
             retry_after: int | None = None) -> None:
        self._failures.setdefault(method, []).append(InjectedFailure(status, times, retry_after, error))

    def add_user(self, user_id: str, *, email: str | None = None, confirmed: bool = True,
                 name: str = "Ana Souza", locale: str = "pt-BR") -> None:
        profile: dict[str, Any] = {"display_name": name, "real_name": name}
        if email:
            profile["email"] = email
        self.users[user_id] = {"id": user_id, "team_id": TEAM, "name": name.split()[0].lower(),
                               "real_name": name, "is_bot": False, "is_email_confirmed": confirmed,
                               "locale": locale, "profile": profile}

    def file_url(self, file_id: str, name: str) -> str:
        return f"{self.base_url}/files/{file_id}/{name}"

    def posted(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]

    # -- handlers ----------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await request_params(request)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        self.calls.append((method, params))
        failure = due_failure(self._failures.get(method))
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return web.json_response({"ok": False, "error": failure.text}, status=failure.status,
                                     headers=headers)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        try:
            return web.json_response({"ok": True, **handler(params)})
        except _Refusal as refusal:  # Slack answers refusals with 200 and ok: false
            return web.json_response({"ok": False, "error": str(refusal)})

    async def _file(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization")
        self.file_requests.append((request.match_info["path"], auth))
        if auth != f"Bearer {self.token}":
            return web.Response(text="<html>sign in</html>", content_type="text/html")
        file_id = request.match_info["path"].split("/")[0]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    # -- methods -----------------------------------------------------------------------------------------

    def _next_ts(self) -> str:
        self._ts += 1
        return f"{int(time.time())}.{self._ts:06d}"

    def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://example.slack.com/", "team": "Example", "user": "atende", "team_id": TEAM,
                "user_id": BOT_USER, "bot_id": "BBOT01"}

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        return {"channel": params.get("channel"), "ts": ts,
                "message": {"type": "message", "text": params.get("text"), "ts": ts, "bot_id": "BBOT01"}}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": params.get("channel"), "ts": params.get("ts"), "text": params.get("text")}

    def _m_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": {"id": "D" + str(params.get("users", "X"))[1:]}}

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        if not self.users_scope:
            raise _Refusal("missing_scope")
        user = self.users.get(str(params.get("user")))
        if user is None:
            raise _Refusal("user_not_found")
        return {"user": user}


class _Refusal(Exception):
    pass
