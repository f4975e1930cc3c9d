"""Service-desk policy: the ITIL impact x urgency priority matrix, SLA targets and lifecycle windows.

Kept as one small immutable value so the composition root can build it from settings (a dict or a JSON text,
e.g. ``ATENDE_TICKET_POLICY``) and every partial override is validated at start-up, not when the first
ticket is filed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ticket_core.domain import IMPACTS, PRIORITIES, URGENCIES, InvalidValue


@dataclass(frozen=True, slots=True)
class SlaTarget:
    first_response: timedelta
    resolution: timedelta


DEFAULT_MATRIX: Mapping[str, Mapping[str, str]] = {
    "organization": {"high": "P1", "medium": "P2", "low": "P3"},
    "team": {"high": "P2", "medium": "P3", "low": "P4"},
    "individual": {"high": "P3", "medium": "P4", "low": "P5"},
}

DEFAULT_SLA: Mapping[str, SlaTarget] = {
    "P1": SlaTarget(timedelta(minutes=15), timedelta(hours=4)),
    "P2": SlaTarget(timedelta(hours=1), timedelta(hours=8)),
    "P3": SlaTarget(timedelta(hours=4), timedelta(days=1)),
    "P4": SlaTarget(timedelta(hours=8), timedelta(days=3)),
    "P5": SlaTarget(timedelta(days=2), timedelta(days=10)),
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(value: Any, *, what: str, default_unit: str = "m") -> timedelta:
    """``15`` (minutes by default), ``"15m"``, ``"4h"``, ``"2d"``, ``"1w"`` or a ``timedelta``."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise InvalidValue(f"{what}: expected a duration, got {value!r}")
    elif isinstance(value, int | float):
        seconds = float(value) * _UNITS[default_unit]
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2) or default_unit]
    else:
        raise InvalidValue(f"{what}: expected a duration like 15m, 4h or 2d, got {value!r}")
    if seconds <= 0:
        raise InvalidValue(f"{what}: must be positive, got {value!r}")
    return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class TicketPolicy:
    """``matrix[impact][urgency] -> priority``; ``sla[priority]``; reopen window and auto-close delay.

    A ticket resolved longer ago than ``auto_close_after`` is closed by :meth:`TicketStore.auto_close`, and a
    closed ticket cannot be reopened, so the effective reopen window of a resolved ticket is the shorter of
    the two (self-service resolutions are not auto-closed and keep the full window).
    """

    matrix: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_MATRIX)
    sla: Mapping[str, SlaTarget] = field(default_factory=lambda: DEFAULT_SLA)
    reopen_window: timedelta = timedelta(days=7)
    auto_close_after: timedelta = timedelta(days=3)

    def __post_init__(self) -> None:
        for impact in IMPACTS:
            row = self.matrix.get(impact)
            if row is None:
                raise InvalidValue(f"priority matrix: missing impact {impact!r}")
            for urgency in URGENCIES:
                if row.get(urgency) not in PRIORITIES:
                    raise InvalidValue(
                        f"priority matrix: {impact}/{urgency} must be one of {', '.join(PRIORITIES)}, "
                        f"got {row.get(urgency)!r}"
                    )
        for priority in PRIORITIES:
            if priority not in self.sla:
                raise InvalidValue(f"sla: missing target for {priority}")
        if self.reopen_window.total_seconds() < 0 or self.auto_close_after.total_seconds() <= 0:
            raise InvalidValue("reopen_window must be >= 0 and auto_close_after > 0")

    def priority(self, impact: str, urgency: str) -> str:
        if impact not in IMPACTS:
            raise InvalidValue(f"impact must be one of {', '.join(IMPACTS)}, got {impact!r}")
        if urgency not in URGENCIES:
            raise InvalidValue(f"urgency must be one of {', '.join(URGENCIES)}, got {urgency!r}")
        return self.matrix[impact][urgency]

    def due_times(self, priority: str, start: datetime) -> tuple[datetime, datetime]:
        """(first response due, resolution due) for a ticket of ``priority`` opened at ``start``."""
        target = self.sla[priority]
        return start + target.first_response, start + target.resolution

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TicketPolicy:
        """Build from settings; every key is optional and partial overrides keep the other defaults::

        {"matrix": {"team": {"high": "P1"}},
         "sla": {"P1": {"first_response": "10m", "resolution": "2h"}},
         "reopen_window_days": 14, "auto_close_days": 5}
        """
        unknown = set(data) - {"matrix", "sla", "reopen_window_days", "auto_close_days"}
        if unknown:
            raise InvalidValue(f"ticket policy: unknown keys {sorted(unknown)}")
        matrix = {impact: dict(row) for impact, row in DEFAULT_MATRIX.items()}
        for impact, row in _mapping(data.get("matrix", {}), "matrix").items():
            if impact not in matrix:
                raise InvalidValue(f"priority matrix: unknown impact {impact!r}")
            for urgency, priority in _mapping(row, f"matrix.{impact}").items():
                if urgency not in URGENCIES:
                    raise InvalidValue(f"priority matrix: unknown urgency {urgency!r}")
                matrix[impact][urgency] = str(priority).upper()
        sla = dict(DEFAULT_SLA)
        for priority, target in _mapping(data.get("sla", {}), "sla").items():
            if priority not in PRIORITIES:
                raise InvalidValue(f"sla: unknown priority {priority!r}")
            target = _mapping(target, f"sla.{priority}")
            if set(target) - {"first_response", "resolution"}:
                raise InvalidValue(f"sla.{priority}: only first_response and resolution are allowed")
            sla[priority] = SlaTarget(
                parse_duration(
                    target.get("first_response", sla[priority].first_response),
                    what=f"sla.{priority}.first_response",
                ),
                parse_duration(
                    target.get("resolution", sla[priority].resolution), what=f"sla.{priority}.resolution"
                ),
            )
        reopen = data.get("reopen_window_days", 7)
        auto_close = data.get("auto_close_days", 3)
        return cls(
            matrix=matrix,
            sla=sla,
            reopen_window=parse_duration(reopen, what="reopen_window_days", default_unit="d")
            if reopen != 0
            else timedelta(0),
            auto_close_after=parse_duration(auto_close, what="auto_close_days", default_unit="d"),
        )

    @classmethod
    def from_json(cls, text: str) -> TicketPolicy:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidValue(f"ticket policy: invalid JSON ({exc})") from exc
        return cls.from_mapping(_mapping(data, "ticket policy"))


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidValue(f"{what}: expected an object, got {type(value).__name__}")
    return value
