"""Log hygiene (issue 11 §4): no bm25s DEBUG lines in an INFO log; web-chat polls not logged per line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from atende.adapters.ml import SearchKnowledgeBase
from atende.app import QuietPolls
from atende.settings import REPO_ROOT


def test_loading_the_kb_logs_no_bm25s_debug_lines_at_info(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    try:
        kb = SearchKnowledgeBase(REPO_ROOT / "kb", tmp_path / "cache", tmp_path / "stats.db", None)
        kb.load_sync()
        caplog.clear()
        logging.getLogger("bm25s").debug("Building index from tokens")  # what bm25s does on every search
        assert not [r for r in caplog.records if r.name == "bm25s" and r.levelno < logging.INFO]
    finally:
        root.setLevel(level)


def test_polls_are_not_logged_but_other_requests_are() -> None:
    f = QuietPolls()

    def rec(method: str, path: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                                 ("127.0.0.1:1", method, path, "1.1", 200), None)

    assert not f.filter(rec("GET", "/api/chat/messages?after=3"))
    assert not f.filter(rec("GET", "/api/chat/events?after=3"))
    assert f.filter(rec("POST", "/api/chat/messages"))
    assert f.filter(rec("GET", "/api/tickets"))
