"""Bad input gets a typed error (the dialog asks again); it never reaches scikit-learn."""

from __future__ import annotations

import pytest

import classifier
from classifier import EmptyInputError, InputTooLongError, InvalidInputError


@pytest.mark.parametrize("text", ["", "   \n\t", "?!... --- ***", "\\n\\n"])
def test_empty_text(trained: classifier.TicketClassifier, text: str) -> None:
    with pytest.raises(EmptyInputError):
        trained.predict(text)


@pytest.mark.parametrize("value", [None, b"printer broken", 42, ["printer broken"], {"text": "x"}])
def test_non_text(trained: classifier.TicketClassifier, value: object) -> None:
    with pytest.raises(InvalidInputError):
        trained.predict(value)  # type: ignore[arg-type]
    assert issubclass(InvalidInputError, TypeError)


def test_a_string_is_not_a_batch(trained: classifier.TicketClassifier) -> None:
    with pytest.raises(InvalidInputError):
        trained.predict_many("printer broken")


def test_huge_text(trained: classifier.TicketClassifier) -> None:
    huge = "invoice refund " * 10_000
    with pytest.raises(InputTooLongError) as err:
        trained.predict(huge)
    assert err.value.max_chars == classifier.MAX_CHARS and err.value.length == len(huge)
    assert trained.predict(huge, truncate=True)["category"].label == "Billing and Payments"


def test_errors_share_a_base(trained: classifier.TicketClassifier) -> None:
    with pytest.raises(classifier.ClassifierError):
        trained.predict("")


def test_empty_batch(trained: classifier.TicketClassifier) -> None:
    assert trained.predict_many([]) == []
