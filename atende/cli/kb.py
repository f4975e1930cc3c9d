"""`atende kb ...`: build the knowledge-base index, try searches, evaluate retrieval on a tickets file.

Registered on the main CLI by ``register(app)``. Paths not given as options come from the same settings the
server uses (ATENDE_KB_DIR, ATENDE_DATA_DIR/kb_cache, ATENDE_EMBEDDING_MODEL), so `atende kb index` fills the
cache `atende serve` reads.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from kb_search import IndexReport

KbDir = typer.Option(
    None, "--kb-dir", envvar="ATENDE_KB_DIR", help="Folder of Markdown articles [default: kb/]."
)
CacheDir = typer.Option(
    None,
    "--cache-dir",
    envvar="ATENDE_KB_CACHE_DIR",
    help="Embedding cache (by content hash) [default: <ATENDE_DATA_DIR>/kb_cache, as `atende serve` uses].",
)
ModelDir = typer.Option(
    None,
    "--model-dir",
    envvar="ATENDE_EMBEDDING_MODEL",
    help="sentence-transformers model folder [default: bundled all-MiniLM-L6-v2].",
)


def _paths(
    kb_dir: Path | None, cache_dir: Path | None, model_dir: str | Path | None
) -> tuple[Path, Path, str | None]:
    """Fill what the options left out from the same settings the server uses."""
    if kb_dir is not None and cache_dir is not None:
        return kb_dir, cache_dir, str(model_dir) if model_dir else None
    from atende.settings import load_settings

    settings = load_settings()
    return (
        kb_dir or settings.resolved_kb_dir,
        cache_dir or settings.data_dir / "kb_cache",
        str(model_dir) if model_dir else settings.embedding_model,
    )


def _progress(label: str):  # type: ignore[no-untyped-def]
    def report(done: int, total: int) -> None:
        sys.stderr.write(f"\r{label}: {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


def register(app: typer.Typer) -> None:
    kb_app = typer.Typer(help="Knowledge base: index, search and evaluate.", no_args_is_help=True)

    @kb_app.command("index")
    def index(
        kb_dir: Path | None = KbDir, cache_dir: Path | None = CacheDir, model_dir: Path | None = ModelDir
    ) -> None:
        """Read the articles and embed those new or changed since the last run (cached by content hash)."""
        build_index(*_paths(kb_dir, cache_dir, model_dir))

    @kb_app.command("search")
    def search(
        text: str = typer.Argument(..., help="What the user wrote."),
        lang: str = typer.Option("es", "--lang", help="The user's language (es, pt, en)."),
        k: int = typer.Option(3, "--k", min=1, max=50, help="How many articles at most."),
        category: str | None = typer.Option(None, "--category", help="Predicted category (a small boost)."),
        all_hits: bool = typer.Option(False, "--all", help="Show hits under the threshold too."),
        kb_dir: Path | None = KbDir,
        cache_dir: Path | None = CacheDir,
        model_dir: Path | None = ModelDir,
    ) -> None:
        """Search the knowledge base as the bot does (only hits above the threshold unless --all)."""
        from kb_search import KnowledgeBase

        kb_path, cache_path, model = _paths(kb_dir, cache_dir, model_dir)
        kb = KnowledgeBase.load(kb_path, cache_path, model, refresh_interval=None)
        hits = kb.search(text, lang, category=category, k=k, threshold=not all_hits)
        if not hits:
            typer.echo("no article above the threshold")
            return
        for h in hits:
            typer.echo(f"{h.score:6.3f}  {h.article_id}  [{h.language}]  {h.title}  ({h.path})")

    @kb_app.command("eval")
    def evaluate(
        tickets: Path = typer.Option(
            ...,
            "--tickets",
            exists=True,
            dir_okay=False,
            help="CSV(.gz) with subject, body and answer columns.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
        lang: str | None = typer.Option(None, "--lang", help="Only rows of this language (default: all)."),
        limit: int | None = typer.Option(None, "--limit", min=2, help="Use only the first N tickets."),
        cache_dir: Path | None = CacheDir,
        model_dir: Path | None = ModelDir,
    ) -> None:
        """Known-item answer retrieval: each ticket's subject + body must find its own answer."""
        from kb_search import Embedder, EmbeddingCache, FusionParams
        from kb_search.evaluate import evaluate_tickets, read_tickets

        rows = read_tickets(tickets, language=lang)
        if limit:
            rows = rows[:limit]
        if len(rows) < 2:
            raise typer.BadParameter(
                "need at least two tickets with a body and an answer", param_hint="--tickets"
            )
        _, cache_path, model = _paths(Path("."), cache_dir, model_dir)
        embedder = Embedder(model)
        cache = EmbeddingCache(cache_path, embedder.tag)
        progress = None if as_json else _progress("embedding")

        def embed(texts: list[str]):  # type: ignore[no-untyped-def]
            return cache.embed(embedder, texts, progress)[0]

        params = FusionParams.load()
        report = evaluate_tickets(rows, embed, params.alpha_for_tickets)
        if as_json:
            typer.echo(json.dumps(report))
            return
        typer.echo(f"n = {report['n']}")
        for method in ("bm25", "dense", "hybrid"):
            m = report[method]
            assert isinstance(m, dict)
            typer.echo(
                f"{method:7s} MRR@10 {m['mrr_at_10']:.3f}  R@1 {m['recall_at_1']:.3f}  "
                f"R@5 {m['recall_at_5']:.3f}"
            )

    @kb_app.command("stats")
    def stats(
        db: Path = typer.Option(
            ..., "--db", envvar="ATENDE_KB_STATS_DB", help="Deflection stats SQLite file."
        ),
    ) -> None:
        """Deflection counters per article."""
        from kb_search.stats import DeflectionStats

        store = DeflectionStats(db)
        typer.echo(
            f"{'article':32s} {'shown':>6s} {'accepted':>8s} {'rejected':>8s} "
            f"{'reopened7d':>10s} {'rate':>6s}"
        )
        for s in store.stats():
            typer.echo(
                f"{s.article_id:32s} {s.shown:6d} {s.accepted:8d} {s.rejected:8d} {s.reopened:10d} "
                f"{s.deflection_rate:6.2f}"
            )

    app.add_typer(kb_app, name="kb")


def build_index(kb_dir: Path, cache_dir: Path, model_dir: str | Path | None = None) -> IndexReport:
    """Embed the articles missing from the cache, with progress on stderr (`atende kb index`,
    `atende prepare`). Quick when nothing changed: the model is not even loaded."""
    from kb_search import Embedder, KnowledgeBase

    kb = KnowledgeBase.load(kb_dir, cache_dir, dense=False, refresh_interval=None)
    kb.embedder = Embedder(model_dir)  # loaded only if something is missing from the cache
    report = kb.index(progress=_progress("embedding"))
    for err in report.errors:
        typer.secho(f"rejected {err}", fg=typer.colors.YELLOW, err=True)
    typer.echo(
        f"{report.articles} articles ({', '.join(report.languages) or 'none'}), "
        f"{len(report.errors)} rejected; embedded {report.embedded} new texts, "
        f"{report.cached} from cache; {report.seconds:.1f}s"
    )
    return report
