"""Settings: off when absent, ConfigError naming the variable when half-configured, aiogram never imported
by the settings or the parser (it costs seconds at start-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectors.base import ConfigError, ConnectorContext
from connectors.telegram import load_settings, mount
from tests.connectors.telegram.fake_telegram import TOKEN

SECRET = "s3cr3t-token_for-tests"


def test_off_when_no_variable_is_set() -> None:
    assert load_settings({"ATENDE_PUBLIC_URL": "https://x"}) is None


def test_full_webhook_settings() -> None:
    s = load_settings({"ATENDE_TELEGRAM_TOKEN": TOKEN, "ATENDE_TELEGRAM_SECRET": SECRET,
                       "ATENDE_TELEGRAM_API_BASE": "http://127.0.0.1:8081/"})
    assert s is not None
    assert (s.mode, s.api_base, s.secret) == ("webhook", "http://127.0.0.1:8081", SECRET)


def test_polling_needs_no_secret() -> None:
    s = load_settings({"ATENDE_TELEGRAM_TOKEN": TOKEN, "ATENDE_TELEGRAM_MODE": "Polling"})
    assert s is not None and s.mode == "polling"


@pytest.mark.parametrize(("env", "named"), [
    ({"ATENDE_TELEGRAM_SECRET": SECRET}, "ATENDE_TELEGRAM_TOKEN"),
    ({"ATENDE_TELEGRAM_TOKEN": TOKEN}, "ATENDE_TELEGRAM_SECRET"),
    ({"ATENDE_TELEGRAM_TOKEN": "not-a-token", "ATENDE_TELEGRAM_SECRET": SECRET}, "ATENDE_TELEGRAM_TOKEN"),
    ({"ATENDE_TELEGRAM_TOKEN": TOKEN, "ATENDE_TELEGRAM_SECRET": "short"}, "ATENDE_TELEGRAM_SECRET"),
    ({"ATENDE_TELEGRAM_TOKEN": TOKEN, "ATENDE_TELEGRAM_SECRET": SECRET, "ATENDE_TELEGRAM_MODE": "push"},
     "ATENDE_TELEGRAM_MODE"),
    ({"ATENDE_TELEGRAM_TOKEN": TOKEN, "ATENDE_TELEGRAM_SECRET": SECRET, "ATENDE_TELEGRAM_API_BASE": "ftp://x"},
     "ATENDE_TELEGRAM_API_BASE"),
])
def test_half_configured_names_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named) as info:
        load_settings(env)
    assert "not-a-token" not in str(info.value)  # values (maybe secrets) never end up in the message


def test_mount_returns_none_when_off(tmp_path: Path, telegram_intake: object) -> None:
    ctx = ConnectorContext(inbox=telegram_intake, data_dir=tmp_path, public_url=None)  # type: ignore[arg-type]
    assert mount(ctx, {}) is None


def test_polling_mode_mounts_no_route(tmp_path: Path, telegram_intake: object) -> None:
    ctx = ConnectorContext(inbox=telegram_intake, data_dir=tmp_path, public_url=None)  # type: ignore[arg-type]
    mounted = mount(ctx, {"ATENDE_TELEGRAM_TOKEN": TOKEN, "ATENDE_TELEGRAM_MODE": "polling"})
    if mounted is not None and hasattr(telegram_intake, "outbound"):
        telegram_intake.outbound = mounted.outbound
    assert mounted is not None
    assert mounted.router is None and mounted.outbound is not None and mounted.start is not None


def test_settings_and_parser_do_not_import_aiogram() -> None:
    code = ("import sys, connectors.telegram, connectors.telegram.parse, connectors.telegram.render; "
            "sys.exit(1 if 'aiogram' in sys.modules else 0)")
    root = Path(__file__).resolve().parents[3]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0
