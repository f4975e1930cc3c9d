"""The `atende kb` commands through typer's CliRunner, on a tiny Typer app that only registers them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from atende.cli.kb import register


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test app"""

    register(app)
    return app


def test_index_search_and_eval(kb_dir: Path, tmp_path: Path, shared_cache: Path) -> None:
    runner = CliRunner()
    env = {"ATENDE_KB_DIR": str(kb_dir), "ATENDE_KB_CACHE_DIR": str(shared_cache)}
    (kb_dir / "en" / "bad.md").write_text("not an article", encoding="utf-8")

    res = runner.invoke(_app(), ["kb", "index"], env=env)
    assert res.exit_code == 0, res.output
    assert "15 articles (en, es, pt), 1 rejected" in res.output and "bad.md" in res.output

    res = runner.invoke(
        _app(), ["kb", "search", "no puedo conectar la vpn desde casa", "--lang", "es", "--k", "2"], env=env
    )
    assert res.exit_code == 0, res.output
    first = res.stdout.strip().splitlines()[0]
    assert "vpn-connect" in first and "[es]" in first

    res = runner.invoke(_app(), ["kb", "search", "receta de paella", "--lang", "es"], env=env)
    assert "no article above the threshold" in res.output

    tickets = tmp_path / "tickets.csv"
    with tickets.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "body", "answer", "language"])
        w.writerow(
            ["VPN down", "The VPN does not connect from home.", "Restart the VPN client and check MFA.", "en"]
        )
        w.writerow(
            ["Printer", "The printer shows a paper jam.", "Open the tray and remove the jammed paper.", "en"]
        )
        w.writerow(
            ["Refund", "I want my money back for order 12.", "Refunds reach your card in 5-10 days.", "en"]
        )
        w.writerow(["", "no body answer row", "", "en"])
    res = runner.invoke(_app(), ["kb", "eval", "--tickets", str(tickets), "--json"], env=env)
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert set(report) == {"bm25", "dense", "hybrid", "n"} and report["n"] == 3
    for method in ("bm25", "dense", "hybrid"):
        assert set(report[method]) == {"mrr_at_10", "recall_at_1", "recall_at_5"}
        assert report[method]["recall_at_5"] == 1.0


def test_stats_command(tmp_path: Path) -> None:
    from kb_search.stats import DeflectionStats

    db = tmp_path / "s.db"
    DeflectionStats(db).record("vpn-connect", "shown", "u1")
    res = CliRunner().invoke(_app(), ["kb", "stats", "--db", str(db)])
    assert res.exit_code == 0 and "vpn-connect" in res.output
