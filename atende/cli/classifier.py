"""`atende train` and `atende eval`: build and measure the ticket classifier from the command line.

A desk retrains on its own CSV export (column names are options) or on its ticket store, where the
agents' corrections of category, type and priority are the labels. The heavy imports (scikit-learn,
the ticket store) happen inside the commands so `atende --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

DataOpt = Annotated[list[Path] | None, typer.Option("--data", help="CSV or CSV.gz file (repeatable)")]
TextOpt = Annotated[str, typer.Option("--text", help="text column(s), comma-separated, joined in order")]
LabelOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--label", help="HEAD=COLUMN (repeatable); default category=queue, type=type, priority=priority"
    ),
]


def register(app: typer.Typer) -> None:
    """Add the `train` and `eval` commands to the given (main) application."""
    app.command("train")(train)
    app.command("eval")(evaluate)


def train(
    data: DataOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="model directory to write (default: the configured "
            "model dir, ATENDE_MODEL_DIR or models/classifier)"
        ),
    ] = None,
    text: TextOpt = "subject,body",
    label: LabelOpt = None,
    seed: Annotated[int, typer.Option(help="random seed; the same data and seed give the same model")] = 0,
    cold_start: Annotated[
        bool,
        typer.Option("--cold-start", help="build the triage model from the taxonomy file alone (no tickets)"),
    ] = False,
    from_db: Annotated[
        bool,
        typer.Option(
            "--from-db",
            help="learn from the ticket store: tickets whose category an agent set or confirmed (resolved, "
            "closed), blended with the cold-start model while they are few",
        ),
    ] = False,
    taxonomy: Annotated[
        Path | None,
        typer.Option(help="taxonomy file (default: ATENDE_TAXONOMY_FILE or dialog/taxonomy/it.yaml)"),
    ] = None,
    blend_n0: Annotated[
        float,
        typer.Option(help="desk tickets at which the desk model weighs as much as the cold start"),
    ] = 25.0,
    db_url: Annotated[
        str | None,
        typer.Option(help="ticket store URL for --from-db (default: ATENDE_DATABASE_URL or the SQLite file)"),
    ] = None,
    correction_weight: Annotated[
        float, typer.Option(help="weight of tickets an agent corrected (--from-db)")
    ] = 3.0,
    eval_data: Annotated[
        list[Path] | None,
        typer.Option(
            "--eval-data",
            help="held-out CSV (or JSONL with text/category/type) to evaluate after training; its figures go "
            "into the card",
        ),
    ] = None,
    note: Annotated[
        list[str] | None, typer.Option(help="a line for the model card (licence, attribution); repeatable")
    ] = None,
) -> None:
    """Train the classifier and write it with its model card: from the taxonomy alone (--cold-start), from
    the desk's confirmed tickets blended with it (--from-db), or from a labelled CSV export (--data)."""
    import classifier

    if sum([bool(data), from_db, cold_start]) != 1:
        _fail("give one of --cold-start, --from-db, or --data FILE (one or more)")
    if cold_start or from_db:
        taxonomy_file = taxonomy or _settings().resolved_taxonomy_file
        clf = _train_triage(taxonomy_file, from_db, db_url, correction_weight, blend_n0, seed)
    else:
        clf = _train_csv(data or [], text, label, seed)
    clf.card.setdefault("training", {})["command"] = _command(
        data, text, label, seed, from_db, eval_data, cold_start, taxonomy
    )
    try:
        if note:
            clf.card["notes"] = list(note)
        for path in eval_data or []:
            texts, labels, source = _eval_rows(path, text, label)
            report = clf.evaluate(texts, {h: v for h, v in labels.items() if h in clf.heads})
            classifier.record_metrics(clf, source["file"], source["sha256"], report)
            _print_summary(report, [h for h in clf.heads if h in report], title=source["file"])
        target = out or _settings().resolved_model_dir
        card = clf.save(target)
    except classifier.ClassifierError as exc:
        _fail(str(exc))
    rows = card["training"].get("rows", card.get("desk", {}).get("rows", 0))
    if card.get("kind") == "triage":
        cold = card["cold_start"]
        typer.echo(
            f"built from {card['taxonomy']['file']} ({len(card['heads']['category'])} categories, "
            f"{cold['rows']} phrases, {cold['mode']}); desk tickets: {card['desk']['rows']} "
            f"(weight {card['desk']['weight']}); wrote {target} (version {card['version']})"
        )
    else:
        typer.echo(
            f"trained on {rows} tickets in {card['training']['seconds']} s; "
            f"wrote {target} (version {card['version']})"
        )


