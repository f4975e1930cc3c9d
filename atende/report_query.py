"""The report for a query of the API or the console page (``from``, ``to``, ``tz``), with the same 400s."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException

from ticket_core import InvalidValue

if TYPE_CHECKING:
    from atende.runtime import Runtime

PARAMS = frozenset({"from", "to", "tz"})


async def summary(runtime: Runtime, query: Mapping[str, str]) -> dict[str, Any]:
    """The report for a query (``from``, ``to``, ``tz``); HTTPException 400 for a bad one."""
    unknown = sorted(set(query) - PARAMS)
    if unknown:
        raise HTTPException(status_code=400, detail=f"unknown parameter(s): {', '.join(unknown)}")
    missing = [k for k in ("from", "to") if not query.get(k)]
    if missing:
        raise HTTPException(status_code=400, detail=f"missing {' and '.join(missing)} (YYYY-MM-DD)")
    tz = query.get("tz") or (runtime.settings.reports_timezone or runtime.settings.timezone)
    try:
        return await asyncio.to_thread(runtime.tickets.report_summary, query["from"], query["to"], tz)
    except InvalidValue as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
