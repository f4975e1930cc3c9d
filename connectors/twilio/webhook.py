"""X-Twilio-Signature check, done on the raw form before anything reads it.

Twilio signs the URL it called (ATENDE_PUBLIC_URL + path + query: behind a proxy the local URL differs)
followed by every POST parameter sorted by name. A request that fails gets 403 and leaves no trace but a
log line without the signature, the token or the parameters.
"""

from __future__ import annotations

import logging
from typing import NoReturn
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 64 * 1024  # a Twilio webhook form is a few KB; message bodies are capped at 1600 chars
SIGNATURE_HEADER = "X-Twilio-Signature"


class SignedForm:
    """Verifies Twilio's signature and returns the form as a plain dict (one value per name)."""

    def __init__(self, auth_token: str, public_url: str) -> None:
        self._validator = RequestValidator(auth_token)
        self._public_url = public_url.rstrip("/")

    def signed_url(self, request: Request) -> str:
        query = request.url.query
        return f"{self._public_url}{request.url.path}" + (f"?{query}" if query else "")

    async def __call__(self, request: Request) -> dict[str, str]:
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "request body too large")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if body and ctype != "application/x-www-form-urlencoded":
            self._reject(request, "unexpected content type")
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            self._reject(request, "undecodable body")
        multi = ImmutableMultiDict(pairs)  # the validator signs every value of a repeated name
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature or not self._validator.validate(self.signed_url(request), multi, signature):
            self._reject(request, "bad signature" if signature else "no signature")
        return {name: multi.getlist(name)[0] for name in multi}

    @staticmethod
    def _reject(request: Request, why: str) -> NoReturn:
        client = request.client.host if request.client else "?"
        log.warning("rejected Twilio webhook %s from %s: %s", request.url.path, client, why)
        raise HTTPException(403, "invalid Twilio signature")
