"""Console errors as pages: a browser that opens an admin page as an agent (403), or a page that does not
exist (404), gets the console's own page with its header and nav instead of a JSON body. Everything else
(the agent API, htmx and JSON requests, other statuses, paths outside /console) keeps FastAPI's answer."""

from __future__ import annotations

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from atende.console import i18n
from atende.console.auth import current_principal
from atende.console.render import render

PAGE_STATUSES = {403: "error.forbidden", 404: "error.not_found"}


def wants_page(request: Request) -> bool:
    return (request.url.path.startswith("/console/") and request.method in ("GET", "HEAD")
            and "text/html" in request.headers.get("accept", "") and not request.headers.get("hx-request"))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    key = PAGE_STATUSES.get(exc.status_code)
    if key is None or not wants_page(request):
        return await http_exception_handler(request, exc)
    principal = await current_principal(request)
    lang = principal.language if principal else i18n.best_language(request.headers.get("accept-language"))
    return render(request, "error.html", principal, status_code=exc.status_code, message=i18n.t(lang, key))
