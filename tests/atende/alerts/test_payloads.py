"""The receivers' pure parsing on recorded payloads (tests/fixtures/alerts): alertmanager_*.json were
captured from Alertmanager 0.25 (the Debian package) delivering to a local listener; grafana_firing.json
follows Grafana's documented webhook example. Go's nanosecond times and zero endsAt, label digests for
senders without a fingerprint, and the 400 reasons."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from atende.alerts import payloads
from atende.alerts.payloads import AlertIn, PayloadError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "alerts"


def test_recorded_alertmanager_firing_and_resolved() -> None:
    [firing] = payloads.alertmanager((FIXTURES / "alertmanager_firing.json").read_bytes())
    assert firing.source == "alertmanager" and firing.status == "firing"
    assert firing.fingerprint == "a54a59bad65b637d" and firing.labels["service"] == "erp"
    assert firing.ends_at is None  # Go's zero time while firing
    assert firing.starts() is not None and firing.starts().tzinfo is not None  # type: ignore[union-attr]
    assert firing.links["runbook"] == "https://runbooks.example/erp-api"
    assert firing.links["generatorURL"].startswith("http://prometheus.example:9090/graph")
    assert firing.group_key == '{}:{service="erp"}'
    resolved = payloads.alertmanager((FIXTURES / "alertmanager_resolved.json").read_bytes())
    assert {a.status for a in resolved} == {"resolved"} and len(resolved) == 2
    assert all(a.ends_at for a in resolved)
    assert firing.fingerprint in {a.fingerprint for a in resolved}


def test_grafana_payload_and_its_links() -> None:
    [alert] = payloads.grafana((FIXTURES / "grafana_firing.json").read_bytes())
    assert alert.source == "grafana" and alert.fingerprint == "9f8e7d6c5b4a3210"
    assert set(alert.links) == {"generatorURL", "dashboardURL", "panelURL", "silenceURL", "runbook"}
    assert alert.annotations["summary"] == "ERP p95 latency above 2s"


def test_nanoseconds_offsets_and_a_json_round_trip() -> None:
    body = {"status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": "X"},
                                             "startsAt": "2026-12-06T09:15:00.123456789+01:00"}]}
    [alert] = payloads.alertmanager(json.dumps(body).encode())
    assert alert.starts_at == "2026-12-06T08:15:00.123456+00:00"
    assert len(alert.fingerprint) == 16  # no fingerprint sent: a digest of the labels, stable
    [again] = payloads.alertmanager(json.dumps(body).encode())
    assert again.fingerprint == alert.fingerprint
    assert AlertIn.from_json(json.loads(json.dumps(alert.to_json()))) == alert


def _one(**alert: object) -> bytes:
    one = {"status": "firing", "labels": {"a": "b"}, **alert}
    return json.dumps({"status": "firing", "alerts": [one]}).encode()


@pytest.mark.parametrize(("body", "reason"), [
    (b"\xff\xfe", "not JSON"),
    (_one(labels={"a": {"nested": 1}}), "alerts[0].labels.a: must be a string"),
    (_one(fingerprint="../x y"), "alerts[0].fingerprint"),
    (_one(startsAt="2026-12-06T09:15:00"), "time zone"),
    (json.dumps({"status": "firing", "alerts": [{"status": "firing", "labels": {"a": "b"}}] * 501}).encode(),
     "more than 500"),
])
def test_refusals_name_the_field(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=re.escape(reason)):
        payloads.alertmanager(body)
