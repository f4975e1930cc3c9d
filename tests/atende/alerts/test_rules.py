"""rules.yaml (issue 12 §2): the shipped file loads against the shipped taxonomy; category rules, severity
mapping with the critical floor, service label order; a wrong file fails naming the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from atende.alerts.rules import RulesError, load_rules
from atende.settings import REPO_ROOT
from dialog.taxonomy import Taxonomy


def test_the_shipped_rules_fit_the_shipped_taxonomy() -> None:
    ids = frozenset(Taxonomy.load(REPO_ROOT / "dialog" / "taxonomy" / "it.yaml", ("es", "pt", "en")).ids)
    rules = load_rules(None, ids)
    assert rules.default_category == "outage" and "outage" in ids
    assert rules.category({"alertname": "NodeFilesystemAlmostFull"}) == "hardware"
    assert rules.category({"alertname": "ErpDown"}) == "outage"
    assert rules.service({"job": "node", "instance": "db1:9100"}) == "node"
    assert rules.service({"instance": "db1:9100"}) == "db1:9100"
    assert rules.service({"alertname": "x"}) is None
    assert rules.impact_urgency({"severity": "CRITICAL"}) == ("organization", "high", "critical")
    assert rules.impact_urgency({}) == ("team", "medium", "")
    assert rules.policy.flap_window == timedelta(minutes=30) and rules.policy.major_threshold == 2


def test_critical_is_at_least_p2_whatever_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("severity:\n  map:\n    critical: {impact: individual, urgency: low}\n")
    rules = load_rules(path)
    impact, urgency, severity = rules.impact_urgency({"severity": "critical"})
    assert (impact, urgency) == ("individual", "low")
    assert rules.floor("P5", severity) == "P2" and rules.floor("P1", severity) == "P1"
    assert rules.floor("P5", "warning") == "P5"


@pytest.mark.parametrize(("text", "key"), [
    ("category: {default: nonsense}", "category.default"),
    ("category: {rules: [{match: {alertname: '('}, category: outage}]}", "category.rules[0].match"),
    ("severity: {map: {critical: {impact: huge, urgency: high}}}", "severity.map.critical.impact"),
    ("flap_window_minutes: soon", "flap_window_minutes"),
    ("major_incident: {threshold: 1}", "major_incident.threshold"),
    ("resolve_on_resolved: maybe", "resolve_on_resolved"),
    ("language: fr", "language"),
    ("- a list", "mapping"),
])
def test_a_wrong_rules_file_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RulesError, match=key.replace("[", r"\[").replace("]", r"\]")):
        load_rules(path, frozenset({"outage", "hardware"}))


def test_window_zero_turns_major_incidents_off(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("major_incident: {window_minutes: 0}\nresolve_on_resolved: false\n")
    rules = load_rules(path)
    assert rules.policy.major_window is None and rules.policy.resolve_on_resolved is False
