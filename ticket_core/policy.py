"""Service-desk policy: the ITIL impact x urgency priority matrix, SLA targets and lifecycle windows.

Kept as one small immutable value so the composition root can build it from settings (a dict or a JSON text,
e.g. ``ATENDE_TICKET_POLICY``) and every partial override is validated at start-up, not when the first
ticket is filed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ticket_core.domain import IMPACTS, PRIORITIES, URGENCIES, InvalidValue
from ticket_core.durations import parse_duration
from ticket_core.sla.config import SlaConfig


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
    #: Calendars, business-time targets, pausing statuses, warnings and escalations (the SLA data file).
    #: None keeps the historical meaning: ``sla`` targets on the 24x7 clock.
    sla_config: SlaConfig | None = None

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

    @property
    def sla_setup(self) -> SlaConfig:
        """The SLA configuration the clock runs on: ``sla_config``, or ``sla`` on the 24x7 clock."""
        if self.sla_config is not None:
            return self.sla_config
        return _always_open(tuple((p, t.first_response, t.resolution) for p, t in self.sla.items()))

    def due_times(self, priority: str, start: datetime) -> tuple[datetime, datetime]:
        """(first response due, resolution due) of a ticket of ``priority`` opened at ``start`` and never
        paused, on the SLA configuration's default calendar (24x7 without one)."""
        setup = self.sla_setup
        targets, calendar = setup.targets[priority], setup.calendar_for(None)
        first, resolution = targets.first_response, targets.resolution
        return (
            calendar.add(start, first.duration) if first.mode == "business" else start + first.duration,
            calendar.add(start, resolution.duration) if resolution.mode == "business"
            else start + resolution.duration,
        )

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


@functools.lru_cache(maxsize=32)
def _always_open(durations: tuple[tuple[str, timedelta, timedelta], ...]) -> SlaConfig:
    return SlaConfig.always_open({p: (f, r) for p, f, r in durations})


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidValue(f"{what}: expected an object, got {type(value).__name__}")
    return value
