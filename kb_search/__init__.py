"""Knowledge-base search for Atende: Markdown articles, BM25 + sentence-transformers hybrid retrieval,
a calibrated suggestion threshold, hot reload and deflection statistics.

Imports only its libraries (bm25s, PyStemmer, numpy, pyyaml; sentence-transformers lazily), none of the
other Atende packages; the composition root adapts it to dialog.ports.KnowledgeBase.
"""

from kb_search.articles import Article, ArticleError, load_articles, parse_article
from kb_search.dense import Embedder, EmbeddingCache, ModelNotFoundError, default_model_dir
from kb_search.fusion import FusionParams, LanguageParams
from kb_search.index import IndexReport, KnowledgeBase
from kb_search.snapshot import Hit
from kb_search.stats import ArticleStats, DeflectionStats

__all__ = [
    "Article",
    "ArticleError",
    "ArticleStats",
    "DeflectionStats",
    "Embedder",
    "EmbeddingCache",
    "FusionParams",
    "Hit",
    "IndexReport",
    "KnowledgeBase",
    "LanguageParams",
    "ModelNotFoundError",
    "default_model_dir",
    "load_articles",
    "parse_article",
]
