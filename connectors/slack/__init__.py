"""Slack channel (slack_sdk): Events API (DMs, app mentions), Block Kit buttons, the /ticket command.

Importing this package is cheap: slack_sdk loads inside :func:`mount`, and only when ATENDE_SLACK_* settings
are present.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from connectors.base import ConnectorContext, Mounted
from connectors.slack.settings import SlackSettings, load_settings

__all__ = ["SlackSettings", "load_settings", "mount"]


def mount(ctx: ConnectorContext, env: Mapping[str, str] | None = None) -> Mounted | None:
    """The Slack channel for ``atende serve``; None when not configured, ConfigError when half-configured.

    Routes: POST /webhooks/slack/events, /webhooks/slack/interactions, /webhooks/slack/commands.
    """
    settings = load_settings(os.environ if env is None else env)
    if settings is None:
        return None
    from connectors.slack.connector import SlackConnector
    from connectors.slack.routes import build_router

    connector = SlackConnector.create(settings, ctx)
    return Mounted(name="slack", channels=("slack",), router=build_router(connector), outbound=connector,
                   start=connector.start, stop=connector.stop)
