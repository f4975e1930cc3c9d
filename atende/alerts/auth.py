"""Who may post alerts: the bearer token ``ATENDE_ALERTS_TOKEN`` (what Alertmanager's
``http_config.authorization`` sends), HTTP basic auth whose password is that token (any user name), or, for
Grafana only, its HMAC-SHA256 signature with ``ATENDE_GRAFANA_HMAC_SECRET``. Every comparison is
constant-time, and every check runs before the body is parsed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

from starlette.datastructures import Headers

#: A signed Grafana request whose timestamp is further than this from our clock is a replay (or a clock
#: problem worth hearing about): refused.
TIMESTAMP_TOLERANCE_S = 300


def token_ok(headers: Headers, token: str) -> bool:
    """Bearer <token>, or Basic base64(user:<token>)."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    credentials = credentials.strip()
    if not credentials:
        return False
    if scheme.lower() == "bearer":
        return hmac.compare_digest(credentials.encode(), token.encode())
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True)
        except (binascii.Error, ValueError):
            return False
        _user, sep, password = decoded.partition(b":")
        return bool(sep) and hmac.compare_digest(password, token.encode())
    return False


def grafana_signature_ok(headers: Headers, body: bytes, secret: str, signature_header: str,
                         timestamp_header: str, now: float | None = None) -> bool:
    """Grafana's webhook HMAC: hex(HMAC-SHA256(secret, body)), or over ``timestamp + ":" + body`` when the
    contact point names a timestamp header (then the timestamp must be recent: a captured request cannot
    be replayed later)."""
    given = headers.get(signature_header, "").strip().lower()
    if not given:
        return False
    message = body
    stamp = headers.get(timestamp_header)
    if stamp is not None:
        stamp = stamp.strip()
        if not stamp.isdigit():
            return False
        if abs((now if now is not None else time.time()) - int(stamp)) > TIMESTAMP_TOLERANCE_S:
            return False
        message = stamp.encode() + b":" + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.encode(), expected.encode())
