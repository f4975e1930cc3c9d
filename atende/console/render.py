"""Server-rendered console pages: Jinja2 templates (autoescaped) under a strict Content-Security-Policy.

``render(request, name, principal, **ctx)`` gives every template:

- ``t(key, **kw)``: the console string in the page's language (the agent's, or the browser's before login);
- ``lang``, ``principal`` (None on the login page), ``csrf`` (the token every POST form must carry as the
  hidden field ``csrf_token``), ``path`` (the request path, for the current nav item), ``static(name)``;
- whatever the caller passes in ``ctx``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from atende.console import i18n
from atende.console.auth import CSRF_FIELD, Principal, csrf_token

TEMPLATES = Path(__file__).with_name("templates")
STATIC_PREFIX = "/console/static/"

#: No inline script or style anywhere in the console: scripts and styles come from /console/static only.
CONSOLE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'")

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html", "xml"), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def page_headers() -> dict[str, str]:
    return {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-store", "Vary": "Cookie"}


def render(request: Request, name: str, principal: Principal | None, status_code: int = 200,
           **ctx: Any) -> HTMLResponse:
    lang = principal.language if principal is not None else i18n.best_language(
        request.headers.get("accept-language"))

    def t(key: str, **kw: object) -> str:
        return i18n.t(lang, key, **kw)

    context = {
        "t": t,
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "language_names": i18n.LANGUAGE_NAMES,
        "principal": principal,
        "csrf": csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "path": request.url.path,
        "static": lambda file: STATIC_PREFIX + file,
        **ctx,
    }
    html = env.get_template(name).render(context)
    return HTMLResponse(html, status_code=status_code, headers=page_headers())
