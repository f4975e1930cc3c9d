"""The SLA clock as a pure function of a ticket's event log: replaying the log gives the state, always.

Nothing here reads a database or the wall clock: :func:`replay` takes the events (anything with ``kind``,
``payload``, ``actor`` and ``at``), the targets per priority, the calendar and ``now``. So the state an API
shows, the columns the queue sorts by and the state after a calendar edit are all the same computation.

The rules, read off the log in order:

- the clocks start at ``created`` (a self-service resolution starts none; reopening it starts them then);
- both clocks run while the ticket is open and not in a pausing status (``pending_user`` by default), and
  count only the calendar's open time (a 24x7 target counts every second);
- first response completes at the first public ``agent_reply`` by an agent (never the bot, see
  :func:`ticket_core.domain.is_first_response`), or when the ticket is resolved or closed before that;
- resolution completes at ``resolved``/``closed``; a reopen resumes it where it stopped: time spent resolved
  or paused is not counted, so a reopened ticket does not instantly breach;
- a priority change re-targets both clocks against the elapsed time (measured from the start).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from ticket_core.domain import is_first_response
from ticket_core.sla.calendar import ALWAYS_OPEN, Calendar, Clockwork

TargetName = Literal["first_response", "resolution"]
TARGETS: tuple[TargetName, ...] = ("first_response", "resolution")
DONE_STATUSES = frozenset({"resolved", "closed", "self_service_resolved"})
DEFAULT_PAUSING = frozenset({"pending_user"})


class EventLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def actor(self) -> str: ...
    @property
    def at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A target duration and the clock it runs on: ``business`` (the ticket's calendar) or ``24x7``."""

    duration: timedelta
    mode: Literal["business", "24x7"] = "business"


@dataclass(frozen=True, slots=True)
class PriorityTargets:
    first_response: TargetSpec
    resolution: TargetSpec

    def get(self, name: TargetName) -> TargetSpec:
        return self.first_response if name == "first_response" else self.resolution


@dataclass(frozen=True, slots=True)
class TargetState:
    """One target of one ticket at ``now``. ``due_at``: when it breaches (or breached) if it runs on from
    now; for a completed target, the deadline it was measured against; for a paused one, the deadline if it
    resumed now. ``met`` is None until the target completes."""

    name: TargetName
    mode: str
    target: timedelta
    elapsed: timedelta
    running: bool
    paused: bool
    due_at: datetime | None
    breached_at: datetime | None
    completed_at: datetime | None

    @property
    def remaining(self) -> timedelta:
        return max(timedelta(0), self.target - self.elapsed)

    @property
    def percent(self) -> float:
        return 100.0 * (self.elapsed / self.target) if self.target > timedelta(0) else 0.0

    @property
    def breached(self) -> bool:
        return self.elapsed > self.target

    @property
    def met(self) -> bool | None:
        return None if self.completed_at is None else not self.breached

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "target_s": _seconds(self.target),
            "elapsed_s": _seconds(self.elapsed),
            "remaining_s": _seconds(self.remaining),
            "percent": round(self.percent, 2),
            "running": self.running,
            "paused": self.paused,
            "due_at": _iso(self.due_at),
            "breached_at": _iso(self.breached_at),
            "completed_at": _iso(self.completed_at),
            "met": self.met,
            "breached": self.breached,
        }


@dataclass(frozen=True, slots=True)
class SlaState:
    """Both targets of a ticket at ``computed_at``. ``active`` is False for a ticket whose SLA never
    started (a self-service resolution)."""

    calendar: str
    priority: str
    active: bool
    paused: bool
    computed_at: datetime
    first_response: TargetState
    resolution: TargetState

    def target(self, name: TargetName) -> TargetState:
        return self.first_response if name == "first_response" else self.resolution

    def to_json(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar,
            "priority": self.priority,
            "active": self.active,
            "paused": self.paused,
            "computed_at": _iso(self.computed_at),
            "first_response": self.first_response.to_json(),
            "resolution": self.resolution.to_json(),
        }


@dataclass
class _Walk:
    """The replay's running state."""

    status: str | None = None
    priority: str | None = None
    started: bool = False
    done: dict[str, datetime | None] | None = None
    last: datetime | None = None

    def running(self, name: str, pausing: frozenset[str]) -> bool:
        assert self.done is not None
        return (
            self.started
            and self.status is not None
            and self.status not in DONE_STATUSES
            and self.status not in pausing
            and self.done[name] is None
        )


