"""aiogram's typed errors are translated once into ChannelError(retryable, retry_after)."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetMe

from connectors.telegram.client import translate

M = GetMe()


@pytest.mark.parametrize(("exc", "retryable", "retry_after", "status"), [
    (TelegramRetryAfter(method=M, message="Too Many Requests", retry_after=7), True, 7.0, 429),
    (TelegramServerError(method=M, message="Bad Gateway"), True, None, 500),
    (RestartingTelegram(method=M, message="restarting"), True, None, 500),
    (TelegramNetworkError(method=M, message="timeout"), True, None, None),
    (ClientDecodeError("Failed to decode object", ValueError("x"), "<html>"), True, None, None),
    (aiohttp.ClientConnectionError("refused"), True, None, None),
    (TimeoutError(), True, None, None),
    (TelegramForbiddenError(method=M, message="Forbidden: bot was blocked by the user"), False, None, 403),
    (TelegramUnauthorizedError(method=M, message="Unauthorized"), False, None, 401),
    (TelegramBadRequest(method=M, message="Bad Request: chat not found"), False, None, 400),
])
def test_translate(exc: BaseException, retryable: bool, retry_after: float | None,
                   status: int | None) -> None:
    err = translate(exc)
    assert (err.retryable, err.retry_after, err.status) == (retryable, retry_after, status)


def test_other_exceptions_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        translate(KeyError("bug"))
