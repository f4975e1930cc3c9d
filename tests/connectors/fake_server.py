"""What the fake provider APIs share: an aiohttp app served on a free port of 127.0.0.1.

Each fake (Bot API, Slack Web API, Twilio REST) builds its routes in ``start`` and hands the app to
:meth:`LocalFakeServer.serve`. A fake is also an async context manager, for fixtures and benchmarks:
``async with FakeSlack() as fake: ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web


@dataclass
class InjectedFailure:
    """A method told to fail: the HTTP status, for how many calls, the Retry-After to give, and the text
    (Slack's error code, Telegram's description)."""

    status: int
    times: int
    retry_after: int | None = None
    text: str = "injected failure"


def due_failure(queue: list[InjectedFailure] | None) -> InjectedFailure | None:
    """The failure this call gets, if any; each one is used up after ``times`` calls."""
    if not queue:
        return None
    failure = queue[0]
    failure.times -= 1
    if failure.times <= 0:
        queue.pop(0)
    return failure


async def request_params(request: web.Request) -> dict[str, Any]:
    """The query string plus the JSON or form body: the SDKs send either."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return params


class LocalFakeServer:
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Build the fake's app, serve it, and return its base URL."""
        raise NotImplementedError

    async def serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner = runner
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()
