"""Known-outage matching (issue 12 §3): how often a report is offered the right active outage, per language.

    .venv/bin/python benchmarks/outages.py

Two outages are active, filed as the alert receivers file them (English summary and description):
"ERP is down" (service ERP) and "Intranet portal returns 503" (service intranet). Reports:

- benchmarks/data/outage_reports.jsonl: 30 reports about them (10 es, 10 pt, 10 en), written for this
  benchmark by the author of the glossary (atende/adapters/outages.yaml): an optimistic set;
- benchmarks/data/triage_eval.jsonl: the 150 triage reports (50 per language), none about the ERP or the
  intranet: each one offered an outage is a false offer.

The category handed to the matcher is the report's labelled category (an exact classifier); ``recall`` counts
reports offered their own outage, ``false offers`` reports offered one they are not about.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))
_spec = importlib.util.spec_from_file_location("_bench_common", _HERE / "_common.py")
assert _spec is not None and _spec.loader is not None
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)
table = _common.table

from atende.adapters.outages import Candidate, TextMatcher, best_match  # noqa: E402

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
OUTAGES = {
    "erp": Candidate("INC-000101", "ERP is down", "The ERP application servers do not answer health checks."
                     "\n\nLabels:\n  alertname=ErpDown\n  service=ERP\n  severity=critical", "outage", "ERP",
                     ("ERP",), NOW, True),
    "intranet": Candidate("INC-000102", "Intranet portal returns 503", "intranet web frontend 5xx ratio "
                          "above 50%\n\nLabels:\n  alertname=Intranet5xx\n  service=intranet", "outage",
                          "intranet", ("intranet",), NOW, True),
}
THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def load(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (_HERE / "data" / name).read_text(encoding="utf-8").splitlines()
            if line.strip()]


def main() -> None:
    matcher = TextMatcher()
    outages = list(OUTAGES.values())
    positives, negatives = load("outage_reports.jsonl"), load("triage_eval.jsonl")
    rows = []
    timings: list[float] = []
    for threshold in THRESHOLDS:
        for lang in ("es", "pt", "en"):
            hit = wrong = false = 0
            pos = [r for r in positives if r["language"] == lang]
            neg = [r for r in negatives if r["language"] == lang]
            for r in pos + neg:
                start = time.perf_counter()
                found = best_match(matcher, r["text"], r["category"], outages, threshold)
                timings.append((time.perf_counter() - start) * 1000)
                expected = OUTAGES[r["outage"]].reference if "outage" in r else None
                got = found[0].reference if found else None
                if expected and got == expected:
                    hit += 1
                elif got is not None and got != expected:
                    wrong += 1 if expected else 0
                    false += 0 if expected else 1
            rows.append([f"{threshold:.2f}", lang, f"{hit}/{len(pos)}", f"{wrong}", f"{false}/{len(neg)}"])
    print(table(["threshold", "lang", "recall", "wrong outage", "false offers"], rows))
    timings.sort()
    print(f"\nmatch time per report, 2 outages: median {timings[len(timings) // 2]:.2f} ms, "
          f"p99 {timings[int(len(timings) * 0.99)]:.2f} ms")


if __name__ == "__main__":
    main()
