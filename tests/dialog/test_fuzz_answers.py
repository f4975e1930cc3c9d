"""Bounded property-based fuzzing of the dialog answer parsers (yes/no, dates, ratings, choices, playbook
answers); targets in tests/fuzz/targets.py, the long run is benchmarks/fuzz.py."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tests.fuzz.targets import TARGETS

_prop, _strategies = TARGETS["answers"]

test_answer_parsers_never_crash = settings(
    max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)(given(*_strategies)(_prop))
