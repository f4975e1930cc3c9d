from __future__ import annotations

from kb_search.lexical import LexicalIndex
from kb_search.text import Analyzer, Corrector, fold


def test_fold_strips_accents_placeholders_and_escaped_newlines() -> None:
    assert fold("Contraseña <name>\\nNÃO").split() == ["contrasena", "nao"]


def test_analyzer_stems_per_language_and_drops_stop_words() -> None:
    assert Analyzer("es").terms("No puedo imprimir en la impresora") == Analyzer("es").terms(
        "imprimiendo impresoras"
    )
    assert "senh" in Analyzer("pt").terms("esqueci minha senha")
    assert "the" not in Analyzer("en").words("the printer is jammed")


def test_corrector_only_fixes_unknown_words() -> None:
    c = Corrector(["password", "printer", "impresora", "passport"])
    assert c.correct("pasword") == "password"
    assert c.correct("imprsora") == "impresora"
    assert c.correct("passport") == "passport"
    assert c.correct("zebra") == "zebra"


def test_normalised_bm25_is_a_share_of_the_query() -> None:
    idx = LexicalIndex("en", ["reset your password in the portal", "printer paper jam"])
    full = idx.scores("reset password")
    partial = idx.scores("reset password lasagna recipe")
    assert 0 < partial[0] < full[0] <= 1
    assert idx.scores("lasagna recipe").max() == 0
