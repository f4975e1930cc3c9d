"""Settings of the Telegram connector, read from ATENDE_TELEGRAM_* variables.

The channel is on as soon as any ATENDE_TELEGRAM_* variable is present. ATENDE_TELEGRAM_TOKEN is always
required; in webhook mode (the default) ATENDE_TELEGRAM_SECRET is required too, because without it the
webhook could not tell Telegram's calls from anybody else's. A half-configured channel stops start-up with a
ConfigError naming the variable, instead of running a bot that rejects or trusts everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from connectors.base import ConfigError
from connectors.config import MappingSettings, invalid_settings, prefixed

PREFIX = "ATENDE_TELEGRAM_"


class TelegramSettings(MappingSettings):
    """Every Telegram setting; the table in docs/channels/telegram.md mirrors it."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    token: str = Field(pattern=r"^\d+:[A-Za-z0-9_-]+$", description="bot token from @BotFather")
    secret: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{16,256}$",
        description="secret_token given to setWebhook; Telegram echoes it in X-Telegram-Bot-Api-Secret-Token")
    api_base: str | None = Field(None, description="base URL of a self-hosted Bot API server "
                                 "(default https://api.telegram.org)")
    mode: Literal["webhook", "polling"] = Field("webhook", description="webhook or long polling (getUpdates)")

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v.rstrip("/")

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v


_FIELDS = ("token", "secret", "api_base", "mode")


def load_settings(env: Mapping[str, str]) -> TelegramSettings | None:
    """The Telegram settings from ``env``; None when the channel is off; ConfigError when half-configured."""
    values = prefixed(env, PREFIX, _FIELDS)
    if not values:
        return None
    if "token" not in values:
        raise ConfigError(f"{PREFIX}TOKEN is missing (other {PREFIX}* variables are set)")
    try:
        settings = TelegramSettings(**values)
    except ValidationError as exc:
        raise invalid_settings("Telegram", PREFIX, exc) from None
    if settings.mode == "webhook" and not settings.secret:
        raise ConfigError(f"{PREFIX}SECRET is missing: webhook mode needs it to authenticate Telegram's "
                          f"calls (or set {PREFIX}MODE=polling)")
    return settings