def _train_csv(data: list[Path], text: str, label: list[str] | None, seed: int) -> Any:
    import classifier

    text_columns = _columns(text)
    label_columns = _labels(label)
    try:
        ds = classifier.read_csv(data, text_columns, label_columns)
        provenance = {
            "sources": ds.sources,
            "skipped_rows": ds.skipped,
            "text_columns": list(text_columns),
            "label_columns": label_columns,
        }
        config = classifier.Config(seed=seed)
        return _fit_with_bar(ds.texts, ds.labels, None, None, config, provenance)
    except classifier.ClassifierError as exc:
        _fail(str(exc))


def _fit_with_bar(
    texts: list[str],
    labels: dict[str, list[str]],
    weights: list[float] | None,
    languages: list[str | None] | None,
    config: Any,
    provenance: dict[str, Any],
) -> Any:
    from tqdm import tqdm

    import classifier

    with tqdm(total=classifier.steps(config, len(labels)), desc="training", unit="step") as bar:

        def step(msg: str) -> None:
            bar.set_postfix_str(msg)
            bar.update(1)

        return classifier.train(
            texts,
            labels,
            weights=weights,
            languages=languages,
            config=config,
            on_step=step,
            provenance=provenance,
        )


def _train_triage(
    taxonomy_file: Path,
    from_db: bool,
    db_url: str | None,
    correction_weight: float,
    blend_n0: float,
    seed: int,
) -> Any:
    import classifier
    from classifier.taxonomy import load_taxonomy

    try:
        tax = load_taxonomy(taxonomy_file)
        desk = None
        provenance: dict[str, Any] = {"taxonomy_rows": sum(len(c.texts()) for c in tax.categories)}
        if from_db:
            texts, labels, weights, _languages, provenance = _rows_from_db(db_url, correction_weight, tax.ids)
            desk = (texts, labels["category"], weights)
        return classifier.build_triage(
            taxonomy_file, desk_tickets=desk, blend_n0=blend_n0, provenance=provenance
        )
    except classifier.ClassifierError as exc:
        _fail(str(exc))


def _eval_rows(path: Path, text: str, label: list[str] | None) -> tuple[list[str], dict[str, list[str]], Any]:
    """A held-out file: the triage JSONL format (text, category, type per line) or a CSV export."""
    import classifier
    from classifier.data import sha256_file

    if path.suffix == ".jsonl":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
            rows = [json.loads(line) for line in lines if line.strip()]
            texts = [str(r["text"]) for r in rows]
            labels = {h: [str(r[h]) for r in rows] for h in ("category", "type") if all(h in r for r in rows)}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _fail(f"{path}: not a JSONL file of objects with text and category: {exc}")
        return texts, labels, {"file": path.name, "sha256": sha256_file(path)}
    ds = classifier.read_csv([path], _columns(text), _labels(label))
    return ds.texts, ds.labels, ds.sources[0]


def evaluate(
    data: DataOpt = None,
    model: Annotated[Path | None, typer.Option(help="model directory (default: the configured one)")] = None,
    text: TextOpt = "subject,body",
    label: LabelOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object of headline figures")
    ] = False,
) -> None:
    """Evaluate a model on labelled CSV data: accuracy, macro-F1, per-class P/R/F1, confusion matrix,
    top-3 accuracy, calibration error and selective accuracy at 70% coverage."""
    import classifier

    if not data:
        _fail("give --data FILE")
    try:
        settings = _settings()
        clf = classifier.load(model or settings.resolved_model_dir, settings.resolved_taxonomy_file)
        texts: list[str] = []
        labels: dict[str, list[str]] = {}
        for path in data or []:
            t, lbl, _ = _eval_rows(path, text, label)
            texts += t
            for h, v in lbl.items():
                labels.setdefault(h, []).extend(v)
        report = clf.evaluate(texts, {h: v for h, v in labels.items() if h in clf.heads})
    except classifier.ClassifierError as exc:
        _fail(str(exc))
    ignored = sorted(set(labels) - set(clf.heads))
    if ignored:
        typer.echo(f"note: the model has no head named {', '.join(ignored)}; not evaluated", err=True)
    heads = [h for h in clf.heads if h in report]
    for h in heads:
        if report[h]["unseen_labels"]:
            typer.echo(
                f"note: {h}: labels the model never saw (counted as errors): "
                + ", ".join(f"{k} ({v})" for k, v in report[h]["unseen_labels"].items()),
                err=True,
            )
    if as_json:
        from classifier.metrics import summary

        typer.echo(json.dumps({**{h: summary(report[h]) for h in heads}, "n": report["n"]}))
        return
    typer.echo(f"model {clf.version}; {report['n']} tickets")
    _print_summary(report, heads)
    for h in heads:
        _print_details(h, report[h])


