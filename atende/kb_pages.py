"""Public knowledge-base pages: ``GET /kb/{lang}/{slug}`` renders an article as accessible HTML.

The links the bot sends point here (absolute from ATENDE_PUBLIC_URL). Markdown is rendered by
markdown-it-py with raw HTML turned off, so an article can never carry markup of its own: text is escaped,
and link targets pass markdown-it's URL validation (no ``javascript:``, ``vbscript:``, ``file:`` or
non-image ``data:``). The page loads no script at all, and its CSP says so.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

LANG = re.compile(r"^[a-z]{2}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
BACK = {"es": "Volver al chat", "pt": "Voltar ao chat", "en": "Back to the chat"}
UPDATED = {"es": "Actualizado", "pt": "Atualizado", "en": "Updated"}


def article_url(public_url: str | None, language: str, slug: str) -> str | None:
    """The absolute link of an article page, or None when Atende does not know its public address."""
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/kb/{language}/{slug}"


def render_markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark", {"html": False}).render(text))


def page(article: Any, frame_ancestors: str) -> HTMLResponse:
    lang = article.language
    body = f"""<!doctype html>
<html lang="{html.escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(article.title)} · Atende</title>
<link rel="stylesheet" href="/webchat/chat.css">
</head>
<body>
<main class="chat kb" aria-labelledby="kb-title">
  <header class="chat__header"><div class="chat__titles"><span class="chat__title">Atende</span></div>
    <a class="chat__new" href="/">{BACK.get(lang, BACK['en'])}</a></header>
  <article class="kb__article msg__body">
    <h1 id="kb-title">{html.escape(article.title)}</h1>
    {render_markdown(article.body)}
    <p class="msg__meta">{UPDATED.get(lang, UPDATED['en'])}: {html.escape(str(article.updated))}</p>
  </article>
</main>
</body>
</html>"""
    csp = ("default-src 'none'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; "
           f"form-action 'none'; frame-ancestors {frame_ancestors}")
    return HTMLResponse(body, headers={"Content-Security-Policy": csp, "Cache-Control": "max-age=300"})


def router(kb_dir: Path, frame_ancestors: str = "'self'") -> APIRouter:
    r = APIRouter()
    articles: dict[tuple[str, str], Any] = {}
    lock = asyncio.Lock()

    async def find(lang: str, slug: str) -> Any:
        async with lock:
            if not articles:
                from kb_search.articles import load_articles

                loaded = await asyncio.to_thread(load_articles, kb_dir)
                articles.update({(a.language, a.id): a for a in loaded.articles})
        return articles.get((lang, slug))

    @r.get("/kb/{lang}/{slug}", include_in_schema=False)
    async def kb_page(lang: str, slug: str) -> HTMLResponse:
        if not LANG.match(lang) or not SLUG.match(slug):
            raise HTTPException(status_code=404, detail="no such article")
        article = await find(lang, slug)
        if article is None:
            raise HTTPException(status_code=404, detail="no such article")
        return page(article, frame_ancestors)

    return r
