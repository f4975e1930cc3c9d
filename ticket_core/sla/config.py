"""The SLA data file: calendars, targets per priority, which calendar a ticket runs on, who hears about
warnings, and what a breach escalates to. Validated whole when it loads, so a typo fails at start-up.

See docs/sla.md for a worked example; ``ticket_core/sla/default.yaml`` is what a desk gets without
``ATENDE_SLA_FILE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from ticket_core.domain import PRIORITIES, STATUSES, InvalidValue
from ticket_core.durations import parse_duration
from ticket_core.sla.calendar import Calendar, Holidays, parse_hours
from ticket_core.sla.clock import (
    DEFAULT_PAUSING,
    TARGETS,
    EventLike,
    PriorityTargets,
    SlaState,
    TargetSpec,
    replay,
)

DEFAULT_FILE = Path(__file__).with_name("default.yaml")
DEFAULT_WARNINGS: tuple[int, ...] = (75, 90)
#: The level of a breach among the warning levels (a percentage of the target).
BREACH_LEVEL = 100
MODES = ("business", "24x7")


@dataclass(frozen=True, slots=True)
class Recipients:
    """Addresses per desk notification channel: ``{"email": ("ops@example.com",), "slack": ("C0123",)}``."""

    addresses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.addresses.values())

    def merged(self, other: Recipients) -> Recipients:
        out = {k: tuple(v) for k, v in self.addresses.items()}
        for channel, addrs in other.addresses.items():
            out[channel] = tuple(dict.fromkeys((*out.get(channel, ()), *addrs)))
        return Recipients(out)

    def to_json(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in sorted(self.addresses.items()) if v}


@dataclass(frozen=True, slots=True)
class CalendarRule:
    """Tickets of ``category`` (or whose requester is in ``group``) run on ``calendar``; first match wins."""

    calendar: str
    category: str | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True)
class RequesterGroup:
    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    def __contains__(self, email: object) -> bool:
        if not isinstance(email, str) or "@" not in email:
            return False
        email = email.strip().lower()
        return email in self.emails or email.rsplit("@", 1)[1] in self.domains


@dataclass(frozen=True, slots=True)
class Escalation:
    """What a breach of ``target`` does to a matching ticket (empty matchers match all)."""

    target: str | None = None
    priorities: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    raise_priority: bool = False
    reassign: str | None = None
    notify: Recipients = field(default_factory=Recipients)

    def matches(self, target: str, priority: str, category: str) -> bool:
        return (
            (self.target is None or self.target == target)
            and (not self.priorities or priority in self.priorities)
            and (not self.categories or category in self.categories)
        )


@dataclass(frozen=True, slots=True)
class SlaConfig:
    calendars: Mapping[str, Calendar]
    default_calendar: str
    targets: Mapping[str, PriorityTargets]
    rules: tuple[CalendarRule, ...] = ()
    groups: Mapping[str, RequesterGroup] = field(default_factory=dict)
    pausing: frozenset[str] = DEFAULT_PAUSING
    warnings: tuple[int, ...] = DEFAULT_WARNINGS
    channels: tuple[str, ...] = ("email", "slack")
    agents: Mapping[str, Recipients] = field(default_factory=dict)
    teams: Mapping[str, Recipients] = field(default_factory=dict)
    escalations: tuple[Escalation, ...] = ()

    def __post_init__(self) -> None:
        if self.default_calendar not in self.calendars:
            raise InvalidValue(f"sla: default_calendar {self.default_calendar!r} is not a calendar")
        for rule in self.rules:
            if rule.calendar not in self.calendars:
                raise InvalidValue(f"sla: calendar rule names unknown calendar {rule.calendar!r}")
            if rule.group is not None and rule.group not in self.groups:
                raise InvalidValue(f"sla: calendar rule names unknown group {rule.group!r}")
        missing = [p for p in PRIORITIES if p not in self.targets]
        if missing:
            raise InvalidValue(f"sla: no targets for {', '.join(missing)}")
        if set(self.pausing) - set(STATUSES):
            raise InvalidValue(f"sla: unknown pausing statuses {sorted(set(self.pausing) - set(STATUSES))}")
        if any(not 0 < w < BREACH_LEVEL for w in self.warnings):
            raise InvalidValue("sla: warnings are percentages between 0 and 100")

    @property
    def levels(self) -> tuple[int, ...]:
        """The warning levels and the breach, ascending."""
        return (*sorted(set(self.warnings)), BREACH_LEVEL)

    def calendar_for(self, category: str | None, requester_email: str | None = None) -> Calendar:
        for rule in self.rules:
            if rule.category is not None and rule.category != category:
                continue
            if rule.group is not None and requester_email not in self.groups[rule.group]:
                continue
            return self.calendars[rule.calendar]
        return self.calendars[self.default_calendar]

    def state(
        self,
        events: Iterable[EventLike],
        now: Any,
        *,
        category: str | None = None,
        requester_email: str | None = None,
        priority: str | None = None,
    ) -> SlaState:
        """The ticket's SLA state at ``now``: :func:`ticket_core.sla.clock.replay` on its calendar."""
        return replay(events, self.targets, self.calendar_for(category, requester_email), now,
                      pausing=self.pausing, priority=priority)

    def team_for(self, category: str) -> Recipients:
        return self.teams.get(category) or self.teams.get("default") or Recipients()

    def agent_recipients(self, assignee: str) -> Recipients:
        """An assignee's addresses from ``notifications.agents``; an assignee that is an e-mail address is
        reached there."""
        found = self.agents.get(assignee)
        if found:
            return found
        return Recipients({"email": (assignee,)}) if "@" in assignee else Recipients()

    def with_durations(self, overrides: Mapping[str, tuple[timedelta, timedelta]]) -> SlaConfig:
        """The same config with some priorities' durations replaced (ATENDE_SLA_TARGETS), modes kept."""
        targets = dict(self.targets)
        for priority, (first, resolution) in overrides.items():
            old = targets[priority]
            targets[priority] = PriorityTargets(replace(old.first_response, duration=first),
                                                replace(old.resolution, duration=resolution))
        return replace(self, targets=targets)

    # -- loading ------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str | None = None) -> SlaConfig:
        file = Path(path) if path else DEFAULT_FILE
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidValue(f"sla file {file}: {exc}") from None
        return cls.from_mapping(_mapping(data or {}, f"sla file {file}"))

    @classmethod
    def always_open(cls, durations: Mapping[str, tuple[timedelta, timedelta]]) -> SlaConfig:
        """Every target on the 24x7 clock (what a bare ``TicketPolicy`` has always meant)."""
        cal = Calendar("24x7", "UTC", tuple(((0, 1440),) for _ in range(7)))
        targets = {p: PriorityTargets(TargetSpec(f, "24x7"), TargetSpec(r, "24x7"))
                   for p, (f, r) in durations.items()}
        return cls(calendars={cal.name: cal}, default_calendar=cal.name, targets=targets)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SlaConfig:
        known = {"calendars", "default_calendar", "calendar_rules", "groups", "targets", "pausing_statuses",
                 "warnings", "notifications", "escalations"}
        if unknown := set(data) - known:
            raise InvalidValue(f"sla: unknown keys {sorted(unknown)}")
        calendars = {str(name): _calendar(str(name), _mapping(c, f"calendars.{name}"))
                     for name, c in _mapping(data.get("calendars", {}), "calendars").items()}
        if not calendars:
            raise InvalidValue("sla: at least one calendar is needed")
        groups = {str(name): _group(str(name), _mapping(g, f"groups.{name}"))
                  for name, g in _mapping(data.get("groups", {}), "groups").items()}
        rules = tuple(_rule(_mapping(r, "calendar_rules[]"))
                      for r in _list(data.get("calendar_rules"), "calendar_rules"))
        notifications = _mapping(data.get("notifications", {}), "notifications")
        if unknown := set(notifications) - {"channels", "agents", "teams"}:
            raise InvalidValue(f"sla: unknown notifications keys {sorted(unknown)}")
        return cls(
            calendars=calendars,
            default_calendar=str(data.get("default_calendar") or next(iter(calendars))),
            targets=_targets(_mapping(data.get("targets", {}), "targets")),
            rules=rules,
            groups=groups,
            pausing=frozenset(str(s) for s in _list(data.get("pausing_statuses", ["pending_user"]),
                                                    "pausing_statuses")),
            warnings=tuple(int(w) for w in _list(data.get("warnings", list(DEFAULT_WARNINGS)), "warnings")),
            channels=tuple(str(c) for c in _list(notifications.get("channels", ["email", "slack"]),
                                                 "notifications.channels")),
            agents={str(k): _recipients(v, f"notifications.agents.{k}")
                    for k, v in _mapping(notifications.get("agents", {}), "notifications.agents").items()},
            teams={str(k): _recipients(v, f"notifications.teams.{k}")
                   for k, v in _mapping(notifications.get("teams", {}), "notifications.teams").items()},
            escalations=tuple(_escalation(_mapping(e, "escalations[]"))
                              for e in _list(data.get("escalations"), "escalations")),
        )


