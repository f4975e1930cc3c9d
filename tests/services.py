"""Real servers for the test suite, started as ordinary processes on free 127.0.0.1 ports in temp folders
and stopped by PID (no systemd here, nothing left running). The fixtures in tests/conftest.py wrap these.

Missing binaries skip the tests that need them, except under ``ATENDE_REQUIRE_SERVICES=1`` (CI), where the
fixture fails and names the apt package to install: a service test must never be skipped silently in CI.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REQUIRE_ENV = "ATENDE_REQUIRE_SERVICES"


def require_binary(candidates: list[str], apt_package: str, what: str) -> str:
    """The first existing path among ``candidates`` (globs allowed), else skip - or fail in CI."""
    for pattern in candidates:
        for path in sorted(glob.glob(pattern), reverse=True):  # newest PostgreSQL first
            if os.access(path, os.X_OK):
                return path
        found = shutil.which(pattern) if "/" not in pattern else None
        if found:
            return found
    message = (
        f"{what} not found (looked for {', '.join(candidates)}); install it: apt-get install -y {apt_package}"
    )
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise RuntimeError(f"{what} did not become ready within {timeout:.0f} s")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    """True while ``pid`` runs. A daemon that exited stays a zombie until init reaps it: counted as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no procfs: fall back to signal 0
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def kill_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, wait, then SIGKILL: never by process name, only the PID we started."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(pid):
                return
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def make_temp_dir(prefix: str) -> Path:
    """Under the system temp dir, world-traversable, so servers running as another user reach it (pytest's
    tmp_path lives in a 0700 folder of root's)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def _as_user(user: str, argv: list[str]) -> list[str]:
    """Run as ``user`` when we are root (PostgreSQL refuses to run as root); unchanged otherwise."""
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user, "--", *argv]
    return ["su", user, "-s", "/bin/sh", "-c", " ".join(_quote(a) for a in argv)]


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def _chown(path: Path, user: str) -> None:
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, d) for d in dirs), *(os.path.join(root, f) for f in files)]:
            os.chown(name, entry.pw_uid, entry.pw_gid)


# -- PostgreSQL ---------------------------------------------------------------------------------------------
@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int = 0
    user: str = "postgres"
    _databases: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(self.user)
            except KeyError:
                pytest.fail("PostgreSQL must not run as root and there is no 'postgres' user", pytrace=False)
        self.port = self.port or free_port()
        self.data.mkdir()
        _chown(self.root, self.user)
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        # Durability is not under test here: fsync off keeps CREATE DATABASE and commits fast.
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.root / "log"),
                "-o",
                options,
                "-w",
                "-t",
                "30",
                "start",
            ]
        )

    def create_database(self, prefix: str = "test") -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        import psycopg

        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}"
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self._run(
                    [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
                )
            pid = read_pid(self.data / "postmaster.pid")
            if pid:
                kill_pid(pid)
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, argv: list[str]) -> None:
        proc = subprocess.run(
            _as_user(self.user, argv), capture_output=True, text=True, timeout=60, cwd=self.root
        )
        if proc.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.strip()}\n{log[-2000:]}")


def start_postgres() -> PostgresServer:
    initdb = require_binary(
        ["/usr/lib/postgresql/*/bin/initdb", "initdb"], "postgresql", "PostgreSQL (initdb)"
    )
    server = PostgresServer(bindir=Path(initdb).parent, root=make_temp_dir("atende-pg-"))
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


# -- Redis --------------------------------------------------------------------------------------------------
@dataclass
class RedisServer:
    binary: str
    root: Path
    port: int = 0
    appendonly: bool = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart, on the same port and folder: with ``appendonly`` the data comes back)."""
        self.port = self.port or free_port()
        subprocess.run(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--dir",
                str(self.root),
                "--pidfile",
                str(self.root / "redis.pid"),
                "--logfile",
                str(self.root / "redis.log"),
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
            ],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
        wait_for(self._ping, 10, "redis-server")

    def stop(self) -> None:
        pid = read_pid(self.root / "redis.pid")
        if pid:
            kill_pid(pid)
            with contextlib.suppress(FileNotFoundError):
                (self.root / "redis.pid").unlink()

    def restart(self) -> None:
        self.stop()
        wait_for(lambda: not port_open(self.port), 10, "redis-server shutdown")
        self.start()

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def start_redis(appendonly: bool = False) -> RedisServer:
    binary = require_binary(["/usr/bin/redis-server", "redis-server"], "redis-server", "Redis (redis-server)")
    server = RedisServer(binary=binary, root=make_temp_dir("atende-redis-"), appendonly=appendonly)
    try:
        server.start()
    except BaseException:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
        raise
    return server


