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
    from_db: Annotated[
        bool,
        typer.Option("--from-db", help="train on the ticket store, with the agents' corrections as labels"),
    ] = False,
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
            "--eval-data", help="held-out CSV to evaluate after training; its figures go into the card"
        ),
    ] = None,
    note: Annotated[
        list[str] | None, typer.Option(help="a line for the model card (licence, attribution); repeatable")
    ] = None,
) -> None:
    """Train the classifier (category, type, priority) and write it with its model card."""
    import classifier

    if bool(data) == from_db:
        _fail("give either --data FILE (one or more) or --from-db")
    text_columns = _columns(text)
    label_columns = _labels(label)
    try:
        if from_db:
            texts, labels, weights, languages, provenance = _rows_from_db(db_url, correction_weight)
        else:
            ds = classifier.read_csv(data or [], text_columns, label_columns)
            texts, labels, weights, languages = ds.texts, ds.labels, None, None
            provenance = {
                "sources": ds.sources,
                "skipped_rows": ds.skipped,
                "text_columns": list(text_columns),
                "label_columns": label_columns,
            }
        provenance["command"] = _command(data, text, label, seed, from_db, eval_data)
        config = classifier.Config(seed=seed)
        from tqdm import tqdm

        with tqdm(total=classifier.steps(config, len(labels)), desc="training", unit="step") as bar:

            def step(msg: str) -> None:
                bar.set_postfix_str(msg)
                bar.update(1)

            clf = classifier.train(
                texts,
                labels,
                weights=weights,
                languages=languages,
                config=config,
                on_step=step,
                provenance=provenance,
            )
        if note:
            clf.card["notes"] = list(note)
        for path in eval_data or []:
            ds_eval = classifier.read_csv([path], text_columns, label_columns)
            report = clf.evaluate(ds_eval.texts, ds_eval.labels)
            classifier.record_metrics(clf, ds_eval.sources[0]["file"], ds_eval.sources[0]["sha256"], report)
            _print_summary(report, clf.heads, title=ds_eval.sources[0]["file"])
        target = out or _settings().resolved_model_dir
        card = clf.save(target)
    except classifier.ClassifierError as exc:
        _fail(str(exc))
    typer.echo(
        f"trained on {card['training']['rows']} tickets in {card['training']['seconds']} s; "
        f"wrote {target} (version {card['version']})"
    )


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
        clf = classifier.load(model or _settings().resolved_model_dir)
        ds = classifier.read_csv(data or [], _columns(text), _labels(label))
        report = clf.evaluate(ds.texts, {h: v for h, v in ds.labels.items() if h in clf.heads})
    except classifier.ClassifierError as exc:
        _fail(str(exc))
    ignored = sorted(set(ds.labels) - set(clf.heads))
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
    db_url: str | None, correction_weight: float
) -> tuple[list[str], dict[str, list[str]], list[float], list[str | None], dict[str, Any]]:
    from ticket_core import TicketStore

    url = db_url or _settings().resolved_database_url
    with TicketStore.open(url) as store:
        rows = store.training_rows()
    if len(rows) < 10:
        _fail(f"the ticket store has {len(rows)} tickets; at least 10 are needed to train")
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
) -> str:
    """The command as it can be rerun elsewhere: file names only (no machine paths in the card)."""
    parts = ["atende train"]
    parts += ["--from-db"] if from_db else [f"--data {p.name}" for p in data or []]
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
