"""Drives the Twilio connector as Twilio would: signed form posts to a FastAPI app holding its router."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from twilio.request_validator import RequestValidator

from connectors.base import Mounted
from connectors.twilio.messaging import TwilioMessaging
from tests.connectors.twilio.fake_twilio import FakeTwilio

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "9" * 32
PUBLIC_URL = "https://atende.example.test"
WHATSAPP_FROM = "whatsapp:+14155238886"
SMS_FROM = "+15005550006"
USER = "+34600111222"
CALLER = "+5511987654321"


@dataclass
class TwilioHarness:
    mounted: Mounted
    client: httpx.AsyncClient
    fake: FakeTwilio
    intake: Any
    token: str = AUTH_TOKEN

    @property
    def messaging(self) -> TwilioMessaging:
        assert isinstance(self.mounted.outbound, TwilioMessaging)
        return self.mounted.outbound

    def sign(self, url: str, params: dict[str, str], token: str | None = None) -> str:
        return RequestValidator(token or self.token).compute_signature(url, params)

    async def post(self, url: str, params: dict[str, str], *, signature: str | None = None,
                   signed_url: str | None = None) -> httpx.Response:
        """POST ``params`` to ``url`` (a path or an absolute public URL taken from TwiML), signed like
        Twilio signs it unless ``signature`` is given."""
        path = url.removeprefix(PUBLIC_URL)
        sig = signature if signature is not None else self.sign(signed_url or PUBLIC_URL + path, params)
        headers = {"X-Twilio-Signature": sig} if sig else {}
        return await self.client.post(path, data=params, headers=headers)

    async def settle(self) -> None:
        join = getattr(self.intake, "join", None)
        if join is not None:
            await join(10)
        await self.messaging.drain()


def make_app(mounted: Mounted) -> FastAPI:
    app = FastAPI()
    app.include_router(mounted.router)
    return app


def message_params(body: str, *, sid: str, sender: str = f"whatsapp:{USER}", to: str = WHATSAPP_FROM,
                   **more: str) -> dict[str, str]:
    """An inbound message webhook as Twilio posts it (the fields the connector reads, plus noise)."""
    params = {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "Ana", "SmsSid": sid, "WaId": USER[1:],
              "SmsStatus": "received", "Body": body, "To": to, "NumSegments": "1", "MessageType": "text",
              "ReferralNumMedia": "0", "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender,
              "ApiVersion": "2010-04-01"}
    if not sender.startswith("whatsapp:"):
        for key in ("ProfileName", "WaId", "MessageType"):
            params.pop(key)
    params.update(more)
    return params


def call_params(call_sid: str, caller: str = CALLER, **more: str) -> dict[str, str]:
    params = {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": call_sid,
              "CallStatus": "in-progress", "Called": "+15005550006", "Caller": caller, "Direction": "inbound",
              "From": caller, "To": "+15005550006", "FromCountry": "BR"}
    params.update(more)
    return params


@dataclass
class TwiML:
    """The bits of a TwiML answer the tests look at."""

    root: ET.Element

    @classmethod
    def parse(cls, response: httpx.Response) -> TwiML:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        return cls(ET.fromstring(response.text))

    def says(self) -> list[str]:
        return [el.text or "" for el in self.root.iter("Say")]

    def spoken(self) -> str:
        return " ".join(self.says())

    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    def action(self) -> str:
        gather = self.gather()
        assert gather is not None, ET.tostring(self.root)
        return gather.attrib["action"]

    def record_action(self) -> str:
        record = self.root.find("Record")
        assert record is not None, ET.tostring(self.root)
        return record.attrib["action"]

    def hangs_up(self) -> bool:
        return self.root.find("Hangup") is not None
