"""The service fixtures themselves: each server answers like the real thing the product talks to."""

from __future__ import annotations

import uuid

import pytest

from tests.services import DovecotServer, RedisServer


@pytest.mark.postgres
def test_postgres_accepts_connections(postgres_url: str, postgres_database_url: str) -> None:
    import psycopg

    for url in (postgres_url, postgres_database_url):
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            version = conn.execute("SHOW server_version").fetchone()
            assert version is not None and int(version[0].split(".")[0]) >= 13
    assert postgres_url.rsplit("/", 1)[1] != postgres_database_url.rsplit("/", 1)[1]


@pytest.mark.redis
def test_redis_set_get(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    key = f"test:{uuid.uuid4()}"
    client.set(key, "ok", ex=60)
    assert client.get(key) == b"ok"
    client.close()


@pytest.mark.redis
def test_redis_restart_keeps_data_with_appendonly(redis_restartable: RedisServer) -> None:
    import redis

    client = redis.Redis.from_url(redis_restartable.url)
    client.xadd("stream", {"n": "1"})
    client.close()
    redis_restartable.restart()
    client = redis.Redis.from_url(redis_restartable.url)
    assert client.xlen("stream") == 1
    client.close()


@pytest.mark.imap
def test_dovecot_login_and_select_inbox(dovecot: DovecotServer) -> None:
    from imapclient import IMAPClient

    for user, password in ((dovecot.user, dovecot.password), (dovecot.other_user, dovecot.other_password)):
        with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10) as client:
            client.login(user, password)
            before = client.select_folder("INBOX")[b"EXISTS"]  # the server is shared by the session
            client.append("INBOX", b"From: a@example.test\r\nSubject: hi\r\n\r\nbody\r\n")
            assert client.select_folder("INBOX")[b"EXISTS"] == before + 1
            client.logout()


@pytest.mark.imap
def test_dovecot_rejects_wrong_password(dovecot: DovecotServer) -> None:
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError

    with (
        IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10) as client,
        pytest.raises(LoginError),
    ):
        client.login(dovecot.user, "wrong")


def test_missing_binary_skips_or_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.services import REQUIRE_ENV, require_binary

    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y no-such-package"):
        require_binary(["/nonexistent/bin/thing", "no-such-binary-xyz"], "no-such-package", "Thing")
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y no-such-package"):
        require_binary(["/nonexistent/bin/thing"], "no-such-package", "Thing")
    assert require_binary(["/nonexistent/x", "sh"], "dash", "a shell").endswith("/sh")
