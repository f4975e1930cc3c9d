"""Incremental indexing with the embedding cache, and hot reload of changed articles."""

from __future__ import annotations

import os
from pathlib import Path

from kb_search import Embedder, KnowledgeBase
from tests.kb_search.conftest import write_article


def test_index_embeds_only_new_or_changed_articles(kb_dir: Path, tmp_path: Path, embedder: Embedder) -> None:
    cache = tmp_path / "cache"
    kb = KnowledgeBase.load(kb_dir, cache, dense=False)
    kb.embedder = embedder
    first = kb.index()
    assert first.articles == 15 and first.errors == ()
    assert first.embedded == 30 and first.cached == 0  # two texts per article
    again = kb.index()
    assert again.embedded == 0 and again.cached == 30
    p = kb_dir / "en" / "vpn-connect.md"
    p.write_text(
        p.read_text(encoding="utf-8").replace("Restart the computer", "Reboot the laptop"), encoding="utf-8"
    )
    changed = kb.index()
    assert (
        changed.embedded == 1 and changed.cached == 29
    )  # the body text changed, the title/summary text did not
    # A new process reuses the cache on disk.
    fresh = KnowledgeBase.load(kb_dir, cache, dense=False)
    fresh.embedder = embedder
    assert fresh.index().embedded == 0


def _touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_hot_reload_picks_up_added_changed_and_deleted_articles(
    kb_dir: Path, shared_cache: Path, embedder: Embedder
) -> None:
    kb = KnowledgeBase.load(kb_dir, shared_cache, embedder=embedder, refresh_interval=0)
    query = "el teletransportador cuántico de la sala B está averiado"
    assert all(h.article_id != "quantum" for h in kb.search(query, "es", threshold=False))

    new = write_article(
        kb_dir / "es" / "quantum.md",
        "quantum",
        "es",
        "Teletransportador cuántico averiado",
        "Si el teletransportador cuántico de la sala B está averiado, reinicia el condensador.",
    )
    hits = kb.search(query, "es")  # no restart, no explicit refresh: search notices the new file
    assert hits and hits[0].article_id == "quantum" and kb.dense_ready

    new.write_text(
        new.read_text(encoding="utf-8").replace("reinicia el condensador", "llama al laboratorio"),
        encoding="utf-8",
    )
    _touch_later(new)
    assert "llama al laboratorio" in kb.search(query, "es")[0].body

    new.unlink()
    assert all(h.article_id != "quantum" for h in kb.search(query, "es", threshold=False))


def test_malformed_file_added_at_runtime_is_reported_and_the_rest_keeps_working(
    kb_dir: Path, shared_cache: Path, embedder: Embedder
) -> None:
    kb = KnowledgeBase.load(kb_dir, shared_cache, embedder=embedder, refresh_interval=None)
    (kb_dir / "en" / "broken.md").write_text(
        "---\nid: broken\ntitle: [unclosed\n---\nbody body body", encoding="utf-8"
    )
    assert kb.refresh() is True
    assert len(kb.errors) == 1 and "broken.md" in str(kb.errors[0]) and "invalid YAML" in str(kb.errors[0])
    assert kb.search("forgot my password", "en")[0].article_id == "password-reset"
    assert kb.refresh() is False  # nothing changed since
