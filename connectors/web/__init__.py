"""The web chat: a page at /, an embeddable widget, and the JSON/SSE API the page (or any script) uses.

Mounted like every channel through :func:`mount`. What it stores (sessions, the chat log) goes through the
:class:`~connectors.web.store.WebChatStore` port the composition root puts in the ConnectorContext.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from connectors.base import ConfigError, ConnectorContext, Mounted
from connectors.web.chat import WebChat, WebOutbound
from connectors.web.settings import WebChatSettings, load_settings

__all__ = ["WebChatSettings", "load_settings", "mount"]


def mount(ctx: ConnectorContext, env: Mapping[str, str] | None = None) -> Mounted | None:
    """The web chat is always on; it needs the context's web store."""
    from connectors.web.routes import build_router

    settings = load_settings(os.environ if env is None else env)
    if ctx.web_store is None:
        raise ConfigError("the web chat needs a WebChatStore in the connector context")
    chat = WebChat(ctx, ctx.web_store, settings)
    secure = bool(ctx.public_url and ctx.public_url.lower().startswith("https://"))
    return Mounted(name="web", channels=("web",), router=build_router(chat, secure_cookie=secure),
                   outbound=WebOutbound(chat))