def _calendar(name: str, data: Mapping[str, Any]) -> Calendar:
    if unknown := set(data) - {"timezone", "hours", "holidays"}:
        raise InvalidValue(f"calendars.{name}: unknown keys {sorted(unknown)}")
    hol = _mapping(data.get("holidays", {}), f"calendars.{name}.holidays")
    if unknown := set(hol) - {"country", "subdivision", "dates"}:
        raise InvalidValue(f"calendars.{name}.holidays: unknown keys {sorted(unknown)}")
    country, subdivision = _opt(hol.get("country")), _opt(hol.get("subdivision"))
    if country and "-" in country and subdivision is None:  # "BR-SP" shorthand
        country, subdivision = country.split("-", 1)
    dates = frozenset(_date(d, f"calendars.{name}.holidays.dates") for d in _list(hol.get("dates"), "dates"))
    return Calendar(
        name=name,
        timezone=str(data.get("timezone", "UTC")),
        hours=parse_hours(_mapping(data.get("hours", {"mon-fri": "09:00-18:00"}), f"calendars.{name}.hours"),
                          f"calendars.{name}.hours"),
        holidays=Holidays(country.upper() if country else None, subdivision.upper() if subdivision else None,
                          dates),
    )


def _group(name: str, data: Mapping[str, Any]) -> RequesterGroup:
    if unknown := set(data) - {"emails", "domains"}:
        raise InvalidValue(f"groups.{name}: unknown keys {sorted(unknown)}")
    return RequesterGroup(
        emails=frozenset(str(e).strip().lower() for e in _list(data.get("emails"), f"groups.{name}.emails")),
        domains=frozenset(str(d).strip().lower().lstrip("@")
                          for d in _list(data.get("domains"), f"groups.{name}.domains")),
    )


