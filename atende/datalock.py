"""One process per data folder in single-process mode.

Two `atende serve` processes on one data folder each keep their own per-conversation order and their own
caches, so a conversation that moves between them gets duplicate tickets (measured: 10 of 10). The
process that writes the data holds an exclusive ``flock`` on ``<data dir>/atende.lock`` for its whole
life. The kernel drops the lock when the process ends in any way, SIGKILL included: no stale lock file to
clean up, the next start simply succeeds. (The PID written into the file is only for the message.)

flock works between processes of one host on a local file system; a data folder on NFS is not supported.
Running several processes is what the scaled mode is for (ATENDE_REDIS_URL + PostgreSQL).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

LOCK_NAME = "atende.lock"


class DataDirBusy(RuntimeError):
    """Another process holds the data folder."""


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise DataDirBusy(busy_message(self.path.parent, holder)) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the last descriptor releases the flock
            self._fd = None

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def busy_message(data_dir: Path, pid: int | None) -> str:
    who = f"another Atende process (pid {pid})" if pid else "another Atende process"
    return (
        f"{who} is using the data folder {data_dir.resolve()}. Single-process mode allows one process per "
        "data folder (a second one would file duplicate tickets). Stop the other process, or point "
        "ATENDE_DATA_DIR elsewhere; to run several processes, use the scaled mode: set ATENDE_REDIS_URL "
        "and ATENDE_DATABASE_URL=postgresql+psycopg://... and start `atende serve` and `atende worker` "
        "processes (README: Scaled mode)."
    )
