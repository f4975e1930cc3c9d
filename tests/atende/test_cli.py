"""The `atende` command as a user runs it: serve, chat, token, settings errors."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from atende.settings import SettingsError, load_settings
from tests.services import free_port

ATENDE = [sys.executable, "-m", "atende"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATENDE_")}
    env.update({"ATENDE_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1", **extra})
    return env


def test_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATENDE_HTTP_PORT", "eighty")
    monkeypatch.setenv("ATENDE_CONFIDENCE_THRESHOLD", "2")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "ATENDE_HTTP_PORT" in str(err.value) and "ATENDE_CONFIDENCE_THRESHOLD" in str(err.value)


def test_serve_refuses_bad_settings_with_a_message(tmp_path: Path) -> None:
    r = subprocess.run(
        [*ATENDE, "serve"],
        env=_env(tmp_path, ATENDE_DEFAULT_LANGUAGE="klingon"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "ATENDE_DEFAULT_LANGUAGE" in r.stderr


def test_serve_prints_a_generated_token_and_answers(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*ATENDE, "serve", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = (tmp_path / "data" / "api_token").read_text().strip()
        r = httpx.get(f"http://127.0.0.1:{port}/api/tickets", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json() == {"tickets": [], "total": 0}
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert out.count(token) == 1  # printed once at start-up, never logged


def test_terminal_chat_files_a_ticket(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "My laptop cannot connect to the office Wi-Fi since this morning",
            "1",
            "1",
            "1",
            "1",
            "1",
            "1",
            "2",
            "2",
            "status",
            "",
        ]
    )
    r = subprocess.run(
        [*ATENDE, "chat", "--user", "ana"],
        input=script,
        capture_output=True,
        text=True,
        env=_env(tmp_path, ATENDE_USE_KEYWORD_STANDINS="true"),
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "  1. " in r.stdout  # options as numbered choices
    assert "INC-000001" in r.stdout or "REQ-000001" in r.stdout


def test_token_command_prints_the_stored_token(tmp_path: Path) -> None:
    r1 = subprocess.run([*ATENDE, "token"], env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    r2 = subprocess.run([*ATENDE, "token"], env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert r1.returncode == 0 and r1.stdout.strip() == r2.stdout.strip() and len(r1.stdout.strip()) >= 32


def test_connector_settings_come_from_dotenv_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from atende.runtime import connector_env

    dotenv = tmp_path / ".env"
    dotenv.write_text("ATENDE_SLACK_BOT_TOKEN=xoxb-from-file\nATENDE_SLACK_SIGNING_SECRET=from-file\n")
    monkeypatch.setenv("ATENDE_SLACK_SIGNING_SECRET", "from-environment")
    env = connector_env(dotenv)
    assert env["ATENDE_SLACK_BOT_TOKEN"] == "xoxb-from-file"
    assert env["ATENDE_SLACK_SIGNING_SECRET"] == "from-environment"  # the environment wins, as for settings
    assert connector_env(tmp_path / "missing.env")["ATENDE_SLACK_SIGNING_SECRET"] == "from-environment"


def test_half_configured_channel_stops_serve_naming_the_variable(tmp_path: Path) -> None:
    r = subprocess.run([*ATENDE, "serve"], env=_env(tmp_path, ATENDE_TELEGRAM_TOKEN="123:abc"),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "ATENDE_TELEGRAM_SECRET" in r.stderr
    assert "123:abc" not in r.stderr
