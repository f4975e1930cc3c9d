"""Knowledge-base retrieval benchmark: one run, one table.

  (a) tobi-bueck-tickets-en test.csv.gz: known-item answer retrieval (subject + body -> its own answer)
  (b) helpdesk-tickets-multilang-600, per language, on the half of each language not used for tuning
  (c) the starter KB with benchmarks/data/kb_queries.test.yaml (60 user queries + 20 off-topic ones)
  plus KB index build time, search p50/p99, peak RSS and a 100,000-article scale row.

  .venv/bin/python benchmarks/kb.py [--data-dir ../shared/data] [--tune] [--scale 100000]

--tune first fits the fusion weights and thresholds on development data only (a random 2,000-ticket sample of
train.csv.gz, the other half of each multilang language, kb_queries.dev.yaml) and writes
kb_search/params.json. For (a) it also reports "+adapter" rows: a query adapter (kb_search/adapter.py) fitted
on the rest of train.csv.gz (9,760 pairs), its epochs/temperature/alpha chosen on the dev sample; it is
refitted on every run (seconds, deterministic), never shipped as weights. Test files are only reported.
Embeddings are cached by content hash in --cache-dir (git-ignored), so only the first run pays for them.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb_search import Article, Embedder, EmbeddingCache, FusionParams, KnowledgeBase, LanguageParams  # noqa: E402
from kb_search.adapter import QueryAdapter  # noqa: E402
from kb_search.evaluate import Ticket, evaluate_matrices, metrics, rank_of_gold, read_tickets, score_matrices  # noqa: E402
from kb_search.fusion import (  # noqa: E402
    PARAMS_FILE,
    confidence,
    rank_scores,
    rrf,
)
from kb_search.snapshot import DenseRows, Snapshot  # noqa: E402

ML_LANGS = ("es", "pt", "en", "de", "fr")
KB_LANGS = ("es", "pt", "en")
ROWS: list[tuple[str, ...]] = []


def row(*cells: object) -> None:
    ROWS.append(tuple(f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dev_half(t: Ticket) -> bool:
    return hashlib.sha256(t.ticket_id.encode()).digest()[0] % 2 == 0


# -- tickets ------------------------------------------------------------------------------------------------
def tune_alpha(tickets: list[Ticket], lang: str, embed) -> float:
    m = score_matrices(tickets, lang, embed)
    grid = [round(a, 2) for a in np.arange(0.2, 0.61, 0.05)]  # small dev sets: keep away from extremes
    best = max(grid, key=lambda a: metrics(rank_of_gold(rank_scores(m.bm25, m.dense, a)))["mrr_at_10"])
    return float(best)


def fit_adapter(pairs: list[Ticket], embed, epochs: int, temperature: float) -> QueryAdapter:
    return QueryAdapter.fit(
        embed([t.query for t in pairs]),
        embed([t.answer for t in pairs]),
        epochs=epochs,
        temperature=temperature,
    )


def tune_adapter(fit: list[Ticket], dev: list[Ticket], embed) -> dict[str, float]:
    """Query adapter for in-domain tickets: fitted on ``fit`` (train.csv.gz minus the dev sample), epochs,
    temperature and the fusion alpha chosen by MRR@10 on ``dev`` (the 2,000-ticket dev sample)."""
    m = score_matrices(dev, "en", embed)
    best: tuple[float, dict[str, float]] | None = None
    for epochs, temp in itertools.product((10, 20, 40), (0.03, 0.05)):
        adapter = fit_adapter(fit, embed, epochs, temp)
        dense = adapter.apply(embed([t.query for t in dev])) @ embed([t.answer for t in dev]).T
        mrr, a = max(
            (metrics(rank_of_gold(rank_scores(m.bm25, dense, a)))["mrr_at_10"], a)
            for a in (round(x, 2) for x in np.arange(0.1, 0.51, 0.05))
        )
        print(f"adapter dev: epochs={epochs} temp={temp} alpha={a} MRR@10 {mrr:.4f}", file=sys.stderr)
        if best is None or mrr > best[0]:
            best = (mrr, {"alpha": a, "epochs": epochs, "temperature": temp})
    assert best is not None
    return best[1]


def ticket_rows(
    name: str,
    tickets: list[Ticket],
    lang: str,
    embed,
    alpha: float,
    adapter: QueryAdapter | None = None,
    adapted_alpha: float = 0.0,
) -> None:
    m = score_matrices(tickets, lang, embed)
    res = evaluate_matrices(m, alpha)
    assert m.dense is not None
    res["rrf"] = metrics(rank_of_gold(rrf(m.bm25, m.dense)))
    notes = {"hybrid": f"alpha={alpha}"}
    if adapter is not None:
        adapted = score_matrices(tickets, lang, embed, query_adapter=adapter)
        assert adapted.dense is not None
        res["dense+adapter"] = metrics(rank_of_gold(adapted.dense))
        res["hybrid+adapter"] = metrics(rank_of_gold(rank_scores(adapted.bm25, adapted.dense, adapted_alpha)))
        notes["dense+adapter"] = "query adapter fitted on train.csv.gz minus the dev sample"
        notes["hybrid+adapter"] = f"alpha={adapted_alpha}"
    for method, r in res.items():
        row(
            name,
            len(tickets),
            method,
            r["mrr_at_10"],
            r["recall_at_1"],
            "",
            r["recall_at_5"],
            "",
            notes.get(method, ""),
        )


# -- starter KB ---------------------------------------------------------------------------------------------
@dataclass
class Q:
    lang: str
    text: str
    expected: frozenset[str]
    lex: np.ndarray
    dense: np.ndarray


def kb_queries(kb: KnowledgeBase, path: Path) -> tuple[list[Q], list[Q]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    snap = kb._snap

    def make(item: dict, expected: frozenset[str]) -> Q:
        lex, dense = snap.article_scores(item["text"], item["lang"], kb.embed_query(item["text"]))
        assert dense is not None
        return Q(item["lang"], item["text"], expected, lex, dense)

    on = [make(i, frozenset(i["expected"])) for i in data["queries"]]
    off = [make(i, frozenset()) for i in data["off_topic"]]
    return on, off


def scores_for(q: Q, mode: str, alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    if mode == "bm25":
        return q.lex, q.lex
    if mode == "dense":
        return q.dense, q.dense
    return rank_scores(q.lex, q.dense, alpha), confidence(q.lex, q.dense, beta)


def best_threshold(pos: list[float], neg: list[float]) -> float:
    """Threshold maximising kept on-topic + rejected off-topic; ties go to the widest gap."""
    values = sorted(set(pos + neg))
    cands = [(a + b) / 2 for a, b in itertools.pairwise(values)] or [0.5]

    def key(t: float) -> tuple[float, float]:
        acc = np.mean([p >= t for p in pos]) + np.mean([n < t for n in neg])
        gap = min(abs(v - t) for v in values)
        return (acc, gap)

    return float(max(cands, key=key))


def tune_kb(on: list[Q], off: list[Q], ids: list[str], params: FusionParams) -> FusionParams:
    """alpha per language (ranking on dev queries); beta and the threshold shared by all languages (the
    confidence is built to be language-independent, and 20 on-topic + 10 off-topic dev queries per language
    are too few for per-language thresholds), chosen for the most dev queries on the right side, ties to the
    widest gap relative to the spread of the confidences."""
    alphas: dict[str, float] = {}
    for lang in KB_LANGS:
        qs = [q for q in on if q.lang == lang]

        def quality(a: float, qs: list[Q] = qs) -> float:
            ranks = [rank_of(q, rank_scores(q.lex, q.dense, a), ids) for q in qs]
            return float(np.mean([r <= 3 for r in ranks]) + np.mean([1 / r for r in ranks]))

        alphas[lang] = max(
            (round(a, 2) for a in np.arange(0.0, 1.01, 0.05)), key=lambda a: (quality(a), -abs(a - 0.5))
        )

    def top_conf(q: Q, beta: float) -> float:
        alpha = alphas[q.lang]
        return float(confidence(q.lex, q.dense, beta)[np.argmax(rank_scores(q.lex, q.dense, alpha))])

    best = None
    for beta in (round(b, 1) for b in np.arange(0.0, 1.01, 0.1)):
        pos = [top_conf(q, beta) for q in on]
        neg = [top_conf(q, beta) for q in off]
        t = best_threshold(pos, neg)
        acc = np.mean([p >= t for p in pos]) + np.mean([n < t for n in neg])
        margin = min(abs(v - t) for v in pos + neg) / (float(np.std(pos + neg)) or 1.0)
        if best is None or (acc, margin) > best[0]:
            best = ((acc, margin), beta, t)
    assert best is not None
    bm_t = best_threshold([float(q.lex.max()) for q in on], [float(q.lex.max()) for q in off])
    default = LanguageParams(
        alpha=round(float(np.mean(list(alphas.values()))), 2),
        beta=best[1],
        threshold=round(best[2], 4),
        bm25_threshold=round(bm_t, 4),
    )
    params = replace(params, default=default)
    for lang in KB_LANGS:
        params = params.with_language(
            lang, alpha=alphas[lang], beta=best[1], threshold=round(best[2], 4), bm25_threshold=round(bm_t, 4)
        )
    return params


def rank_of(q: Q, scores: np.ndarray, ids: list[str]) -> int:
    order = np.argsort(-scores, kind="stable")
    for r, a in enumerate(order[:10], 1):
        if ids[a] in q.expected:
            return r
    return 1_000


def kb_rows(
    on: list[Q], off: list[Q], ids: list[str], params: FusionParams, dense_thr: dict[str, float]
) -> None:
    for lang in KB_LANGS:
        p = params.for_language(lang)
        for mode in ("bm25", "dense", "hybrid"):
            thr = {"bm25": p.bm25_threshold, "dense": dense_thr[lang], "hybrid": p.threshold}[mode]
            recall1 = recall3 = mrr = kept3 = 0.0
            qs = [q for q in on if q.lang == lang]
            for q in qs:
                rank, conf = scores_for(q, mode, p.alpha, p.beta)
                r = rank_of(q, rank, ids)
                recall1 += r <= 1
                recall3 += r <= 3
                mrr += 1 / r if r <= 10 else 0
                order = np.argsort(-rank, kind="stable")[:3]
                kept3 += any(ids[a] in q.expected and conf[a] >= thr for a in order)
            ofs = [q for q in off if q.lang == lang]
            rejected = np.mean([scores_for(q, mode, p.alpha, p.beta)[1].max() < thr for q in ofs])
            n = len(qs)
            row(
                f"(c) starter KB {lang}",
                f"{n}+{len(ofs)}",
                mode,
                mrr / n,
                recall1 / n,
                kept3 / n,
                "",
                float(rejected),
                f"R@3 no threshold {recall3 / n:.3f}",
            )


# -- scale --------------------------------------------------------------------------------------------------
def scale_rows(
    n: int, texts: list[str], vecs: np.ndarray, kb: KnowledgeBase, queries: list[tuple[str, str]]
) -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, len(texts), n)
    b = rng.integers(0, len(texts), n)
    arts = [
        Article(
            f"filler-{i}",
            texts[a[i]][:80],
            "en",
            "technical_support",
            ("filler",),
            "2025-01-01",
            f"{texts[a[i]]}\n\n{texts[b[i]]}",
            f"filler/{i}.md",
            texts[a[i]][:200],
        )
        for i in range(n)
    ]
    mix = vecs[a] + vecs[b]
    mix /= np.linalg.norm(mix, axis=1, keepdims=True)
    t0 = time.perf_counter()
    snap = Snapshot(arts)
    t_lex = time.perf_counter() - t0
    t0 = time.perf_counter()
    dense = DenseRows(mix.astype(np.float32), np.arange(n))
    t_ann = time.perf_counter() - t0
    snap = snap.with_dense(dense)
    params = kb.params
    lat, recalls = [], []
    for lang, text in queries * 2:
        t0 = time.perf_counter()
        q = kb.embed_query(text)
        snap.search(text, lang, q, params, k=3, apply_threshold=False)
        lat.append(time.perf_counter() - t0)
    for _lang, text in queries:
        q = kb.embed_query(text)
        assert q is not None
        exact = set(np.argsort(-(mix @ q))[:10].tolist())
        approx = set(np.argsort(-dense.doc_scores(q))[:10].tolist())
        recalls.append(len(exact & approx) / 10)
    lat_ms = np.array(lat) * 1e3
    row(
        f"scale: {n:,} generated articles",
        len(lat),
        "hybrid+IVF",
        "",
        "",
        "",
        "",
        "",
        f"build BM25 {t_lex:.1f}s + IVF {t_ann:.1f}s; search p50 {np.percentile(lat_ms, 50):.1f} ms, "
        f"p99 {np.percentile(lat_ms, 99):.1f} ms (incl. query embedding); IVF recall@10 vs exact "
        f"{np.mean(recalls):.3f}; peak RSS {rss_mb():.0f} MB",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--kb-dir", type=Path, default=ROOT / "kb")
    ap.add_argument("--cache-dir", type=Path, default=ROOT / ".cache" / "kb")
    ap.add_argument("--model-dir", type=Path, default=None)
    ap.add_argument(
        "--tune", action="store_true", help="fit weights/thresholds on dev data, write params.json"
    )
    ap.add_argument("--params-out", type=Path, default=PARAMS_FILE)
    ap.add_argument(
        "--scale", type=int, default=100_000, help="generated articles for the scale row (0: skip)"
    )
    args = ap.parse_args()

    embedder = Embedder(args.model_dir)
    cache = EmbeddingCache(args.cache_dir, embedder.tag)

    def embed(texts: list[str]) -> np.ndarray:
        return cache.embed(embedder, texts)[0]

    tobi = args.data_dir / "tobi-bueck-tickets-en"
    ml_file = args.data_dir / "helpdesk-tickets-multilang-600" / "helpdesk_customer_tickets.csv"
    ml = read_tickets(ml_file)
    ml_by = {lang: [t for t in ml if t.language == lang] for lang in ML_LANGS}
    train_all = read_tickets(tobi / "train.csv.gz")
    random.Random(7).shuffle(train_all)
    train, fit_pool = train_all[:2000], train_all[2000:]  # dev sample; pairs the query adapter learns from

    # KB: cold build in a fresh cache (embeds every article), then the warm load the server does.
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        KnowledgeBase.load(args.kb_dir, tmp, args.model_dir).wait_ready()
        cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    kb = KnowledgeBase.load(args.kb_dir, args.cache_dir, args.model_dir, refresh_interval=None)
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    KnowledgeBase.load(args.kb_dir, args.cache_dir, args.model_dir, background=True, refresh_interval=None)
    bm25_ready = time.perf_counter() - t0
    ids = kb._snap.article_ids
    dev_on, dev_off = kb_queries(kb, ROOT / "benchmarks" / "data" / "kb_queries.dev.yaml")

    params = kb.params
    if args.tune:
        ta = {"default": 0.35, "en": tune_alpha(train, "en", embed)}
        for lang in ("es", "pt", "de", "fr"):
            ta[lang] = tune_alpha([t for t in ml_by[lang] if dev_half(t)], lang, embed)
        params = tune_kb(dev_on, dev_off, ids, replace(params, ticket_alpha=ta))
        params = replace(params, ticket_adapter=tune_adapter(fit_pool, train, embed))
        args.params_out.write_text(params.to_json(), encoding="utf-8")
        print(f"tuned parameters written to {args.params_out}", file=sys.stderr)
        kb.params = params
    dense_thr = {
        lang: best_threshold(
            [float(q.dense.max()) for q in dev_on if q.lang == lang],
            [float(q.dense.max()) for q in dev_off if q.lang == lang],
        )
        for lang in KB_LANGS
    }

    test = read_tickets(tobi / "test.csv.gz")
    adapter, adapted_alpha = None, 0.0
    if params.ticket_adapter:
        cfg = params.ticket_adapter
        adapter = fit_adapter(fit_pool, embed, int(cfg["epochs"]), cfg["temperature"])
        adapted_alpha = cfg["alpha"]
    ticket_rows(
        "(a) tobi-bueck test", test, "en", embed, params.alpha_for_tickets("en"), adapter, adapted_alpha
    )
    for lang in ML_LANGS:
        half = [t for t in ml_by[lang] if not dev_half(t)]
        ticket_rows(
            f"(b) multilang-600 {lang} (test half)", half, lang, embed, params.alpha_for_tickets(lang)
        )
    on, off = kb_queries(kb, ROOT / "benchmarks" / "data" / "kb_queries.test.yaml")
    kb_rows(on, off, ids, params, dense_thr)

    lat = []
    for q in on + off:
        for _ in range(3):
            t0 = time.perf_counter()
            kb.search(q.text, q.lang)
            lat.append((time.perf_counter() - t0) * 1e3)
    row(
        "(c) starter KB timings",
        f"{len(kb.articles)} docs",
        "hybrid",
        "",
        "",
        "",
        "",
        "",
        f"index build cold {cold:.1f}s (embeds all), warm {warm:.1f}s (cache), "
        f"keyword-only ready {bm25_ready:.2f}s; search p50 {np.percentile(lat, 50):.1f} ms "
        f"p99 {np.percentile(lat, 99):.1f} ms; "
        f"peak RSS {rss_mb():.0f} MB",
    )

    if args.scale:
        pool = test + train
        texts = [t.answer for t in pool] + [t.query for t in pool]
        scale_rows(args.scale, texts, embed(texts), kb, [(q.lang, q.text) for q in on + off])

    head = (
        "dataset",
        "n",
        "method",
        "MRR@10",
        "R@1",
        "R@3 (suggested)",
        "R@5",
        "off-topic rejected",
        "notes",
    )
    widths = [max(len(r[i]) for r in [head, *ROWS]) for i in range(len(head))]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in ROWS:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