def replay(
    events: Iterable[EventLike],
    targets: Mapping[str, PriorityTargets],
    calendar: Calendar,
    now: datetime,
    *,
    pausing: frozenset[str] = DEFAULT_PAUSING,
    priority: str | None = None,
) -> SlaState:
    """The SLA state at ``now`` of the ticket whose log is ``events`` (oldest first, as the store lists
    them); events after ``now`` are ignored. ``priority`` is the fallback when the log does not name one
    (it always does for tickets filed by this store)."""
    now = now.astimezone(UTC)
    walk = _Walk(priority=priority, done={"first_response": None, "resolution": None})
    assert walk.done is not None
    segments: dict[str, list[tuple[datetime, datetime]]] = {name: [] for name in TARGETS}
    for event in events:
        at = event.at.astimezone(UTC)
        if at > now:
            continue  # the state *at now*: what happened later is not known yet
        if walk.last is not None:
            at = max(at, walk.last)  # a transcript line stamped before ``created`` counts from there
            for name in TARGETS:
                if walk.running(name, pausing) and at > walk.last:
                    segments[name].append((walk.last, at))
        _apply(walk, event, at)
        walk.last = at
    end = max(now, walk.last) if walk.last is not None else now
    for name in TARGETS:
        if walk.last is not None and walk.running(name, pausing) and end > walk.last:
            segments[name].append((walk.last, end))
    chosen = walk.priority or priority or "P3"
    spec = targets[chosen]
    states = {
        name: _target_state(name, spec.get(name), calendar, segments[name], walk, pausing, end)
        for name in TARGETS
    }
    paused = walk.started and walk.status in pausing
    return SlaState(calendar.name, chosen, walk.started, paused, now, states["first_response"],
                    states["resolution"])


def _apply(walk: _Walk, event: EventLike, at: datetime) -> None:
    assert walk.done is not None
    payload = event.payload
    if event.kind == "created":
        walk.status = str(payload.get("status", "new"))
        walk.priority = str(payload.get("priority") or walk.priority or "") or None
        walk.started = walk.status not in DONE_STATUSES
    elif event.kind == "status_changed":
        before, after = str(payload.get("from")), str(payload.get("to"))
        walk.status = after
        if after in DONE_STATUSES and walk.started:
            walk.done["resolution"] = walk.done["resolution"] or at
            walk.done["first_response"] = walk.done["first_response"] or at
        elif before in DONE_STATUSES and after not in DONE_STATUSES:
            if walk.started:
                walk.done["resolution"] = None  # a reopen resumes the resolution clock where it stopped
            else:
                walk.started = True  # a self-service report turned into work: its SLA starts now
    elif event.kind == "field_changed" and payload.get("field") == "priority" and payload.get("new"):
        walk.priority = str(payload["new"])
    elif walk.started and walk.done["first_response"] is None and is_first_response(
        event.kind, payload, event.actor
    ):
        walk.done["first_response"] = at


def _target_state(
    name: TargetName,
    spec: TargetSpec,
    calendar: Calendar,
    segments: list[tuple[datetime, datetime]],
    walk: _Walk,
    pausing: frozenset[str],
    end: datetime,
) -> TargetState:
    assert walk.done is not None
    clock: Clockwork = calendar if spec.mode == "business" else ALWAYS_OPEN
    elapsed = timedelta(0)
    breached_at: datetime | None = None
    for a, b in segments:
        part = clock.business_time(a, b)
        if breached_at is None and elapsed + part > spec.duration:
            breached_at = clock.add(a, spec.duration - elapsed)
        elapsed += part
    completed = walk.done[name]
    running = walk.running(name, pausing)
    remaining = max(timedelta(0), spec.duration - elapsed)
    due: datetime | None
    if not walk.started:
        due = None
    elif breached_at is not None:
        due = breached_at
    elif completed is not None:
        due = clock.add(completed, remaining)
    else:  # running, or paused: the deadline if the clock runs on from now
        due = clock.add(end, remaining)
    paused = walk.started and completed is None and not running and walk.status in pausing
    return TargetState(name, spec.mode, spec.duration, elapsed, running, paused, due, breached_at, completed)


def _seconds(value: timedelta) -> int:
    return int(value.total_seconds())


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None
