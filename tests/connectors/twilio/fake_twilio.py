"""A local stand-in for the Twilio REST API (Messages resource, media and recording downloads).

The real twilio SDK talks to it (``client.api.base_url``); it checks basic auth like Twilio does, records
every message created, and can be scripted to answer 429/5xx/4xx before succeeding.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.connectors.fake_server import LocalFakeServer


@dataclass
class FakeTwilio(LocalFakeServer):
    account_sid: str
    auth_token: str
    messages: list[dict[str, str]] = field(default_factory=list)
    attempts: list[float] = field(default_factory=list)  # time of every Messages.json call
    #: (status, headers, twilio error code) answered, in order, before the next successes
    failures: list[tuple[int, dict[str, str], int]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media_auth_failures: int = 0
    url: str = ""

    def _authorized(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization", "") == f"Basic {expected}"

    async def _create_message(self, request: web.Request) -> web.Response:
        self.attempts.append(time.monotonic())
        if request.match_info["sid"] != self.account_sid or not self._authorized(request):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        if self.failures:
            status, headers, code = self.failures.pop(0)
            return web.json_response({"code": code, "message": "scripted failure", "status": status,
                                      "more_info": f"https://www.twilio.com/docs/errors/{code}"},
                                     status=status, headers=headers)
        form = dict(await request.post())
        message = {k: str(v) for k, v in form.items()}
        self.messages.append(message)
        sid = "SM" + secrets.token_hex(16)
        return web.json_response({
            "sid": sid, "account_sid": self.account_sid, "to": message.get("To"),
            "from": message.get("From"), "body": message.get("Body"), "status": "queued",
            "num_media": "0", "direction": "outbound-api", "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }, status=201)

    async def _media(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            self.media_auth_failures += 1
            return web.Response(status=401)
        # Twilio redirects media to short-lived storage on another host; the fake redirects to /cdn.
        raise web.HTTPTemporaryRedirect(f"/cdn/{request.match_info['name']}")

    async def _cdn(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.media:
            return web.Response(status=404)
        body, ctype = self.media[name]
        return web.Response(body=body, content_type=ctype)

    def media_url(self, name: str) -> str:
        return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages/MM{'0' * 32}/Media/{name}"

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages/{msg}/Media/{name}", self._media)
        app.router.add_get("/cdn/{name}", self._cdn)
        self.url = await self.serve(app)
        return self.url

    def bodies_to(self, to: str) -> list[str]:
        return [m.get("Body", "") for m in self.messages if m.get("To") == to]
