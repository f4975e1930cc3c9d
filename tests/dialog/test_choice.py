"""Typed answers to a list of options, resolved once for every channel (dialog.choice)."""

from __future__ import annotations

import pytest

from dialog.choice import resolve_choice

OPTS = ["printer", "network", "other"]


@pytest.mark.parametrize("text, expected", [
    ("2", "network"), (" 2) ", "network"), ("2.", "network"), ("#3", "other"),
    ("1.\n\nOn Mon wrote: ...", "printer"),
    ("the second one", "network"), ("la segunda", "network"), ("o segundo", "network"), ("opción 3", "other"),
    ("first", "printer"), ("la última", "other"), ("3º", "other"),
])
def test_numbers_and_ordinals_name_an_option(text: str, expected: str) -> None:
    assert resolve_choice(text, OPTS) == expected


@pytest.mark.parametrize("text", [
    "4", "0", "2 users are affected since monday", "the printer is broken again", "", "segunda-feira passada",
])
def test_sentences_and_out_of_range_numbers_are_not_choices(text: str) -> None:
    assert resolve_choice(text, OPTS) is None


def test_no_pending_options_means_no_choice() -> None:
    assert resolve_choice("2", []) is None
