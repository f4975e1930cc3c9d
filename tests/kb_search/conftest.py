"""Small knowledge bases built from the shipped articles, and one real MiniLM model for the whole session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb_search import Embedder

REPO = Path(__file__).resolve().parents[2]
SAMPLE_IDS = ("password-reset", "vpn-connect", "printer-not-printing", "refund-request", "leave-request")
LANGS = ("es", "pt", "en")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder()
    model.load()
    return model


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Embedding cache shared by the session: each sample text is embedded once."""
    return tmp_path_factory.mktemp("kb-cache")


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    for lang in LANGS:
        (root / lang).mkdir(parents=True)
        for art in SAMPLE_IDS:
            shutil.copy(REPO / "kb" / lang / f"{art}.md", root / lang / f"{art}.md")
    return root


def write_article(
    path: Path, art_id: str, lang: str, title: str, body: str, category: str = "it_support"
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"---\nid: {art_id}\ntitle: {title}\nlanguage: {lang}\ncategory: {category}\ntags: [test]\n"
        f"updated: 2025-11-20\n---\n{body}\n",
        encoding="utf-8",
    )
    return path
