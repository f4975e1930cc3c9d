"""slack_sdk's errors are translated once into ChannelError(retryable, retry_after)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from connectors.slack.client import translate


def api_error(status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> SlackApiError:
    response = AsyncSlackResponse(client=None, http_verb="POST", api_url="https://slack.com/api/chat.postMessage",
                                  req_args={}, data=data, headers=headers or {}, status_code=status)
    return SlackApiError("failed", response)


@pytest.mark.parametrize(("exc", "retryable", "retry_after", "status"), [
    (api_error(429, {"ok": False, "error": "ratelimited"}, {"retry-after": "12"}), True, 12.0, 429),
    (api_error(503, {"ok": False, "error": "service_unavailable"}), True, None, 503),
    (api_error(200, {"ok": False, "error": "internal_error"}), True, None, 200),
    (api_error(200, {"ok": False, "error": "not_in_channel"}), False, None, 200),
    (api_error(200, {"ok": False, "error": "invalid_auth"}), False, None, 200),
    (aiohttp.ServerDisconnectedError(), True, None, None),
    (TimeoutError(), True, None, None),
    (SlackRequestError("bad argument"), False, None, None),
])
def test_translate(exc: BaseException, retryable: bool, retry_after: float | None,
                   status: int | None) -> None:
    err = translate(exc)
    assert (err.retryable, err.retry_after, err.status) == (retryable, retry_after, status)


def test_other_exceptions_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        translate(KeyError("bug"))
