"""Settings of the Slack connector, read from ATENDE_SLACK_* variables.

The channel is on as soon as any ATENDE_SLACK_* variable is present; then both the bot token (to answer)
and the signing secret (to authenticate every request Slack makes to us) are required. A half-configured
channel stops start-up with a ConfigError naming the missing variable.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from connectors.base import ConfigError
from connectors.config import MappingSettings, invalid_settings, prefixed

PREFIX = "ATENDE_SLACK_"


class SlackSettings(MappingSettings):
    """Every Slack setting; the table in docs/channels/slack.md mirrors it."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    bot_token: str = Field(pattern=r"^xox[a-z]-[A-Za-z0-9-]+$", description="bot user OAuth token (xoxb-...)")
    signing_secret: str = Field(min_length=16, description="the app's signing secret (Basic Information)")
    api_base: str = Field("https://slack.com/api/", description="Web API base URL (ends in /api/)")

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v.rstrip("/") + "/"


_FIELDS = ("bot_token", "signing_secret", "api_base")


def load_settings(env: Mapping[str, str]) -> SlackSettings | None:
    """The Slack settings from ``env``; None when the channel is off; ConfigError when half-configured."""
    values = prefixed(env, PREFIX, _FIELDS)
    if not values:
        return None
    for required in ("bot_token", "signing_secret"):
        if required not in values:
            raise ConfigError(f"{PREFIX}{required.upper()} is missing (other {PREFIX}* variables are set)")
    try:
        return SlackSettings(**values)
    except ValidationError as exc:
        raise invalid_settings("Slack", PREFIX, exc) from None

