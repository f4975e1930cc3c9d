"""Settings of the Twilio connector (WhatsApp, SMS, voice IVR), read from ATENDE_* variables.

The channel is on when ATENDE_TWILIO_ACCOUNT_SID and ATENDE_TWILIO_AUTH_TOKEN are both present. Any other
ATENDE_TWILIO_* variable without them, or the pair without ATENDE_PUBLIC_URL (every webhook signature is
computed over the public URL), is a half-configured channel: start-up stops with a ConfigError naming the
missing variable instead of running a channel that would reject every request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from connectors.base import ConfigError
from connectors.config import MappingSettings

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PREFIX = "ATENDE_"


class TwilioSettings(MappingSettings):
    """Every Twilio setting; the table in docs/channels/twilio.md mirrors it."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    public_url: str = Field(description="public base URL Twilio calls; the signed URL is this + path + query")
    twilio_account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$", description="account SID (AC...)")
    twilio_auth_token: str = Field(min_length=8, description="auth token: signs webhooks, authenticates REST")
    twilio_whatsapp_from: str | None = Field(None, description="WhatsApp sender, whatsapp:+E164 (or +E164)")
    twilio_sms_from: str | None = Field(None, description="SMS sender: +E164 or messaging service MG...")
    twilio_api_base: str = Field("https://api.twilio.com", description="REST API base URL")
    twilio_whatsapp_template_sid: str | None = Field(
        None, pattern=r"^HX[0-9a-fA-F]{32}$",
        description="content template (HX...) used for agent pushes outside WhatsApp's 24-hour window")

    @field_validator("public_url", "twilio_api_base")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v.rstrip("/")

    @field_validator("twilio_whatsapp_from")
    @classmethod
    def _whatsapp_from(cls, v: str | None) -> str | None:
        if v is None:
            return None
        number = v.removeprefix("whatsapp:")
        if not E164.match(number):
            raise ValueError("must be whatsapp:+<E.164 number>")
        return f"whatsapp:{number}"

    @field_validator("twilio_sms_from")
    @classmethod
    def _sms_from(cls, v: str | None) -> str | None:
        if v is None or E164.match(v) or re.match(r"^MG[0-9a-fA-F]{32}$", v):
            return v
        raise ValueError("must be a +E.164 number or a messaging service SID (MG...)")


_REQUIRED = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


def load_settings(env: Mapping[str, str], public_url: str | None = None) -> TwilioSettings | None:
    """The Twilio settings from ``env``, None when the channel is off; ConfigError when half-configured.

    ``public_url`` (the composition root's ATENDE_PUBLIC_URL) wins over the one in ``env``.
    """
    present = {k[len(PREFIX):].lower(): v for k, v in env.items()
               if k.startswith(PREFIX + "TWILIO_") and v.strip() != ""}
    if not present:
        return None
    for name in _REQUIRED:
        if name.lower() not in present:
            raise ConfigError(f"{PREFIX}{name} is required when the Twilio channel is configured")
    values: dict[str, Any] = dict(present)
    url = public_url or env.get(PREFIX + "PUBLIC_URL")
    if not url:
        raise ConfigError(f"{PREFIX}PUBLIC_URL is required by the Twilio channel (webhook signatures are "
                          "computed over the public URL)")
    values["public_url"] = url
    try:
        return TwilioSettings(**values)
    except ValidationError as exc:
        problems = [f"{PREFIX}{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid Twilio settings: " + "; ".join(problems)) from None
