"""Fixtures shared by the connector tests. Each connector ADDS its own, prefixed with its name."""

from __future__ import annotations

import pytest

# ---------------------------------------------------------------- twilio (owned by the Twilio connector)


@pytest.fixture
def twilio_intake():  # type: ignore[no-untyped-def]
    """The Intake of the Twilio connector-detail tests: a scripted double with known replies (switch it
    here). tests/connectors/twilio/test_with_runtime.py drives the real atende.runtime instead."""
    from tests.connectors.twilio.scripted_intake import TwilioScriptedIntake

    return TwilioScriptedIntake()


# ---------------------------------------------------------------- telegram (owned by the Telegram connector)


@pytest.fixture
def telegram_intake():  # type: ignore[no-untyped-def]
    """The Intake every Telegram test drives: the ONE place to switch to the real runtime's intake."""
    from tests.connectors.telegram.chat_intake import ChatScriptedIntake

    return ChatScriptedIntake()


# ---------------------------------------------------------------- slack (owned by the Slack connector)


@pytest.fixture
def slack_intake():  # type: ignore[no-untyped-def]
    """The Intake every Slack test drives: the ONE place to switch to the real runtime's intake."""
    from tests.connectors.telegram.chat_intake import ChatScriptedIntake

    return ChatScriptedIntake()
