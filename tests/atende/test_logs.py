"""Logs: JSON lines with the message context, and no configured secret ever written (in process and from a
real `atende serve` with every channel configured)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from atende.logs import (
    MASK,
    bind_ticket,
    collect_secrets,
    configure_logging,
    log_context,
    pseudonym,
)
from atende.runtime import build_runtime
from atende.settings import load_settings
from tests.services import free_port

# Every credential setting there is, with values shaped as the providers issue them.
CONFIGURED = {
    "ATENDE_API_TOKEN": "agent-api-token-QpL0c7Yt2",
    "ATENDE_METRICS_TOKEN": "metrics-token-Zr81xWq",
    "ATENDE_TELEGRAM_TOKEN": "987654321:AAH-tg_Secret_Token_value_1234567890",
    "ATENDE_TELEGRAM_SECRET": "tg-webhook-secret-7Hk2",
    "ATENDE_TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
    "ATENDE_TWILIO_AUTH_TOKEN": "twilio-auth-token-f00dbabe",
    "ATENDE_TWILIO_SMS_FROM": "+15550001111",
    "ATENDE_SLACK_BOT_TOKEN": "xoxb-1111-2222-slackBotTokenValue",
    "ATENDE_SLACK_SIGNING_SECRET": "slack-signing-secret-0a1b2c3d4e",
    "ATENDE_MAIL_ADDRESS": "desk@example.test",
    "ATENDE_SMTP_LISTEN_PORT": "0",
    "ATENDE_IMAP_USER": "desk@example.test",
    "ATENDE_IMAP_PASSWORD": "imap-pa$$word/with@odd:chars",
    "ATENDE_IMAP_SSL": "false",
    "ATENDE_SMTP_OUT_USER": "desk@example.test",
    "ATENDE_SMTP_OUT_PASSWORD": "smtp-out-password-9Ys",
    "ATENDE_SMTP_OUT_STARTTLS": "false",
}
SECRET_NAMES = [k for k in CONFIGURED if k.endswith(("TOKEN", "SECRET", "PASSWORD"))]
DB_PASSWORD = "db-password-Kq9/x@y"


def dead_endpoints() -> dict[str, str]:
    """Provider endpoints nobody listens on: every outbound call fails and gets logged."""
    dead = f"http://127.0.0.1:{free_port()}"
    return {
        "ATENDE_PUBLIC_URL": "https://desk.example.test",
        "ATENDE_TELEGRAM_API_BASE": dead,
        "ATENDE_TWILIO_API_BASE": dead,
        "ATENDE_SLACK_API_BASE": dead + "/api/",
        "ATENDE_IMAP_HOST": "127.0.0.1",
        "ATENDE_IMAP_PORT": str(free_port()),
        "ATENDE_SMTP_OUT_HOST": "127.0.0.1",
        "ATENDE_SMTP_OUT_PORT": str(free_port()),
    }


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Our handler on the root logger, writing to a buffer; the previous handlers come back after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield io.StringIO()
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in saved[0]:
        root.addHandler(h)
    root.setLevel(saved[1])


def lines(buf: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


# --- JSON lines and the message context -----------------------------------------------------------
async def test_json_lines_carry_the_context_of_the_message(captured: io.StringIO) -> None:
    configure_logging("INFO", "json", stream=captured)
    log = logging.getLogger("atende.test")
    log.info("before")
    with log_context(conversation_key="telegram:111", message_id="telegram:42"):
        log.info("inside %s", "the block")
        await asyncio.to_thread(log.info, "from a worker thread")
        bind_ticket("INC-000007")
        log.warning("ticket filed")
    log.info("after")

    out = lines(captured)
    assert [r["message"] for r in out] == [
        "before",
        "inside the block",
        "from a worker thread",
        "ticket filed",
        "after",
    ]
    assert set(out[0]) == {"time", "level", "logger", "message"}
    assert out[1]["conversation_key"] == "telegram:111" and out[1]["message_id"] == "telegram:42"
    assert out[2]["conversation_key"] == "telegram:111"  # contextvars follow asyncio.to_thread
    assert out[3]["ticket"] == "INC-000007" and out[3]["level"] == "WARNING"
    assert out[3]["logger"] == "atende.test" and out[3]["time"].endswith("+00:00")
    assert "ticket" not in out[4] and "conversation_key" not in out[4]  # nothing leaks past the block


async def test_context_of_concurrent_conversations_does_not_mix(captured: io.StringIO) -> None:
    configure_logging("INFO", "json", stream=captured)
    log = logging.getLogger("atende.test")

    async def conversation(key: str) -> None:
        with log_context(conversation_key=key):
            for i in range(3):
                await asyncio.sleep(0)
                log.info("turn %d of %s", i, key)

    await asyncio.gather(*(conversation(f"slack:T1:U{n}") for n in range(5)))
    out = lines(captured)
    assert len(out) == 15
    assert all(r["message"].endswith(r["conversation_key"]) for r in out)


def test_text_format_is_the_classic_line_plus_the_context(captured: io.StringIO) -> None:
    configure_logging("INFO", "text", stream=captured)
    log = logging.getLogger("atende.test")
    log.info("plain")
    with log_context(conversation_key="email:ana@example.test", ticket="REQ-000001"):
        log.info("with context")
    first, second = captured.getvalue().splitlines()
    assert first.endswith(" INFO atende.test: plain")
    assert second.endswith("with context [conversation_key=email:ana@example.test ticket=REQ-000001]")


def test_web_sessions_are_pseudonymised_in_the_context_and_in_messages(captured: io.StringIO) -> None:
    configure_logging("INFO", "json", stream=captured)
    session = "s3ss10n-0123456789abcdef"
    with log_context(conversation_key=f"web:{session}", message_id=f"web:{session}:m1"):
        logging.getLogger("atende.test").info("duplicate delivery web:%s:m1 ignored", session)
    (rec,) = lines(captured)
    assert session not in captured.getvalue()
    assert rec["conversation_key"] == pseudonym(f"web:{session}")
    assert rec["conversation_key"].startswith("web:#")
    assert rec["conversation_key"] in rec["message"]  # the same pseudonym: lines can still be matched


# --- redaction ------------------------------------------------------------------------------------
def test_every_configured_secret_is_redacted(captured: io.StringIO, tmp_path: Path) -> None:
    env = {**CONFIGURED, **dead_endpoints()}
    quoted = DB_PASSWORD.replace("/", "%2F").replace("@", "%40")
    env["ATENDE_DATABASE_URL"] = f"postgresql+psycopg://atende:{quoted}@db.example.test/atende"
    # The real runtime mounts every channel from these settings: they are the secrets in use, not a list.
    runtime = build_runtime(load_settings(data_dir=tmp_path / "data", use_keyword_standins=True), env)
    try:
        assert {m.name for m in runtime.mounted} == {"web", "telegram", "twilio", "slack", "email"}
    finally:
        runtime.close()
    configure_logging("DEBUG", "json", collect_secrets(env, "generated-api-token-123"), stream=captured)
    log = logging.getLogger("atende.test")
    secrets = [CONFIGURED[n] for n in SECRET_NAMES] + [DB_PASSWORD, "generated-api-token-123"]
    for secret in secrets:
        log.info("value %s in args", secret)
        log.info(f"value {secret} formatted into the message")
        log.info("headers %s", {"Authorization": f"Bearer {secret}"})
        try:
            raise RuntimeError(f"provider said no to {secret!r}")
        except RuntimeError:
            log.exception("call failed")
    log.error("GET %s", f"https://api.telegram.org/bot{CONFIGURED['ATENDE_TELEGRAM_TOKEN']}/sendMessage")
    log.error("connecting to %s", env["ATENDE_DATABASE_URL"])
    log.info('"GET /api/chat/messages?session=abcdefghijklmnop1234&x=1 HTTP/1.1" 200')
    log.info("smtp login user=desk password=hunter2hunter2 failed")

    text = captured.getvalue()
    for secret in [*secrets, DB_PASSWORD.replace("/", "%2F").replace("@", "%40"), "abcdefghijklmnop1234"]:
        assert secret not in text, secret
    assert "hunter2hunter2" not in text  # a password the settings do not know: caught by its shape
    out = lines(captured)
    assert len(out) == 4 * len(secrets) + 4 and all(MASK in r["message"] or MASK in r.get("exception", "")
                                                     for r in out)
    assert "x=1" in text and "RuntimeError" in text  # the rest of the line survives


def test_collect_secrets_picks_credentials_by_name_and_url_passwords() -> None:
    found = set(
        collect_secrets(
            {
                **CONFIGURED,
                "ATENDE_REDIS_URL": "redis://:redis-pass-123@cache:6379/0",
                "ATENDE_STATE_URL": "sqlite:///data/conversations.db",
                "HOME": "/root",
            }
        )
    )
    assert {CONFIGURED[n] for n in SECRET_NAMES} <= found
    assert "redis-pass-123" in found
    assert CONFIGURED["ATENDE_MAIL_ADDRESS"] not in found and "/root" not in found


# --- the real server ------------------------------------------------------------------------------
def test_serve_writes_json_lines_without_secrets(tmp_path: Path) -> None:
    """`atende serve` with every channel configured against dead provider endpoints (so the connectors log
    their failures), JSON logs and the access log on: requests that carry the API token and a web session
    id leave no trace of either."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATENDE_")}
    env.update(CONFIGURED)
    env.update(dead_endpoints())
    env.update(
        {
            "ATENDE_DATA_DIR": str(tmp_path / "data"),
            "ATENDE_USE_KEYWORD_STANDINS": "true",
            "ATENDE_LOG_FORMAT": "json",
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),  # this checkout, run from tmp_path
        }
    )
    session = "not issued yet"
    proc = subprocess.Popen(
        [sys.executable, "-m", "atende", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        auth = {"Authorization": f"Bearer {CONFIGURED['ATENDE_API_TOKEN']}"}
        assert httpx.get(f"{base}/api/tickets", headers=auth).status_code == 200
        with httpx.Client(base_url=base) as browser:  # the server issues the session and its cookie
            r = browser.post("/api/chat/messages", json={"text": "printer on fire"})
            assert r.status_code == 200
            session = r.json()["session"]
            assert "secure" in r.headers["set-cookie"].lower()  # ATENDE_PUBLIC_URL is https
            assert browser.get("/api/tickets", params={"session": session}).status_code == 401
        assert httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        time.sleep(1.0)  # let the IMAP poller fail once
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    records = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is JSON
    access = [r["message"] for r in records if r["logger"] == "uvicorn.access"]
    # Access lines carry no query string at all (atende/server.py): the session id cannot leak there.
    assert any("/api/chat/messages" in line for line in access)
    assert any("/api/tickets" in line for line in access)
    assert session not in err
    assert any(r["logger"].startswith("connectors.") for r in records)  # the channels did log
    for name in SECRET_NAMES:
        assert CONFIGURED[name] not in err, name
        assert CONFIGURED[name] not in out, name
    assert session not in err
