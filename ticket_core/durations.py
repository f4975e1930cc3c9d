"""Durations as desks write them in settings and data files: ``15`` (minutes), ``"15m"``, ``"4h"``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from ticket_core.domain import InvalidValue

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(value: Any, *, what: str, default_unit: str = "m") -> timedelta:
    """``15`` (minutes by default), ``"15m"``, ``"4h"``, ``"2d"``, ``"1w"`` or a ``timedelta``."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise InvalidValue(f"{what}: expected a duration, got {value!r}")
    elif isinstance(value, int | float):
        seconds = float(value) * _UNITS[default_unit]
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2) or default_unit]
    else:
        raise InvalidValue(f"{what}: expected a duration like 15m, 4h or 2d, got {value!r}")
    if seconds <= 0:
        raise InvalidValue(f"{what}: must be positive, got {value!r}")
    return timedelta(seconds=seconds)
