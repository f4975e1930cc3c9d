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
from atende.cli.classifier import register
from tests.classifier.conftest import FIXTURES

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
    assert res.exit_code == 1 and "--from-db" in res.stderr and "--cold-start" in res.stderr


def test_tampered_model_refused_by_eval(app: typer.Typer, model_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(model_dir, tmp_path / "m"))
    (copy / "model.skops").write_bytes((copy / "model.skops").read_bytes()[:-10] + b"0123456789")
    res = CliRunner().invoke(app, ["eval", "--data", str(EVAL), "--model", str(copy)])
    assert res.exit_code == 1 and "SHA-256" in res.stderr


REPORTS = {
    "access": ["forgot my password again", "account locked after the holidays", "need access to hr files"],
    "network": ["vpn drops every hour", "no wifi in room 4", "internet is down at my desk"],
    "email": ["outlook does not receive mail", "mailbox is full", "calendar invites missing"],
    "software": ["excel crashes on start", "install zoom please", "teams keeps freezing"],
}


def test_from_db_learns_what_agents_set_or_confirmed(app: typer.Typer, tmp_path: Path) -> None:
    """This desk files toner under hardware (it buys the cartridges); the cold start says printing. After
    agents moved the toner tickets, `train --from-db` learns it, from the tickets a person stands behind
    only: corrected ones and ones worked to resolved. Untouched bot tickets and retired categories are
    left out, and the card says how many."""
    ticket_core = pytest.importorskip("ticket_core")
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    toner = "the toner cartridge of the printer is empty"
    cold = classifier.load(classifier.default_model_dir())
    assert cold.predict(toner)["category"].label == "printing"
    with ticket_core.TicketStore.open(url) as store:
        for category, texts in REPORTS.items():
            for i, text in enumerate(texts):
                confirmed = store.create_ticket(_new_ticket(ticket_core, text, f"{text} ({i})", category))
                store.transition(confirmed.reference, "resolved", "agent:bo")
                store.create_ticket(_new_ticket(ticket_core, text, f"unconfirmed {i}", category))
        for i, w in enumerate(["order", "need", "replace", "buy", "new", "empty", "spare", "out of"]):
            t = store.create_ticket(
                _new_ticket(ticket_core, f"{w} toner", f"toner cartridge for printer {i}", "printing")
            )
            store.update(t.reference, "agent:bo", category="hardware")
        old = store.create_ticket(_new_ticket(ticket_core, "refund", "charged twice", "billing_and_payments"))
        store.transition(old.reference, "resolved", "agent:bo")
    out = tmp_path / "model"
    res = CliRunner().invoke(
        app, ["train", "--from-db", "--db-url", url, "--out", str(out), "--blend-n0", "4"]
    )
    assert res.exit_code == 0, res.output
    clf = classifier.load(out)
    assert clf.labels("category") == cold.labels("category")  # the taxonomy decides the categories
    assert clf.predict(toner)["category"].label == "hardware"
    assert clf.predict("la vpn no conecta desde casa")["category"].label == "network"
    training = clf.card["training"]
    assert training["corrected_rows"] == 8 and training["rows"] == 12 + 8
    assert training["unconfirmed_rows"] == 12 and training["retired_category_rows"] == 1
    assert clf.card["desk"] == {"rows": 20, "blend_n0": 4.0, "weight": round(20 / 24, 4)}
    assert clf.card["training"]["command"].startswith("atende train --from-db")


def test_from_db_with_nothing_confirmed_says_what_to_do(app: typer.Typer, tmp_path: Path) -> None:
    ticket_core = pytest.importorskip("ticket_core")
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    with ticket_core.TicketStore.open(url) as store:
        store.create_ticket(_new_ticket(ticket_core, "vpn down", "vpn drops", "network"))
    res = CliRunner().invoke(app, ["train", "--from-db", "--db-url", url, "--out", str(tmp_path / "m")])
    assert res.exit_code == 1 and "--cold-start" in res.stderr and "1 tickets, 0 confirmed" in res.stderr


def test_cold_start_command_writes_the_shipped_kind_of_model(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "cold"
    res = CliRunner().invoke(app, ["train", "--cold-start", "--out", str(out)])
    assert res.exit_code == 0, res.output
    card = json.loads((out / "card.json").read_text())
    shipped = json.loads((classifier.default_model_dir() / "card.json").read_text())
    assert card["version"] == shipped["version"]  # same taxonomy, same code: the same model
    assert (out / "MODEL_CARD.md").read_text().count("atende train --cold-start") == 1


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


def test_eval_reads_the_triage_jsonl_format(app: typer.Typer) -> None:
    data = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "triage_eval.jsonl"
    res = CliRunner().invoke(app, ["eval", "--data", str(data), "--json"])
    assert res.exit_code == 0, res.output
    figures = json.loads(res.stdout)
    assert figures["n"] == 150 and figures["category"]["accuracy"] >= 0.85 and "type" in figures
