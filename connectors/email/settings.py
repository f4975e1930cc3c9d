"""E-mail channel settings (ATENDE_* variables; the names are a contract with deployments).

The channel is ON when ``ATENDE_MAIL_ADDRESS`` is set. Any other e-mail variable without it, IMAP without
its credentials, or SMTP AUTH with half its credentials is a half-configured channel: start-up stops with a
:class:`connectors.base.ConfigError` naming the missing variable instead of failing on the first mail.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from connectors.base import ConfigError
from connectors.config import MappingSettings

PREFIX = "ATENDE_"

#: Variables that only make sense for this channel: any of them present means "e-mail was meant to be on".
CHANNEL_VARS = (
    "MAIL_ADDRESS", "SMTP_LISTEN_HOST", "SMTP_LISTEN_PORT", "IMAP_HOST", "IMAP_PORT", "IMAP_USER",
    "IMAP_PASSWORD", "IMAP_SSL", "SMTP_OUT_HOST", "SMTP_OUT_PORT", "SMTP_OUT_USER", "SMTP_OUT_PASSWORD",
    "SMTP_OUT_STARTTLS",
)

MiB = 1024 * 1024


class EmailSettings(MappingSettings):
    """Every e-mail setting with its default; docs/channels/email.md mirrors this table."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    mail_address: str = Field(description="the desk's address: From of every reply, the only accepted "
                              "recipient of the SMTP listener, the domain of our Message-IDs")
    mail_display_name: str = Field("Service Desk", description="display name on outbound mail")
    smtp_listen_host: str = Field("127.0.0.1", description="address of the built-in SMTP listener")
    smtp_listen_port: int = Field(2525, ge=0, le=65535, description="its port; 0 turns the listener off")
    smtp_listen_allow: str = Field("", description="comma-separated client IPs allowed to hand in mail "
                                   "(your MTA); empty = any")
    imap_host: str | None = Field(None, description="IMAP server to poll (optional)")
    imap_port: int | None = Field(None, ge=1, le=65535, description="default 993 with SSL, else 143")
    imap_user: str | None = None
    imap_password: str | None = None
    imap_ssl: bool = Field(True, description="implicit TLS (IMAPS)")
    imap_folder: str = Field("INBOX", description="folder to poll")
    imap_poll_seconds: float = Field(60.0, gt=0, description="poll interval when the server has no IDLE")
    smtp_out_host: str = Field(description="relay for outbound mail")
    smtp_out_port: int = Field(587, ge=1, le=65535)
    smtp_out_user: str | None = None
    smtp_out_password: str | None = None
    smtp_out_starttls: bool = Field(True, description="STARTTLS before AUTH/sending")
    mail_send_cap_per_hour: int = Field(10, ge=1, description="outbound mails per recipient per hour")
    mail_mta_enforces_dmarc: bool = Field(False, description="trust From as it is: your MTA already "
                                          "refuses mail failing DMARC (else DKIM/SPF are checked here)")
    mail_trusted_authserv_id: str | None = Field(None, description="authserv-id of your receiving server; "
                                                 "its Authentication-Results verify IMAP senders")
    mail_max_message_bytes: int = Field(35 * MiB, ge=64 * 1024, description="SMTP SIZE / data limit; "
                                        "bigger mail gets 552 (IMAP: headers only)")

    @field_validator("mail_address")
    @classmethod
    def _address(cls, v: str) -> str:
        v = v.strip()
        if v.count("@") != 1 or not v.split("@")[0] or "." not in v.split("@")[1]:
            raise ValueError("must be an e-mail address like helpdesk@example.com")
        return v.lower()

    @property
    def domain(self) -> str:
        return self.mail_address.split("@", 1)[1]

    @property
    def imap_enabled(self) -> bool:
        return bool(self.imap_host)

    @property
    def resolved_imap_port(self) -> int:
        return self.imap_port or (993 if self.imap_ssl else 143)

    @property
    def listen_allow(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.smtp_listen_allow.split(",") if p.strip())


def load_settings(env: Mapping[str, str] | None = None) -> EmailSettings | None:
    """None when e-mail is not configured at all; ConfigError (naming the variable) when half-configured."""
    env = os.environ if env is None else env
    present = {k[len(PREFIX):].lower(): v for k, v in env.items()
               if k.startswith(PREFIX) and v.strip() != ""}
    if not any(name.lower() in present for name in CHANNEL_VARS):
        return None
    if "mail_address" not in present:
        raise ConfigError(f"{PREFIX}MAIL_ADDRESS is required for the e-mail channel "
                          "(other e-mail variables are set)")
    _require(present, "smtp_out_host", because="replies are sent through it")
    if any(k in present for k in ("imap_host", "imap_user", "imap_password")):
        for name in ("imap_host", "imap_user", "imap_password"):
            _require(present, name, because="the IMAP poller is half-configured")
    if ("smtp_out_user" in present) != ("smtp_out_password" in present):
        missing = "smtp_out_password" if "smtp_out_user" in present else "smtp_out_user"
        _require(present, missing, because="SMTP AUTH needs both user and password")
    fields = set(EmailSettings.model_fields)
    try:
        values: dict[str, Any] = {k: v for k, v in present.items() if k in fields}
        return EmailSettings(**values)
    except ValidationError as exc:
        names = ", ".join(f"{PREFIX}{str(e['loc'][0]).upper()} ({e['msg']})" for e in exc.errors())
        raise ConfigError(f"invalid e-mail settings: {names}") from None


def _require(present: Mapping[str, str], name: str, *, because: str) -> None:
    if name not in present:
        raise ConfigError(f"{PREFIX}{name.upper()} is required: {because}")
