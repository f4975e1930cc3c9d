"""For the connector tests that run on the real product (atende.runtime with the keyword stand-ins, SQLite
ticket store, notifier) instead of a scripted intake: the runtime's lifetime, a user who wants a ticket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any


def pick(option_ids: list[str]) -> str:
    """A user who wants a ticket: declines articles, skips optional questions, otherwise takes the first."""
    for preferred in ("kb:no", "resume:restart", "route:new"):
        if preferred in option_ids:
            return preferred
    skips = [o for o in option_ids if o.endswith(":skip")]
    return (skips or [o for o in option_ids if o != "cat:other"] or option_ids)[0]


@asynccontextmanager
async def real_runtime(data_dir: Path, env: Mapping[str, str]) -> AsyncIterator[Any]:
    """The runtime with the connectors ``env`` configures; their stop hooks run and the stores close after."""
    from atende.runtime import build_runtime
    from atende.settings import Settings

    runtime = build_runtime(Settings(data_dir=data_dir, use_keyword_standins=True), env)
    await runtime.dispatcher.start()
    try:
        yield runtime
    finally:
        await runtime.dispatcher.stop()
        for mounted in runtime.mounted:
            if mounted.stop is not None:
                await mounted.stop()
        runtime.close()
