"""Synthetic labelled tickets for the classifier tests (ours, so no licence question; fast to train on).

Each ticket mixes words of its category, type and priority with filler. With probability ``ambiguity`` a
ticket takes half of its category words from another category, and with probability ``noise`` its
category label is replaced by a random one; so tickets range from easy to impossible, and a calibrated
model must be less confident on the hard ones: that is what the calibration test checks.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

CATEGORIES = {
    "Technical Support": "server outage network vpn router firewall connection latency crash reboot error",
    "Billing and Payments": "invoice charge refund payment card billing subscription fee receipt overcharged",
    "Human Resources": "payroll vacation leave contract salary onboarding benefits hiring training manager",
    "Returns and Exchanges": "return exchange damaged parcel replacement warranty shipping order defective",
}
TYPES = {
    "Incident": "suddenly broken stopped failing down outage since this morning",
    "Request": "please could you provide access new install setup would like",
    "Problem": "again recurring every week keeps happening root cause repeatedly",
}
PRIORITIES = {
    "high": "urgent critical immediately blocking everyone asap",
    "medium": "soon important affects my team today",
    "low": "whenever convenient minor no rush small",
}
FILLER = (
    "hello",
    "team",
    "thanks",
    "regards",
    "the",
    "a",
    "we",
    "our",
    "my",
    "it",
    "is",
    "with",
    "for",
    "and",
)


def tickets(n: int, seed: int = 0, ambiguity: float = 0.3, noise: float = 0.1) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    cats = list(CATEGORIES)
    for _ in range(n):
        cat, typ, pri = rng.choice(cats), rng.choice(list(TYPES)), rng.choice(list(PRIORITIES))
        other = rng.choice([c for c in cats if c != cat]) if rng.random() < ambiguity else cat
        words = rng.sample(CATEGORIES[cat].split(), 2) + rng.sample(CATEGORIES[other].split(), 2)
        words += rng.sample(TYPES[typ].split(), 2) + rng.sample(PRIORITIES[pri].split(), 2)
        words += rng.sample(FILLER, 5)
        rng.shuffle(words)
        label = rng.choice(cats) if rng.random() < noise else cat
        rows.append(
            {
                "subject": f"Ticket about {words[0]}",
                "body": " ".join(words),
                "queue": label,
                "type": typ,
                "priority": pri,
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
