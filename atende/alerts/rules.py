"""The alert rules (rules.yaml beside this module, or ATENDE_ALERTS_RULES_FILE): which category, impact,
urgency and service an alert gets, and the windows of flapping, staleness and major incidents. Loaded once
at start-up and validated then, so a typo fails the start with the key named, not the first alert."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from ticket_core import IMPACTS, PRIORITIES, URGENCIES, AlertPolicy

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.yaml")
#: A critical alert is at least this priority, whatever the mapping says (issue 12 §2).
CRITICAL_FLOOR = "P2"


class RulesError(ValueError):
    """The rules file is wrong; the message names the key."""


@dataclass(frozen=True, slots=True)
class CategoryRule:
    match: Mapping[str, re.Pattern[str]]
    category: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(label in labels and p.fullmatch(labels[label]) for label, p in self.match.items())


@dataclass(frozen=True, slots=True)
class Rules:
    service_labels: tuple[str, ...] = ("service", "job", "instance")
    default_category: str = "outage"
    category_rules: tuple[CategoryRule, ...] = ()
    severity_label: str = "severity"
    default_severity: tuple[str, str] = ("team", "medium")
    severities: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    policy: AlertPolicy = field(default_factory=AlertPolicy)
    major_impact: str = "organization"
    major_urgency: str = "high"
    language: str = "en"

    def service(self, labels: Mapping[str, str]) -> str | None:
        for name in self.service_labels:
            value = str(labels.get(name) or "").strip()
            if value:
                return value[:200]
        return None

    def category(self, labels: Mapping[str, str]) -> str:
        return next((r.category for r in self.category_rules if r.matches(labels)), self.default_category)

    def impact_urgency(self, labels: Mapping[str, str]) -> tuple[str, str, str]:
        """(impact, urgency, severity) for the alert's severity label (lower-cased)."""
        severity = str(labels.get(self.severity_label) or "").strip().lower()
        impact, urgency = self.severities.get(severity, self.default_severity)
        return impact, urgency, severity

    @staticmethod
    def floor(priority: str, severity: str) -> str:
        """The priority raised to P2 for a critical alert (P1 stays P1)."""
        if severity == "critical" and PRIORITIES.index(priority) > PRIORITIES.index(CRITICAL_FLOOR):
            return CRITICAL_FLOOR
        return priority


def load_rules(path: Path | None = None, categories: frozenset[str] | None = None) -> Rules:
    """Read and check the rules. ``categories``: the taxonomy's ids, when known, to refuse an unknown one."""
    source = path or DEFAULT_RULES_FILE
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{source}: {exc}") from None
    if not isinstance(data, dict):
        raise RulesError(f"{source}: expected a mapping at the top")
    try:
        return _parse(data, categories)
    except RulesError as exc:
        raise RulesError(f"{source}: {exc}") from None


def _parse(data: Mapping[str, Any], categories: frozenset[str] | None) -> Rules:
    def category_id(value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise RulesError(f"{where}: must be a category id")
        if categories is not None and value not in categories:
            raise RulesError(f"{where}: unknown category {value!r} (not in the taxonomy)")
        return value

    labels = data.get("service_labels", ["service", "job", "instance"])
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        raise RulesError("service_labels: must be a list of label names")
    cat = data.get("category") or {}
    rules = []
    for i, rule in enumerate(cat.get("rules") or []):
        where = f"category.rules[{i}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("match"), dict) or not rule["match"]:
            raise RulesError(f"{where}: needs match (label: pattern) and category")
        try:
            match = {str(k): re.compile(str(v)) for k, v in rule["match"].items()}
        except re.error as exc:
            raise RulesError(f"{where}.match: {exc}") from None
        rules.append(CategoryRule(match, category_id(rule.get("category"), f"{where}.category")))
    sev = data.get("severity") or {}
    severities = {str(k).lower(): _impact_urgency(v, f"severity.map.{k}")
                  for k, v in (sev.get("map") or {}).items()}
    major = data.get("major_incident") or {}
    window = _number(major.get("window_minutes", 15), "major_incident.window_minutes")
    threshold = int(_number(major.get("threshold", 2), "major_incident.threshold"))
    if threshold < 2:
        raise RulesError("major_incident.threshold: must be 2 or more")
    policy = AlertPolicy(
        resolve_on_resolved=_flag(data.get("resolve_on_resolved", True), "resolve_on_resolved"),
        flap_window=timedelta(minutes=_number(data.get("flap_window_minutes", 30), "flap_window_minutes")),
        major_window=timedelta(minutes=window) if window > 0 else None,
        major_threshold=threshold,
        stale_after=timedelta(hours=_number(data.get("stale_after_hours", 24), "stale_after_hours")),
        resolve_stale=_flag(data.get("resolve_stale", True), "resolve_stale"),
    )
    major_impact, major_urgency = _impact_urgency(
        {"impact": major.get("impact", "organization"), "urgency": major.get("urgency", "high")},
        "major_incident")
    language = data.get("language", "en")
    if language not in ("es", "pt", "en"):
        raise RulesError("language: must be es, pt or en")
    return Rules(
        service_labels=tuple(labels),
        default_category=category_id(cat.get("default", "outage"), "category.default"),
        category_rules=tuple(rules),
        severity_label=str(sev.get("label", "severity")),
        default_severity=_impact_urgency(sev.get("default", {"impact": "team", "urgency": "medium"}),
                                         "severity.default"),
        severities=severities,
        policy=policy,
        major_impact=major_impact,
        major_urgency=major_urgency,
        language=language,
    )


def _impact_urgency(value: Any, where: str) -> tuple[str, str]:
    if not isinstance(value, dict):
        raise RulesError(f"{where}: must be {{impact: ..., urgency: ...}}")
    impact, urgency = value.get("impact"), value.get("urgency")
    if impact not in IMPACTS:
        raise RulesError(f"{where}.impact: must be one of {', '.join(IMPACTS)}")
    if urgency not in URGENCIES:
        raise RulesError(f"{where}.urgency: must be one of {', '.join(URGENCIES)}")
    return str(impact), str(urgency)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RulesError(f"{where}: must be a number, 0 or more")
    return float(value)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise RulesError(f"{where}: must be true or false")
    return value
