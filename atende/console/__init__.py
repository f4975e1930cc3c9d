"""The agent console: server-rendered pages (Jinja2 + vendored htmx, no build step) under ``/console``.

How to add a page (for the queue, ticket, handoff and reports modules)
-----------------------------------------------------------------------
Write a module with ``def router(runtime: Runtime) -> APIRouter`` (paths relative to ``/console``) and include
it in :func:`router` below, BEFORE ``pages.placeholders()`` (a placeholder at the same path is then
shadowed; delete it when convenient). Templates go to ``atende/console/templates/`` and extend
``base.html``, filling the blocks ``title`` and ``content`` (``head`` too, for a page's own stylesheet or
script: ``<script src="{{ static('x.js') }}" defer></script>``). Static files go to
``atende/console/static/`` and are served from ``/console/static/<name>`` (js, css, svg, png, woff2).

The API (``from atende.console.auth import ...``, ``from atende.console.render import render``):

- ``require_agent(request) -> Principal``: dependency, any logged-in enabled agent. Not logged in: a GET
  from a browser is redirected (303) to ``/console/login?next=...``; htmx gets 401 + ``HX-Redirect``;
  JSON / event-stream / POST get 401.
- ``require_admin(request) -> Principal``: the same, admins only (an agent gets 403).
- ``require_csrf(request) -> Principal``: dependency for EVERY state-changing route (POST): a logged-in agent
  whose request carries the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``),
  else 403. ``require_admin_csrf`` is the admins-only variant.
- ``Principal``: frozen dataclass ``id, email, name, role ("agent"|"admin"), language ("es"|"pt"|"en")``,
  with ``is_admin`` and ``actor`` (the string to record on ticket actions: the agent's e-mail).
- ``csrf_token(request) -> str`` and ``verify_csrf(request, form_value)`` (403 when wrong), for routes
  that read the form themselves.
- ``render(request, name, principal, status_code=200, **ctx) -> HTMLResponse``: renders a template with
  ``t(key, **kw)`` (the console strings in the agent's language), ``lang``, ``principal``, ``csrf``
  (put ``<input type="hidden" name="csrf_token" value="{{ csrf }}">`` in every POST form), ``csrf_field``,
  ``path``, ``static(name)`` and ``ctx``; sets the console CSP (script-src 'self', style-src 'self': no
  inline ``<script>``, ``style=`` or ``on*=`` attributes), ``Cache-Control: no-store``.
- ``atende.console.i18n``: ``t(lang, key, **kw)``; add your strings from your own module with
  ``i18n.register({"en": {...}, "es": {...}, "pt": {...}})``.
- htmx requests carry ``X-CSRF-Token`` automatically (console.js reads ``<meta name="csrf-token">``).
- The accounts store is ``runtime.accounts`` (``ticket_core.accounts.AccountStore``).
- Errors: raise ``HTTPException(403|404)`` as usual; a browser GET under /console/ gets the console's error
  page (``errors.http_error``, registered in app.py), everything else FastAPI's JSON.
- The session cookie's path is ``/console``: routes outside it (``/api/...``) see no session; they take
  bearer tokens (``atende.api``'s ``agent`` dependency: a personal token, or ATENDE_API_TOKEN).
- Tests: ``tests/atende/console/conftest.py`` (fixtures ``console_runtime``, ``console_app``, ``console``,
  ``login``; ``add_agent``, ``ConsoleBrowser``).

Routes of this package: ``GET/POST /console/login``, ``POST /console/logout``, ``POST /console/language``,
``GET/POST /console/tokens``, ``POST /console/tokens/{id}/revoke``, ``GET/POST /console/agents``,
``POST /console/agents/{id}/disable|enable|reset-password``, ``POST /console/admin/reload``,
``GET /console/static/{name}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

from atende.console import admin, canned_admin, desk, pages, reports
from atende.console.errors import http_error

__all__ = ["PREFIX", "http_error", "router"]

if TYPE_CHECKING:
    from atende.runtime import Runtime

PREFIX = "/console"


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(prefix=PREFIX, include_in_schema=False)
    r.include_router(pages.router(runtime))
    r.include_router(admin.router(runtime))
    r.include_router(desk.router(runtime))
    r.include_router(canned_admin.router(runtime))
    r.include_router(reports.router(runtime))
    # Other console modules go here, above the placeholders.
    r.include_router(pages.placeholders())
    return r
