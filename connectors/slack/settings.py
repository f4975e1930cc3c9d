"""Settings of the Slack connector, read from ATENDE_SLACK_* variables.

The channel is on as soon as any ATENDE_SLACK_* variable is present; then both the bot token (to answer)
and the signing secret (to authenticate every request Slack makes to us) are required. A half-configured
channel stops start-up with a ConfigError naming the missing variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.base import ConfigError

PREFIX = "ATENDE_SLACK_"


class SlackSettings(BaseSettings):
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

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Values come only from the mapping handed to load_settings, so a test's env never mixes with the
        # process environment.
        return (init_settings,)


_FIELDS = ("bot_token", "signing_secret", "api_base")


def load_settings(env: Mapping[str, str]) -> SlackSettings | None:
    """The Slack settings from ``env``; None when the channel is off; ConfigError when half-configured."""
    values: dict[str, Any] = {f: env[PREFIX + f.upper()] for f in _FIELDS
                              if env.get(PREFIX + f.upper(), "").strip()}
    if not values:
        return None
    for required in ("bot_token", "signing_secret"):
        if required not in values:
            raise ConfigError(f"{PREFIX}{required.upper()} is missing (other {PREFIX}* variables are set)")
    try:
        return SlackSettings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err.get("loc") else "?"
            problems.append(f"{PREFIX}{field.upper()}: {_why(err)}")
        raise ConfigError("invalid Slack settings: " + "; ".join(problems)) from None


def _why(err: Any) -> str:
    # Never echo the offending value: it may be the token or the secret.
    if err.get("type") == "string_pattern_mismatch":
        return "has the wrong format"
    if err.get("type") == "string_too_short":
        return "is too short"
    return str(err.get("msg", "invalid"))