# -- Dovecot (IMAP) -----------------------------------------------------------------------------------------
@dataclass
class DovecotServer:
    """An IMAP server with two accounts (``user`` and ``other_user``), plaintext login, no TLS.

    Connect with ``IMAPClient(host, port=port, ssl=False)``."""

    binary: str
    root: Path
    host: str = "127.0.0.1"
    port: int = 0
    user: str = "desk@example.test"
    password: str = "desk-password"
    other_user: str = "user@example.test"
    other_password: str = "user-password"
    accounts: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self.port = self.port or free_port()
        self.accounts = {self.user: self.password, self.other_user: self.other_password}
        (self.root / "run").mkdir()
        mail = self.root / "mail"
        mail.mkdir()
        mail.chmod(0o777 if os.geteuid() != 0 else 0o755)
        _chown(mail, "mail")
        users = self.root / "users"
        users.write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.accounts.items()))
        users.chmod(0o644)
        conf = self.root / "dovecot.conf"
        owner = "mail"
        extra = ""
        if os.geteuid() != 0:  # unprivileged developer machine: everything runs as ourselves
            owner = pwd.getpwuid(os.geteuid()).pw_name
            extra = f"default_internal_user = {owner}\ndefault_login_user = {owner}\n"
        conf.write_text(
            DOVECOT_CONF.format(root=self.root, port=self.port, mail=mail, users=users, owner=owner) + extra
        )
        # The daemon's children inherit our stdio: hand them /dev/null, not a pipe we would wait on.
        log = self.root / "dovecot.log"
        with open(self.root / "stderr.log", "wb") as err:
            code = subprocess.call(
                [self.binary, "-c", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                timeout=30,
            )
        if code != 0:
            detail = (self.root / "stderr.log").read_text() + (log.read_text() if log.exists() else "")
            raise RuntimeError(f"dovecot failed ({code}): {detail.strip()}")
        wait_for(lambda: port_open(self.port), 10, "dovecot")

    def stop(self) -> None:
        pid = read_pid(self.root / "run" / "master.pid")
        if pid:
            kill_pid(pid)
        shutil.rmtree(self.root, ignore_errors=True)


DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 8
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = static
  args = uid={owner} gid={owner} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


def start_dovecot() -> DovecotServer:
    binary = require_binary(["/usr/sbin/dovecot", "dovecot"], "dovecot-imapd", "Dovecot (dovecot)")
    server = DovecotServer(binary=binary, root=make_temp_dir("atende-dovecot-"))
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


# -- Prometheus Alertmanager --------------------------------------------------------------------------------
@dataclass
class AlertmanagerServer:
    """Alertmanager on loopback, clustering off, with one webhook receiver (``webhook_url``, the bearer
    token in ``http_config.authorization``) and short group_wait / group_interval / repeat_interval, so a
    test sees groups, repeats and resolutions within seconds. Inject alerts with ``post_alerts``."""

    binary: str
    root: Path
    webhook_url: str
    token: str
    group_by: tuple[str, ...] = ("service",)
    repeat_interval: str = "2s"
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = self.port or free_port()
        config = self.root / "alertmanager.yml"
        config.write_text(
            "route:\n"
            "  receiver: atende\n"
            f"  group_by: [{', '.join(self.group_by)}]\n"
            "  group_wait: 500ms\n"
            "  group_interval: 1s\n"
            f"  repeat_interval: {self.repeat_interval}\n"
            "receivers:\n"
            "  - name: atende\n"
            "    webhook_configs:\n"
            f"      - url: {self.webhook_url}\n"
            "        send_resolved: true\n"
            "        http_config:\n"
            "          authorization:\n"
            "            type: Bearer\n"
            f"            credentials: {self.token}\n"
        )
        log = (self.root / "alertmanager.log").open("wb")
        self.process = subprocess.Popen(
            [self.binary, f"--config.file={config}", f"--storage.path={self.root / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=",
             "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(self._ready, 20, "prometheus-alertmanager")

    def stop(self) -> None:
        if self.process is not None:
            kill_pid(self.process.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
            self.process = None

    def post_alerts(self, alerts: list[dict[str, object]]) -> None:
        """POST /api/v2/alerts (what Prometheus does on every evaluation)."""
        import json
        import urllib.request

        request = urllib.request.Request(
            f"{self.url}/api/v2/alerts", data=json.dumps(alerts).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise RuntimeError(f"alertmanager refused the alerts: {response.status}")

    def log_text(self) -> str:
        try:
            return (self.root / "alertmanager.log").read_text(errors="replace")
        except OSError:
            return ""

    def _ready(self) -> bool:
        import urllib.request

        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"alertmanager exited: {self.log_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False


def start_alertmanager(webhook_url: str, token: str, **options: object) -> AlertmanagerServer:
    binary = require_binary(["/usr/bin/prometheus-alertmanager", "prometheus-alertmanager", "alertmanager"],
                            "prometheus-alertmanager", "Prometheus Alertmanager (prometheus-alertmanager)")
    server = AlertmanagerServer(binary=binary, root=make_temp_dir("atende-alertmanager-"),
                                webhook_url=webhook_url, token=token, **options)  # type: ignore[arg-type]
    try:
        server.start()
    except BaseException:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
        raise
    return server
