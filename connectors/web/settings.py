"""Settings of the web chat, read from ATENDE_WEBCHAT_* variables. The web chat is always on.

ATENDE_WEBCHAT_ALLOWED_ORIGINS lists the intranet pages allowed to embed the chat (the widget's iframe):
it becomes the page's CSP ``frame-ancestors``. ATENDE_WEBCHAT_IDENTITY_SECRET is the HMAC key shared with
the host page that signs identity tokens; without it every web user is anonymous until they prove an
address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from connectors.config import MappingSettings, invalid_settings, prefixed

PREFIX = "ATENDE_WEBCHAT_"


class WebChatSettings(MappingSettings):
    """Every web-chat setting; the README's settings table mirrors it."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    allowed_origins: str = Field(
        "", description="space- or comma-separated origins (https://intranet.example) that may embed the "
        "chat; empty: only Atende's own pages")
    identity_secret: str | None = Field(
        None, min_length=32,
        description="HMAC-SHA256 key shared with the host page that signs identity tokens")
    ask_contact: Literal["optional", "required", "off"] = Field(
        "optional", description="ask anonymous users for name and e-mail before they report: optional "
        "(skippable), required (no report without them) or off")
    sse_ping_seconds: float = Field(15.0, gt=0, le=300, description="keep-alive interval of the event stream")
    incident_banner: bool = Field(
        True, description="show active major incidents (service and reference) in a banner; off for a page "
        "reachable from outside that must not name internal services")

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, v: str) -> str:
        for origin in v.replace(",", " ").split():
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
                raise ValueError(f"{origin!r} is not an origin like https://intranet.example")
        return v

    @property
    def origins(self) -> tuple[str, ...]:
        return tuple(o.rstrip("/") for o in self.allowed_origins.replace(",", " ").split())


_FIELDS = ("allowed_origins", "identity_secret", "ask_contact", "sse_ping_seconds", "incident_banner")


def load_settings(env: Mapping[str, str]) -> WebChatSettings:
    try:
        return WebChatSettings(**prefixed(env, PREFIX, _FIELDS))
    except ValidationError as exc:
        raise invalid_settings("web chat", PREFIX, exc) from None
