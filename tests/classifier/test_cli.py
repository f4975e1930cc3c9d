"""`atende train` / `atende eval` through typer's CliRunner, on the fixture CSVs and on a ticket store."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import classifier
from atende.cli_classifier import register
from tests.classifier.conftest import FIXTURES
from tests.classifier.synth import tickets

TRAIN = FIXTURES / "tickets.csv"
EVAL = FIXTURES / "tickets_eval.csv"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture(scope="module")
def model_dir(app: typer.Typer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "model"
    res = CliRunner().invoke(
        app,
        [
            "train",
            "--data",
            str(TRAIN),
            "--out",
            str(out),
            "--seed",
            "3",
            "--eval-data",
            str(EVAL),
            "--note",
            "synthetic test data",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "trained on 160 tickets" in res.output
    return out


def test_train_writes_model_and_card(model_dir: Path) -> None:
    card = json.loads((model_dir / "card.json").read_text())
    assert card["training"]["sources"][0] == {
        "file": "tickets.csv",
        "rows": 160,
        "sha256": classifier.data.sha256_file(TRAIN),
    }
    expected = "atende train --data tickets.csv --text subject,body --seed 3 --eval-data tickets_eval.csv"
    assert card["training"]["command"] == expected
    assert card["metrics"]["tickets_eval.csv"]["n"] == 40
    assert card["notes"] == ["synthetic test data"] and card["config"]["seed"] == 3
    assert "tickets_eval.csv" in (model_dir / "MODEL_CARD.md").read_text()
    assert classifier.load(model_dir).labels("type") == ["Incident", "Problem", "Request"]


def test_eval_json_schema(app: typer.Typer, model_dir: Path) -> None:
    res = CliRunner().invoke(app, ["eval", "--data", str(EVAL), "--model", str(model_dir), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(out) == {"category", "type", "priority", "n"} and out["n"] == 40
    for head in ("category", "type", "priority"):
        assert set(out[head]) == {"accuracy", "macro_f1", "top3_accuracy", "selective_accuracy_70", "ece"}
        assert all(0.0 <= v <= 1.0 for v in out[head].values())
    assert "Sales and Pre-Sales (2)" in res.stderr  # an unseen label: reported, not a crash


def test_eval_table_and_gzip(app: typer.Typer, model_dir: Path, tmp_path: Path) -> None:
    gz = tmp_path / "eval.csv.gz"
    gz.write_bytes(gzip.compress(EVAL.read_bytes()))
    res = CliRunner().invoke(app, ["eval", "--data", str(gz), "--model", str(model_dir)])
    assert res.exit_code == 0, res.output
    assert (
        "confusion matrix" in res.stdout and "macroF1" in res.stdout and "Sales and Pre-Sales" in res.stdout
    )


def test_custom_columns(app: typer.Typer, tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text(
        TRAIN.read_text().replace("subject,body,queue,type,priority", "title,text,team,kind,prio", 1)
    )
    out = tmp_path / "m"
    res = CliRunner().invoke(
        app,
        [
            "train",
            "--data",
            str(src),
            "--out",
            str(out),
            "--text",
            "title,text",
            "--label",
            "category=team",
            "--label",
            "priority=prio",
        ],
    )
    assert res.exit_code == 0, res.output
    assert classifier.load(out).heads == ("category", "priority")


def test_bad_input_is_a_clear_error(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app, ["train", "--data", str(TRAIN), "--out", str(tmp_path), "--label", "category=team"]
    )
    assert res.exit_code == 1 and "missing column(s) team" in res.stderr
    res = runner.invoke(app, ["train", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path)])
    assert res.exit_code == 1 and "not found" in res.stderr
    res = runner.invoke(app, ["eval", "--data", str(EVAL), "--model", str(tmp_path / "none")])
    assert res.exit_code == 1 and "no model" in res.stderr
    res = runner.invoke(app, ["train", "--out", str(tmp_path)])
    assert res.exit_code == 1 and "--from-db" in res.stderr


def test_tampered_model_refused_by_eval(app: typer.Typer, model_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(model_dir, tmp_path / "m"))
    (copy / "model.skops").write_bytes((copy / "model.skops").read_bytes()[:-10] + b"0123456789")
    res = CliRunner().invoke(app, ["eval", "--data", str(EVAL), "--model", str(copy)])
    assert res.exit_code == 1 and "SHA-256" in res.stderr


def test_from_db_learns_the_agents_corrections(app: typer.Typer, tmp_path: Path) -> None:
    """The bot filed toner tickets under hardware; agents moved them to printing. Retrained from the
    store, the model files the next toner ticket under printing."""
    ticket_core = pytest.importorskip("ticket_core")
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    slugs = {
        "Technical Support": "network",
        "Billing and Payments": "billing",
        "Human Resources": "hr",
        "Returns and Exchanges": "returns",
    }
    with ticket_core.TicketStore.open(url) as store:
        for row in tickets(60, seed=61):
            store.create_ticket(_new_ticket(ticket_core, row["subject"], row["body"], slugs[row["queue"]]))
        for i, w in enumerate(["order", "need", "replace", "buy", "new", "empty"]):
            t = store.create_ticket(
                _new_ticket(ticket_core, f"{w} toner", f"toner cartridge for printer {i}", "hardware")
            )
            store.update(t.reference, "agent:bo", category="printing")
    out = tmp_path / "model"
    res = CliRunner().invoke(app, ["train", "--from-db", "--db-url", url, "--out", str(out)])
    assert res.exit_code == 0, res.output
    clf = classifier.load(out)
    assert "printing" in clf.labels("category") and "hardware" not in clf.labels("category")
    assert clf.predict("toner cartridge of the printer is empty")["category"].label == "printing"
    assert clf.card["training"]["corrected_rows"] == 6


def _new_ticket(ticket_core: object, title: str, description: str, category: str) -> object:
    return ticket_core.NewTicket(  # type: ignore[attr-defined]
        title=title,
        description=description,
        category=category,
        type="incident",
        impact="individual",
        urgency="medium",
        channel="web",
        language="en",
        requester=ticket_core.RequesterIdentity("web", "session-1", display_name="Ana"),  # type: ignore[attr-defined]
    )
