"""Telegram channel (aiogram 3): POST /webhooks/telegram or long polling, inline keyboards, files.

Importing this package is cheap: aiogram (about three seconds to import) loads inside :func:`mount`, and
only when ATENDE_TELEGRAM_* settings are present.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from connectors.base import ConnectorContext, Mounted
from connectors.telegram.settings import TelegramSettings, load_settings

__all__ = ["TelegramSettings", "load_settings", "mount"]


def mount(ctx: ConnectorContext, env: Mapping[str, str] | None = None) -> Mounted | None:
    """The Telegram channel for ``atende serve``; None when not configured, ConfigError when half-configured.

    Webhook mode contributes the POST /webhooks/telegram route; polling mode no route, a getUpdates loop
    started by ``start``. Either way the Outbound pushes agent replies to the user's chat.
    """
    settings = load_settings(os.environ if env is None else env)
    if settings is None:
        return None
    from connectors.telegram.connector import TelegramConnector
    from connectors.telegram.routes import build_router

    connector = TelegramConnector.create(settings, ctx)
    router = build_router(connector) if settings.mode == "webhook" else None
    return Mounted(name="telegram", channels=("telegram",), router=router, outbound=connector,
                   start=connector.start, stop=connector.stop)
