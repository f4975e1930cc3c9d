"""Single-process mode: one process per data folder, with real processes (and a SIGKILL)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from atende.datalock import DataDirBusy, DataDirLock
from tests.services import free_port

REPO = Path(__file__).resolve().parents[2]
ATENDE = [sys.executable, "-m", "atende"]


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATENDE_")}
    env.update(
        {
            "ATENDE_DATA_DIR": str(data),
            "ATENDE_USE_KEYWORD_STANDINS": "true",
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": str(REPO),
            **extra,
        }
    )
    return env


def _serve(data: Path, port: int, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*ATENDE, "serve", "--port", str(port)],
        env=_env(data),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_healthy(proc: subprocess.Popen[str], port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("atende serve did not answer /healthz")


def test_second_lock_on_a_folder_is_refused_until_the_first_is_released(tmp_path: Path) -> None:
    first = DataDirLock(tmp_path)
    first.acquire()
    with pytest.raises(DataDirBusy) as busy:
        DataDirLock(tmp_path).acquire()  # another open file description: refused as another process would be
    message = str(busy.value)
    assert f"pid {os.getpid()}" in message and str(tmp_path) in message
    assert "ATENDE_REDIS_URL" in message and "postgresql+psycopg" in message
    first.release()
    with DataDirLock(tmp_path):
        pass
    with DataDirLock(tmp_path), DataDirLock(tmp_path / "other"):
        pass  # other folders are independent


def test_a_second_serve_is_refused_and_a_killed_one_leaves_no_stale_lock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port_a = free_port()
    a = _serve(data, port_a, tmp_path)
    c: subprocess.Popen[str] | None = None
    try:
        _wait_healthy(a, port_a)

        b = subprocess.run(
            [*ATENDE, "serve", "--port", str(free_port())],
            env=_env(data),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert b.returncode == 2
        assert f"pid {a.pid}" in b.stderr and "ATENDE_REDIS_URL" in b.stderr and "Scaled mode" in b.stderr

        chat = subprocess.run(
            [*ATENDE, "chat"], input="hello\n", env=_env(data), cwd=tmp_path,
            capture_output=True, text=True, timeout=90,
        )
        assert chat.returncode == 2 and "another Atende process" in chat.stderr
        # Neither refused process wrote a message: the data stays the first process's alone.
        assert httpx.get(f"http://127.0.0.1:{port_a}/healthz", timeout=5).status_code == 200

        a.send_signal(signal.SIGKILL)
        a.wait(timeout=30)
        assert (data / "atende.lock").exists()  # the file stays; the kernel dropped the lock itself

        port_c = free_port()
        c = _serve(data, port_c, tmp_path)
        _wait_healthy(c, port_c)
    finally:
        for proc in (a, c):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.communicate(timeout=30)


def test_the_scaled_mode_takes_no_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ATENDE_REDIS_URL the processes share the data by design: no lock, so `atende serve` and the
    workers may share a data folder on one host."""
    from atende.cli import _single_process
    from atende.settings import load_settings

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    holder = DataDirLock(tmp_path)
    holder.acquire()
    try:
        settings = load_settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0", api_token="t" * 20)
        assert _single_process(settings, "WARNING")[0] is None
    finally:
        holder.release()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
