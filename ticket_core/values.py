"""Validation and normalisation of what callers hand in, so bad values fail with :class:`InvalidValue`
naming the field instead of surfacing later as a database constraint error."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ticket_core.domain import InvalidValue

_PHONE_JUNK = re.compile(r"[\s().\-/]")
_PHONE = re.compile(r"^\+?\d{5,20}$")


def one_of(value: str, allowed: tuple[str, ...] | frozenset[str], what: str) -> str:
    if value not in allowed:
        raise InvalidValue(f"{what} must be one of {', '.join(sorted(allowed))}, got {value!r}")
    return value


def text(value: str | None, what: str, max_len: int, *, truncate: bool = False) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidValue(f"{what} must not be empty")
    if len(value) > max_len:
        if not truncate:
            raise InvalidValue(f"{what} is longer than {max_len} characters")
        value = value[: max_len - 1].rstrip() + "…"
    return value


def optional_text(value: str | None, what: str, max_len: int) -> str | None:
    value = (value or "").strip()
    if len(value) > max_len:
        raise InvalidValue(f"{what} is longer than {max_len} characters")
    return value or None


def email(value: str | None) -> str | None:
    """Lower-cased address, or None. E-mail is an identity key, so a malformed one is refused, not stored."""
    if value is None or not value.strip():
        return None
    value = value.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or len(value) > 320 or any(c.isspace() for c in value):
        raise InvalidValue(f"invalid e-mail address {value!r}")
    return value


def phone(value: str | None) -> str | None:
    """Digits with an optional leading +; spaces, dots, dashes and brackets are dropped."""
    if value is None or not value.strip():
        return None
    cleaned = _PHONE_JUNK.sub("", value.strip())
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not _PHONE.match(cleaned):
        raise InvalidValue(f"invalid phone number {value!r}")
    return cleaned


def json_object(value: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    """A JSON-safe deep copy (tuples become lists); refuses what JSON cannot store."""
    if value is None:
        return {}
    try:
        copied = json.loads(json.dumps(dict(value), default=_reject, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{what} must be JSON-serialisable: {exc}") from exc
    if not isinstance(copied, dict):
        raise InvalidValue(f"{what} must be an object")
    return copied


def aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(f"{what} must be timezone-aware, got naive {value!r}")
    return value


def _reject(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
