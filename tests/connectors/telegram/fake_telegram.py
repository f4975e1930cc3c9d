"""A local fake of the Telegram Bot API (and its file server), for aiogram pointed at it with
``TelegramAPIServer.from_base(fake.base_url)``. It answers in the Bot API's JSON, records every call, and can
be told to fail a method (429 with retry_after, 5xx, 403) a number of times."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.connectors.fake_server import InjectedFailure, LocalFakeServer, due_failure, request_params

BOT_ID = 4242
BOT_USERNAME = "atende_bot"
TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuvwxyz"

_JSON_PARAMS = {"reply_markup", "reply_parameters", "allowed_updates"}
_INT_PARAMS = {"chat_id", "offset", "timeout", "message_id"}


@dataclass
class FakeTelegram(LocalFakeServer):
    token: str = TOKEN
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    files: dict[str, tuple[str, bytes, int | None]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    _failures: dict[str, list[InjectedFailure]] = field(default_factory=dict)
    _next_message_id: int = 1000
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self.base_url = await self.serve(app)
        return self.base_url

    # -- test helpers ------------------------------------------------------------------------------------

    def fail(self, method: str, status: int, *, times: int = 1, retry_after: int | None = None,
             description: str = "injected failure") -> None:
        self._failures.setdefault(method, []).append(InjectedFailure(status, times, retry_after, description))

    def add_file(self, file_id: str, content: bytes, *, path: str | None = None,
                 declared_size: int | None = -1) -> None:
        """A downloadable file; ``declared_size`` None hides the size, -1 tells the truth."""
        size = len(content) if declared_size == -1 else declared_size
        self.files[file_id] = (path or f"documents/{file_id}.bin", content, size)

    def push_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self._new_update.set()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]

    # -- handlers ----------------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in (await request_params(request)).items():
            if isinstance(value, str) and key in _JSON_PARAMS:
                value = json.loads(value)
            elif isinstance(value, str) and key in _INT_PARAMS:
                value = int(value)
            params[key] = value
        return params

    def _error(self, status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        headers = {}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
            headers["Retry-After"] = str(retry_after)
        return web.json_response(body, status=status, headers=headers)

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        failure = due_failure(self._failures.get(method))
        if failure is not None:
            return self._error(failure.status, failure.text, failure.retry_after)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(404, f"Not Found: method {method} not faked")
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        for _, (path, content, _) in self.files.items():
            if path == request.match_info["path"]:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404)

    # -- methods -----------------------------------------------------------------------------------------

    async def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Atende", "username": BOT_USERNAME}

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self._next_message_id += 1
        message: dict[str, Any] = {
            "message_id": self._next_message_id, "date": int(time.time()),
            "chat": {"id": params["chat_id"], "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Atende", "username": BOT_USERNAME},
            "text": params["text"]}
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params["file_id"]
        path, _content, size = self.files[file_id]
        result: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_path": path}
        if size is not None:
            result["file_size"] = size
        return result

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset") or 0
        self.updates = [u for u in self.updates if u["update_id"] >= offset]  # earlier ones are confirmed
        if not self.updates:
            self._new_update.clear()
            try:
                wait = min(float(params.get("timeout", 0)), 1.0)
                await asyncio.wait_for(self._new_update.wait(), timeout=wait)
            except TimeoutError:
                return []
        return list(self.updates)
