"""Settings: off when absent, ConfigError naming the variable when half-configured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectors.base import ConfigError, ConnectorContext
from connectors.slack import load_settings, mount
from tests.connectors.slack.conftest import SIGNING_SECRET
from tests.connectors.slack.fake_slack import BOT_TOKEN


def test_off_when_no_variable_is_set() -> None:
    assert load_settings({"ATENDE_TELEGRAM_TOKEN": "1:x"}) is None


def test_defaults() -> None:
    s = load_settings({"ATENDE_SLACK_BOT_TOKEN": BOT_TOKEN, "ATENDE_SLACK_SIGNING_SECRET": SIGNING_SECRET})
    assert s is not None and s.api_base == "https://slack.com/api/"
    s = load_settings({"ATENDE_SLACK_BOT_TOKEN": BOT_TOKEN, "ATENDE_SLACK_SIGNING_SECRET": SIGNING_SECRET,
                       "ATENDE_SLACK_API_BASE": "http://127.0.0.1:9/api"})
    assert s is not None and s.api_base == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(("env", "named"), [
    ({"ATENDE_SLACK_BOT_TOKEN": BOT_TOKEN}, "ATENDE_SLACK_SIGNING_SECRET"),
    ({"ATENDE_SLACK_SIGNING_SECRET": SIGNING_SECRET}, "ATENDE_SLACK_BOT_TOKEN"),
    ({"ATENDE_SLACK_API_BASE": "http://127.0.0.1:9/api/"}, "ATENDE_SLACK_BOT_TOKEN"),
    ({"ATENDE_SLACK_BOT_TOKEN": "bot-token", "ATENDE_SLACK_SIGNING_SECRET": SIGNING_SECRET},
     "ATENDE_SLACK_BOT_TOKEN"),
    ({"ATENDE_SLACK_BOT_TOKEN": BOT_TOKEN, "ATENDE_SLACK_SIGNING_SECRET": "short"},
     "ATENDE_SLACK_SIGNING_SECRET"),
    ({"ATENDE_SLACK_BOT_TOKEN": BOT_TOKEN, "ATENDE_SLACK_SIGNING_SECRET": SIGNING_SECRET,
      "ATENDE_SLACK_API_BASE": "slack.com"}, "ATENDE_SLACK_API_BASE"),
])
def test_half_configured_names_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named) as info:
        load_settings(env)
    assert "bot-token" not in str(info.value) and "short" not in str(info.value).replace("too short", "")


def test_mount(tmp_path: Path, slack_intake: object) -> None:
    ctx = ConnectorContext(inbox=slack_intake, data_dir=tmp_path, public_url=None)  # type: ignore[arg-type]
    assert mount(ctx, {}) is None
    mounted = mount(ctx, {"ATENDE_SLACK_BOT_TOKEN": BOT_TOKEN, "ATENDE_SLACK_SIGNING_SECRET": SIGNING_SECRET})
    if mounted is not None and hasattr(slack_intake, "outbound"):
        slack_intake.outbound = mounted.outbound
    assert mounted is not None and mounted.channels == ("slack",)
    paths = {route.path for route in mounted.router.routes}
    assert paths == {"/webhooks/slack/events", "/webhooks/slack/interactions", "/webhooks/slack/commands"}


def test_settings_and_parser_do_not_import_the_sdk() -> None:
    code = ("import sys, connectors.slack, connectors.slack.parse, connectors.slack.render; "
            "sys.exit(1 if 'slack_sdk' in sys.modules else 0)")
    root = Path(__file__).resolve().parents[3]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0
