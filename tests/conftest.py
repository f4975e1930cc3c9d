"""Shared fixtures: real services (PostgreSQL, Redis, Dovecot) started once per test session.

Each server is started lazily by the first test that asks for it, runs as an ordinary process on a free
127.0.0.1 port and is stopped by PID at the end of the session. See tests/services.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.services import (
    DovecotServer,
    PostgresServer,
    RedisServer,
    start_dovecot,
    start_postgres,
    start_redis,
)


def pytest_configure(config: pytest.Config) -> None:
    # "postgres" and "redis" are registered in pyproject.toml; this one belongs with the dovecot fixture.
    config.addinivalue_line("markers", "imap: needs a real IMAP server (Dovecot, started by the fixtures)")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """URL of the server's ``postgres`` database (shared by the session: prefer ``postgres_database_url``)."""
    return postgres_server.url


@pytest.fixture
def postgres_database_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database for this test only."""
    return postgres_server.create_database()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """Shared by the session: flush or namespace your keys."""
    return redis_server.url


@pytest.fixture
def redis_restartable() -> Iterator[RedisServer]:
    """A private Redis with the append-only file on, for tests that restart it and expect data back."""
    server = start_redis(appendonly=True)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """IMAP on ``dovecot.host:dovecot.port`` (no TLS) with accounts ``user``/``password`` and
    ``other_user``/``other_password``."""
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()