def _rule(data: Mapping[str, Any]) -> CalendarRule:
    if unknown := set(data) - {"calendar", "category", "group"}:
        raise InvalidValue(f"calendar_rules[]: unknown keys {sorted(unknown)}")
    if not data.get("calendar"):
        raise InvalidValue("calendar_rules[]: calendar is required")
    return CalendarRule(calendar=str(data["calendar"]), category=_opt(data.get("category")),
                        group=_opt(data.get("group")))


def _targets(data: Mapping[str, Any]) -> dict[str, PriorityTargets]:
    out: dict[str, PriorityTargets] = {}
    for priority, spec in data.items():
        if priority not in PRIORITIES:
            raise InvalidValue(f"targets: unknown priority {priority!r}")
        spec = _mapping(spec, f"targets.{priority}")
        if unknown := set(spec) - {"first_response", "resolution", "mode"}:
            raise InvalidValue(f"targets.{priority}: unknown keys {sorted(unknown)}")
        mode = _mode(spec.get("mode", "business"), f"targets.{priority}.mode")
        parts = []
        for name in TARGETS:
            value = spec.get(name)
            if value is None:
                raise InvalidValue(f"targets.{priority}: {name} is required")
            what = f"targets.{priority}.{name}"
            if isinstance(value, Mapping):
                parts.append(TargetSpec(parse_duration(value.get("duration"), what=what),
                                        _mode(value.get("mode", mode), f"{what}.mode")))
            else:
                parts.append(TargetSpec(parse_duration(value, what=what), mode))
        out[priority] = PriorityTargets(parts[0], parts[1])
    return out


def _escalation(data: Mapping[str, Any]) -> Escalation:
    # "when", not "on": YAML 1.1 reads a bare ``on`` key as the boolean True.
    if unknown := {str(k) for k in data} - {"when", "raise_priority", "reassign", "notify"}:
        raise InvalidValue(f"escalations: unknown keys {sorted(unknown)}")
    on = _mapping(data.get("when", {}), "escalations[].when")
    if unknown := set(on) - {"target", "priorities", "categories"}:
        raise InvalidValue(f"escalations[].when: unknown keys {sorted(unknown)}")
    target = _opt(on.get("target"))
    if target is not None and target not in TARGETS:
        raise InvalidValue(f"escalations[].when.target must be one of {', '.join(TARGETS)}")
    priorities = frozenset(str(p) for p in _list(on.get("priorities"), "escalations[].when.priorities"))
    if priorities - set(PRIORITIES):
        raise InvalidValue(f"escalations[].when.priorities: unknown {sorted(priorities - set(PRIORITIES))}")
    return Escalation(
        target=target,
        priorities=priorities,
        categories=frozenset(str(c) for c in _list(on.get("categories"), "escalations[].when.categories")),
        raise_priority=bool(data.get("raise_priority", False)),
        reassign=_opt(data.get("reassign")),
        notify=_recipients(data.get("notify", {}), "escalations[].notify"),
    )


def _recipients(value: Any, what: str) -> Recipients:
    return Recipients({str(channel): tuple(str(a) for a in _list(addrs, f"{what}.{channel}"))
                       for channel, addrs in _mapping(value, what).items()})


def _mode(value: Any, what: str) -> Any:
    if str(value) not in MODES:
        raise InvalidValue(f"{what}: must be business or 24x7, got {value!r}")
    return str(value)


def _date(value: Any, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(f"{what}: {value!r} is not a YYYY-MM-DD date") from None


def _opt(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _list(value: Any, what: str) -> Sequence[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple):
        raise InvalidValue(f"{what}: expected a list, got {type(value).__name__}")
    return value


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidValue(f"{what}: expected a mapping, got {type(value).__name__}")
    return value
