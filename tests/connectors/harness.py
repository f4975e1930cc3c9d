"""The part of a connector's test harness that Telegram and Slack share: the connector mounted in a FastAPI
app, an httpx client on it (ASGI transport), and a wait for the work done after the acknowledgement."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from connectors.base import Mounted


@dataclass
class MountedHarness:
    fake: Any
    intake: Any
    mounted: Mounted
    http: httpx.AsyncClient
    data_dir: Path

    @property
    def connector(self) -> Any:
        return self.mounted.outbound

    async def settle(self) -> None:
        """Wait for the work done after the acknowledgement (engine + deliveries)."""
        join = getattr(self.intake, "join", None)
        if join is not None:
            await join(10)
        await self.connector.work.join(10) if hasattr(self.connector, "work") else None
