"""The three receivers' payloads, checked and turned into :class:`AlertIn` (one per alert).

Anything unexpected is a :class:`PayloadError` whose message is the 400's reason, naming the field: an
operator fixing a Zabbix script or an Alertmanager template reads it in the sender's log. Parsing happens
only after the request was authenticated (routes.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

#: More alerts than this in one notification is refused (Alertmanager's and Grafana's max_alerts cap it).
MAX_ALERTS = 500
MAX_LABELS = 64
MAX_VALUE_CHARS = 4000

FIRING_WORDS = frozenset({"firing", "problem", "down", "alerting", "critical", "warning", "unknown"})
RESOLVED_WORDS = frozenset({"resolved", "ok", "up", "recovery", "normal"})
#: Go's zero time: what Alertmanager and Grafana send as endsAt while an alert fires.
_ZERO_YEAR = 1


class PayloadError(ValueError):
    """The payload is not what the receiver accepts; the message says why."""


@dataclass(frozen=True, slots=True)
class AlertIn:
    """One alert, source-neutral; JSON-able, so it travels in the inbox row's extras."""

    source: str
    fingerprint: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    starts_at: str | None = None
    ends_at: str | None = None
    group_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertIn:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def starts(self) -> datetime | None:
        return datetime.fromisoformat(self.starts_at) if self.starts_at else None

    def ends(self) -> datetime | None:
        return datetime.fromisoformat(self.ends_at) if self.ends_at else None


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not JSON: {exc}") from None


def alertmanager(body: bytes) -> list[AlertIn]:
    """Alertmanager's webhook, version 4: {version, groupKey, status, receiver, alerts: [{status, labels,
    annotations, startsAt, endsAt, generatorURL, fingerprint}], ...}."""
    data = _object(load_json(body), "body")
    version = data.get("version")
    if version is not None and str(version) != "4":
        raise PayloadError(f"version: Alertmanager webhook version 4 expected, got {version!r}")
    return _grouped(data, "alertmanager", ("generatorURL",))


def grafana(body: bytes) -> list[AlertIn]:
    """Grafana alerting's webhook: Alertmanager's shape plus orgId, title, state, message and, per alert,
    dashboardURL, panelURL, silenceURL, values."""
    data = _object(load_json(body), "body")
    return _grouped(data, "grafana", ("generatorURL", "dashboardURL", "panelURL", "silenceURL"))


def generic(body: bytes) -> list[AlertIn]:
    """The generic schema (docs/alerts.md): one alert object, or {"alerts": [alert, ...]}."""
    data = _object(load_json(body), "body")
    items = data.get("alerts", [data])
    if not isinstance(items, list) or not items:
        raise PayloadError("alerts: must be a non-empty list")
    if len(items) > MAX_ALERTS:
        raise PayloadError(f"alerts: more than {MAX_ALERTS} in one request")
    return [_generic_one(_object(item, f"alerts[{i}]"), f"alerts[{i}]") for i, item in enumerate(items)]


def _generic_one(a: Mapping[str, Any], where: str) -> AlertIn:
    ident = _text(a.get("id"), f"{where}.id", required=True)
    word = _text(a.get("status"), f"{where}.status", required=True).lower()
    status = _status_word(word, f"{where}.status")
    labels = _strings(a.get("labels") or {}, f"{where}.labels")
    for key in ("severity", "service"):
        value = _text(a.get(key), f"{where}.{key}")
        if value:
            labels.setdefault(key, value)
    host = _text(a.get("host"), f"{where}.host")
    if host:
        labels.setdefault("instance", host)
    title = _text(a.get("title"), f"{where}.title", required=status == "firing")
    labels.setdefault("alertname", title or ident)
    annotations = {"summary": title} if title else {}
    description = _text(a.get("description"), f"{where}.description")
    if description:
        annotations["description"] = description
    links = _strings(a.get("links") or {}, f"{where}.links")
    return AlertIn(
        source="generic", fingerprint=ident[:150], status=status, labels=labels, annotations=annotations,
        links=links, starts_at=_time(a.get("starts_at"), f"{where}.starts_at"),
        ends_at=_time(a.get("ends_at"), f"{where}.ends_at"),
    )


