"""Reading labelled tickets from CSV / CSV.gz exports, with configurable column names.

A service desk retrains on its own export, whose columns are rarely called ``subject``/``queue``; so the
text columns and the column of each head are parameters. Only the standard library is used (no pandas):
the exports are small and the package keeps its dependencies to scikit-learn and friends.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.errors import DataError
from classifier.text import compose

DEFAULT_TEXT_COLUMNS: tuple[str, ...] = ("subject", "body")
DEFAULT_LABEL_COLUMNS: dict[str, str] = {"category": "queue", "type": "type", "priority": "priority"}

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(slots=True)
class Dataset:
    """Prepared texts, one label list per head, and where they came from (for the model card)."""

    texts: list[str]
    labels: dict[str, list[str]]
    sources: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    weights: list[float] | None = None

    def __len__(self) -> int:
        return len(self.texts)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_csv(
    paths: Sequence[Path],
    text_columns: Sequence[str] = DEFAULT_TEXT_COLUMNS,
    label_columns: Mapping[str, str] = DEFAULT_LABEL_COLUMNS,
    require_labels: bool = True,
) -> Dataset:
    """Rows of every file, concatenated. A row without text is skipped; with ``require_labels`` a row with
    an empty label is skipped too (evaluation keeps it only when the label is present)."""
    if not paths:
        raise DataError("no data file given")
    data = Dataset(texts=[], labels={head: [] for head in label_columns})
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"data file not found: {path}")
        rows = 0
        with _open_text(path) as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in [*text_columns, *label_columns.values()] if c not in header]
            if missing:
                raise DataError(
                    f"{path.name}: missing column(s) {', '.join(missing)}; the file has: {', '.join(header)}"
                )
            for row in reader:
                text = compose(*(row.get(c) or "" for c in text_columns))
                labels = {head: (row.get(col) or "").strip() for head, col in label_columns.items()}
                if not text.strip() or (require_labels and not all(labels.values())):
                    data.skipped += 1
                    continue
                data.texts.append(text)
                for head, value in labels.items():
                    data.labels[head].append(value)
                rows += 1
        data.sources.append({"file": path.name, "sha256": sha256_file(path), "rows": rows})
    if not data.texts:
        raise DataError("no usable rows (every row lacked text or a label)")
    return data


def _open_text(path: Path) -> io.TextIOWrapper:
    """Text stream of a plain or gzip CSV (detected by content, not by name); undecodable bytes replaced."""
    with path.open("rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    if gz:
        return io.TextIOWrapper(gzip.GzipFile(path, "rb"), encoding="utf-8-sig", errors="replace", newline="")
    return io.TextIOWrapper(
        io.BufferedReader(io.FileIO(path, "rb")), encoding="utf-8-sig", errors="replace", newline=""
    )


def parse_label_options(options: Sequence[str]) -> dict[str, str]:
    """``["category=queue", "type=type"]`` -> ``{"category": "queue", "type": "type"}``."""
    out: dict[str, str] = {}
    for opt in options:
        head, sep, column = opt.partition("=")
        if not sep or not head.strip() or not column.strip():
            raise DataError(f"--label expects HEAD=COLUMN, got {opt!r}")
        out[head.strip()] = column.strip()
    return out