def _rows_from_db(
    db_url: str | None, correction_weight: float, categories: list[str]
) -> tuple[list[str], dict[str, list[str]], list[float], list[str | None], dict[str, Any]]:
    """The tickets whose labels a person stands behind: an agent changed the category (or type, priority),
    or worked the ticket to resolved/closed without changing it. Tickets the bot filed that nobody has
    looked at yet are left out (learning from them would only teach the model its own guesses), and so
    are categories no longer in the taxonomy."""
    from ticket_core import TicketStore

    url = db_url or _settings().resolved_database_url
    with TicketStore.open(url) as store:
        every = store.training_rows()
    confirmed = [r for r in every if r.corrected or r.status in ("resolved", "closed")]
    rows = [r for r in confirmed if r.category in categories]
    if not rows:
        _fail(
            f"the ticket store has no ticket whose category an agent set or confirmed ({len(every)} tickets, "
            f"{len(confirmed)} confirmed, none in a current category); train with --cold-start"
        )
    texts = [r.text for r in rows]
    labels = {
        "category": [r.category for r in rows],
        "type": [r.type for r in rows],
        "priority": [r.priority_level for r in rows],
    }
    weights = [correction_weight if r.corrected else 1.0 for r in rows]
    corrected = sum(r.corrected for r in rows)
    provenance = {
        "sources": [{"file": "ticket store", "sha256": "-", "rows": len(rows)}],
        "rows": len(rows),
        "store_rows": len(every),
        "unconfirmed_rows": len(every) - len(confirmed),
        "retired_category_rows": len(confirmed) - len(rows),
        "corrected_rows": corrected,
        "correction_weight": correction_weight,
        "text_columns": ["title", "description"],
        "label_columns": {"category": "category", "type": "type", "priority": "priority level"},
    }
    return texts, labels, weights, [r.language for r in rows], provenance


def _print_summary(report: dict[str, Any], heads: Any, title: str | None = None) -> None:
    if title:
        typer.echo(f"{title}: {report['n']} tickets")
    typer.echo(f"{'head':<10} {'acc':>6} {'macroF1':>8} {'top3':>6} {'sel@70':>7} {'ECE':>6}")
    for h in heads:
        r = report[h]
        typer.echo(
            f"{h:<10} {r['accuracy']:6.3f} {r['macro_f1']:8.3f} {r['top3_accuracy']:6.3f} "
            f"{r['selective_accuracy_70']:7.3f} {r['ece']:6.3f}"
        )


def _print_details(head: str, r: dict[str, Any]) -> None:
    typer.echo(f"\n{head}: per class")
    width = max(len(lbl) for lbl in r["per_class"]) + 2
    typer.echo(f"  {'label':<{width}} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>6}")
    for lbl, m in r["per_class"].items():
        typer.echo(
            f"  {lbl:<{width}} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:6d}"
        )
    labels, matrix = r["confusion"]["labels"], r["confusion"]["matrix"]
    typer.echo(f"{head}: confusion matrix (rows: true, columns: predicted, in this order)")
    for i, (lbl, row) in enumerate(zip(labels, matrix, strict=True)):
        typer.echo(f"  {i:>2} {lbl:<{width}} " + " ".join(f"{v:5d}" for v in row))


def _columns(text: str) -> list[str]:
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        _fail("--text needs at least one column name")
    return cols


def _labels(options: list[str] | None) -> dict[str, str]:
    import classifier
    from classifier.data import parse_label_options

    if not options:
        return dict(classifier.DEFAULT_LABEL_COLUMNS)
    try:
        return parse_label_options(options)
    except classifier.DataError as exc:
        _fail(str(exc))
        raise  # unreachable; _fail exits


def _command(
    data: list[Path] | None,
    text: str,
    label: list[str] | None,
    seed: int,
    from_db: bool,
    eval_data: list[Path] | None,
    cold_start: bool = False,
    taxonomy: Path | None = None,
) -> str:
    """The command as it can be rerun elsewhere: file names only (no machine paths in the card)."""
    parts = ["atende train"]
    if cold_start or from_db:
        parts += ["--cold-start" if cold_start else "--from-db"]
        parts += [f"--taxonomy {taxonomy.name}"] if taxonomy else []
        parts += [f"--seed {seed}"]
        parts += [f"--eval-data {p.name}" for p in eval_data or []]
        return " ".join(parts)
    parts += [f"--data {p.name}" for p in data or []]
    parts += [f"--text {text}"] + [f"--label {lbl}" for lbl in label or []] + [f"--seed {seed}"]
    parts += [f"--eval-data {p.name}" for p in eval_data or []]
    return " ".join(parts)


def _settings() -> Any:
    from atende.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        _fail(str(exc))


def _fail(message: str) -> Any:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)
