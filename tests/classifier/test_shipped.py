"""The default model in models/classifier loads with no manual step and answers in the three heads."""

from __future__ import annotations

import pytest

import classifier


@pytest.fixture(scope="module")
def shipped() -> classifier.TicketClassifier:
    if not (classifier.default_model_dir() / "card.json").exists():
        pytest.skip("no shipped model in models/classifier")
    return classifier.load()


def test_shipped_model(shipped: classifier.TicketClassifier) -> None:
    assert len(shipped.labels("category")) == 10 and "Technical Support" in shipped.labels("category")
    assert shipped.labels("type") == ["Change", "Incident", "Problem", "Request"]
    assert shipped.labels("priority") == ["high", "low", "medium"]
    out = shipped.predict("I was charged twice for my subscription this month, please refund the duplicate")
    assert out["category"].label == "Billing and Payments"
    assert shipped.card["artifact"]["bytes"] < 20_000_000


def test_shipped_model_reads_spanish_and_portuguese(shipped: classifier.TicketClassifier) -> None:
    es = shipped.predict(
        "Me cobraron dos veces la suscripción este mes, solicito el reembolso del cargo duplicado"
    )
    pt = shipped.predict(
        "Fui cobrado duas vezes na assinatura este mês, peço o reembolso da cobrança duplicada"
    )
    assert es["category"].label == "Billing and Payments"
    assert pt["category"].label == "Billing and Payments"
