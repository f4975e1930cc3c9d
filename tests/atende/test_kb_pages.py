"""Public article pages (issue 11 §1): GET /kb/{lang}/{slug} renders the article as HTML, escapes whatever
markup an article carries, and the links the bot sends are absolute from ATENDE_PUBLIC_URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from atende.app import create_app
from atende.kb_pages import article_url
from atende.runtime import build_runtime

HOSTILE = """---
id: hostile
title: Reset <script>alert(1)</script> your password
language: en
category: access
tags: [password]
updated: 2025-01-01
---
Follow <img src=x onerror=alert(2)> these steps.

1. Open [the portal](javascript:alert(3)).
2. Choose **Reset** and type `passwd`.
3. See [the guide](https://intranet.example.test/guide).
"""


async def test_an_article_page_renders_steps_and_escapes_markup(
    settings_factory: Any, tmp_path: Path
) -> None:
    kb = tmp_path / "kb" / "en"
    kb.mkdir(parents=True)
    (kb / "hostile.md").write_text(HOSTILE)
    rt = build_runtime(settings_factory(kb_dir=tmp_path / "kb"), env={})
    app = create_app(rt)
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://atende.test"
        ) as c:
            r = await c.get("/kb/en/hostile")
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
            page = r.text
            assert '<html lang="en">' in page
            assert "<ol>" in page and "<strong>Reset</strong>" in page and "<code>passwd</code>" in page
            assert '<a href="https://intranet.example.test/guide">the guide</a>' in page
            assert "<script>" not in page and "<img" not in page and 'href="javascript:' not in page
            assert "&lt;script&gt;" in page
            assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none': no scripts
            assert (await c.get("/kb/en/no-such-article")).status_code == 404
            assert (await c.get("/kb/en/..%2F..%2Fetc%2Fpasswd")).status_code == 404
            assert (await c.get("/kb/english/hostile")).status_code == 404
    finally:
        rt.close()


async def test_shipped_articles_have_pages(client: httpx.AsyncClient) -> None:
    r = await client.get("/kb/es/printer-not-printing")
    assert r.status_code == 200 and '<html lang="es">' in r.text and "Volver al chat" in r.text
    assert r.text.count("<li>") >= 8


def test_links_are_absolute_from_the_public_url() -> None:
    assert article_url("https://desk.example.test/", "es", "vpn-connect") == (
        "https://desk.example.test/kb/es/vpn-connect")
    assert article_url(None, "es", "vpn-connect") is None