def _grouped(data: Mapping[str, Any], source: str, link_keys: tuple[str, ...]) -> list[AlertIn]:
    top = data.get("status")
    if top not in ("firing", "resolved"):
        raise PayloadError(f"status: must be firing or resolved, got {top!r}")
    items = data.get("alerts")
    if not isinstance(items, list) or not items:
        raise PayloadError("alerts: must be a non-empty list")
    if len(items) > MAX_ALERTS:
        raise PayloadError(f"alerts: more than {MAX_ALERTS} in one notification")
    group_key = _text(data.get("groupKey"), "groupKey")
    out = []
    for i, raw in enumerate(items):
        where = f"alerts[{i}]"
        a = _object(raw, where)
        status = a.get("status")
        if status not in ("firing", "resolved"):
            raise PayloadError(f"{where}.status: must be firing or resolved, got {status!r}")
        labels = _strings(a.get("labels"), f"{where}.labels")
        if not labels:
            raise PayloadError(f"{where}.labels: must not be empty")
        annotations = _strings(a.get("annotations") or {}, f"{where}.annotations")
        fingerprint = _text(a.get("fingerprint"), f"{where}.fingerprint") or _label_digest(labels)
        if not re.fullmatch(r"[A-Za-z0-9_.:\-]{1,150}", fingerprint):
            raise PayloadError(f"{where}.fingerprint: 1 to 150 letters, digits or _.:-")
        links = {k: v for k in link_keys if (v := _text(a.get(k), f"{where}.{k}"))}
        for k in ("runbook_url", "dashboard_url", "runbook", "dashboard"):
            if annotations.get(k):
                links.setdefault(k.removesuffix("_url"), annotations[k])
        out.append(AlertIn(
            source=source, fingerprint=fingerprint, status=status, labels=labels, annotations=annotations,
            links=links, starts_at=_time(a.get("startsAt"), f"{where}.startsAt"),
            ends_at=_time(a.get("endsAt"), f"{where}.endsAt"), group_key=group_key,
        ))
    return out


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where}: must be a JSON object")
    return value


def _text(value: Any, where: str, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise PayloadError(f"{where}: required")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(f"{where}: must be a string")
    text = str(value).strip()
    if len(text) > MAX_VALUE_CHARS:
        raise PayloadError(f"{where}: longer than {MAX_VALUE_CHARS} characters")
    if required and not text:
        raise PayloadError(f"{where}: required")
    return text


def _strings(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where}: must be an object of strings")
    if len(value) > MAX_LABELS:
        raise PayloadError(f"{where}: more than {MAX_LABELS} entries")
    out = {}
    for k, v in value.items():
        if not isinstance(k, str) or not k or len(k) > 200:
            raise PayloadError(f"{where}: keys must be 1 to 200 characters")
        text = _text(v, f"{where}.{k}")
        if text:
            out[k] = text
    return out


def _status_word(word: str, where: str) -> str:
    if word in FIRING_WORDS:
        return "firing"
    if word in RESOLVED_WORDS:
        return "resolved"
    words = ", ".join(sorted(FIRING_WORDS | RESOLVED_WORDS))
    raise PayloadError(f"{where}: must be one of {words}, got {word!r}")


_FRACTION = re.compile(r"(\.\d{6})\d+")


def _time(value: Any, where: str) -> str | None:
    """RFC 3339 (Go's nanoseconds included) to an ISO string in UTC; Go's zero time and absence to None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise PayloadError(f"{where}: must be an RFC 3339 time")
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()).replace("z", "Z"))
    except ValueError:
        raise PayloadError(f"{where}: must be an RFC 3339 time, got {value!r}") from None
    if parsed.tzinfo is None:
        raise PayloadError(f"{where}: needs a time zone (Z or +hh:mm)")
    if parsed.year <= _ZERO_YEAR:
        return None
    return parsed.astimezone(UTC).isoformat()


def _label_digest(labels: Mapping[str, str]) -> str:
    """Older senders give no fingerprint: the labels identify the alert, as in Alertmanager."""
    canonical = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
