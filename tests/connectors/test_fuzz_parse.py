"""Bounded property-based fuzzing of every connector's parse() (targets in tests/fuzz/targets.py; the long
run is benchmarks/fuzz.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from tests.fuzz.targets import TARGETS

BOUNDED = settings(max_examples=75, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _bounded(name: str) -> Any:
    prop, strategies = TARGETS[name]
    return BOUNDED(given(*strategies)(prop))


test_telegram_parse_update_never_crashes = _bounded("telegram")
test_slack_parsers_never_crash = _bounded("slack")
test_twilio_parsers_never_crash = _bounded("twilio")
test_email_mime_parser_never_crashes = _bounded("email")
