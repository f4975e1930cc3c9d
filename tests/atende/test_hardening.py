"""Issue 8 limits and low findings on the HTTP side: floods, oversized heads, short bodies, lone surrogates,
the unbounded state cache, tokens and session ids in logs, world-readable data files."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from atende.adapters.stores import SqlConversationStore
from atende.app import create_app
from atende.runtime import build_runtime
from tests.atende.conftest import Chat
from tests.atende.test_cli import ATENDE, _env
from tests.services import free_port

SESSION = "session-flood-aaaaaaaaaaaa"


async def _client(settings: Any) -> tuple[Any, Any, httpx.AsyncClient]:
    runtime = build_runtime(settings, env={})
    app = create_app(runtime)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://atende.test")
    return runtime, app, client


async def test_a_chat_flood_gets_one_slow_down_then_silence(settings_factory: Any) -> None:
    settings = settings_factory(rate_limit_sender="5/minute", rate_limit_ip="1000/minute")
    runtime, app, client = await _client(settings)
    try:
        async with app.router.lifespan_context(app), client:
            flooder, other = Chat(client), Chat(httpx.AsyncClient(transport=client._transport,
                                                                  base_url="http://atende.test"))
            answers = []
            for i in range(12):
                answers.append([rep["text"] for rep in await flooder.say(f"hello {i}", message_id=f"m{i}")])
            assert all(a and "slow" not in " ".join(a).lower() for a in answers[:5])
            assert len(answers[5]) == 1 and "faster than I can read" in answers[5][0]
            assert answers[6:] == [[]] * 6
            assert await other.say("hello")  # another sender is not affected
            statuses = [r["status"] for r in runtime.conv_store.inbox_rows(f"web:{flooder.session}")]
            assert statuses.count("rate_limited") == 7  # recorded, not processed
    finally:
        runtime.close()


async def test_an_ip_over_its_limit_gets_429_with_retry_after(settings_factory: Any) -> None:
    runtime, app, client = await _client(settings_factory(rate_limit_ip="5/minute"))
    try:
        async with app.router.lifespan_context(app), client:
            codes = [(await client.get("/healthz")).status_code for _ in range(5)]
            r = await client.get("/api/chat/messages", params={"session": SESSION})
            assert codes == [200] * 5 and r.status_code == 429
            assert 1 <= int(r.headers["retry-after"]) <= 60
    finally:
        runtime.close()


async def test_lone_surrogate_in_chat_text_is_a_4xx(chat: Chat, client: httpx.AsyncClient) -> None:
    await chat.say("hello")
    body = '{"session": "' + chat.session + '", "text": "hi \\ud800 there"}'
    r = await client.post("/api/chat/messages", content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert await chat.say("ok now")


def test_state_cache_is_bounded(tmp_path: Path) -> None:
    store = SqlConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        for i in range(store.CACHE_MAX + 500):
            store.save_sync(f"web:{i}", {"n": i}, None, None)
        assert len(store._cache) == store.CACHE_MAX
        assert store.load_sync("web:0") == {"n": 0}  # evicted from the cache, still in the database
    finally:
        store.close()


def test_data_dir_is_0700_and_its_files_0600(settings_factory: Any) -> None:
    settings = settings_factory(api_token=None)
    runtime = build_runtime(settings, env={})
    try:
        assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
        for name in ("atende.db", "conversations.db", "api_token"):
            assert stat.S_IMODE((settings.data_dir / name).stat().st_mode) == 0o600, name
    finally:
        runtime.close()


# --- the real server (atende serve) ----------------------------------------------------------------------
def _serve(tmp_path: Path, port: int, **extra: str) -> subprocess.Popen[str]:
    env = _env(tmp_path, ATENDE_USE_KEYWORD_STANDINS="true", **extra)
    proc = subprocess.Popen([*ATENDE, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(proc.communicate()[0])


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    return proc.communicate(timeout=30)[0]


def test_stored_token_is_not_printed_again_and_query_strings_are_not_logged(tmp_path: Path) -> None:
    port = free_port()
    first = _stop(_serve(tmp_path, port))
    token = (tmp_path / "data" / "api_token").read_text().strip()
    assert first.count(token) == 1
    proc = _serve(tmp_path, port)
    secret = "query-secret-zzzzzzzzzzzz"
    httpx.get(f"http://127.0.0.1:{port}/api/tickets", params={"token": secret})
    second = _stop(proc)
    assert token not in second
    assert "GET /api/tickets" in second  # logged, without its query
    assert secret not in second


def _raw(port: int, data: bytes, wait: float) -> tuple[bytes, float]:
    """Send ``data`` and read until the server closes (or ``wait`` passes); returns (answer, seconds)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        with contextlib.suppress(OSError):
            s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return out, time.monotonic() - start


def test_oversized_heads_and_short_bodies_are_cut_off(tmp_path: Path) -> None:
    port = free_port()
    proc = _serve(tmp_path, port, ATENDE_READ_TIMEOUT="1", ATENDE_MAX_HEADER_BYTES="16384")
    try:
        big = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
            b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(200)) + b"\r\n"
        answer, _ = _raw(port, big, wait=10)
        assert answer.split(b"\r\n")[0].split(b" ")[1] in (b"400", b"431"), answer[:200]
        body = json.dumps({"session": SESSION, "text": "hi"}).encode()
        short = (b"POST /api/chat/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % (len(body) + 100)) + body
        answer, took = _raw(port, short, wait=15)
        assert took < 8 and answer.startswith(b"HTTP/1.1 408"), (took, answer[:200])
    finally:
        _stop(proc)
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "conversations.db").stat().st_mode) == 0o600
    assert os.access(data, os.R_OK)


async def test_lone_surrogates_from_a_chat_provider_never_crash_a_filing(runtime: Any) -> None:
    """Telegram's JSON may carry "\\ud800" (json.loads keeps it); it reached the ticket store and the
    filing crashed with UnicodeEncodeError."""
    from dialog.messages import Identity, InboundMessage

    sender = Identity("telegram", "77", display_name="Ana \udc80")
    answers = ["my printer \ud800 jams on every page since this morning", *(["1"] * 6), "no", *(["2"] * 8)]
    ticket = None
    for i, text in enumerate(answers):
        msg = InboundMessage(channel="telegram", conversation_key="telegram:77", sender=sender, text=text,
                             provider_message_id=f"u{i}")
        answered = await runtime.inbox.ask(msg, 30)
        replies = answered.replies if answered else []
        ticket = next((r.ticket for r in replies if r.ticket), None)
        if ticket:
            break
    assert ticket is not None
    filed = runtime.tickets.get(ticket)
    assert "\ufffd" in filed.description or "\ufffd" in filed.title


def test_a_head_trickled_byte_by_byte_is_cut_off(tmp_path: Path) -> None:
    """Slowloris: one header byte every half second kept the connection (uvicorn's keep-alive timer is
    reset by any data); the head must be complete within ATENDE_READ_TIMEOUT."""
    port = free_port()
    proc = _serve(tmp_path, port, ATENDE_READ_TIMEOUT="2")
    try:
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            closed = False
            for _ in range(40):
                try:
                    s.sendall(b"X")
                    time.sleep(0.5)
                    s.setblocking(False)
                    try:
                        if s.recv(1024) == b"":
                            closed = True
                            break
                    except BlockingIOError:
                        pass
                    finally:
                        s.setblocking(True)
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
        took = time.monotonic() - start
        assert closed and took < 8, took
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200  # others are served
    finally:
        _stop(proc)
