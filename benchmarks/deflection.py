"""Deflection statistics on a scripted web-chat run: only the article whose content was delivered is
counted as shown, and only it can be accepted; the other matches, sent as links, are not counted.

Real components (the shipped classifier and the knowledge base, BM25 part), driven through the HTTP chat
API. Prints the per-article counts from the deflection store next to what the conversations delivered.

    python -m benchmarks.deflection
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections import Counter
from pathlib import Path

import httpx

from atende.app import create_app
from atende.runtime import build_runtime
from atende.settings import load_settings

# (description, accept the article?)
SCRIPT = [
    ("I forgot my password and my account is locked", True),
    ("The printer on floor 2 does not print, paper jam", False),
    ("No puedo conectarme a la VPN desde casa", True),
    ("Mi portátil va muy lento desde la actualización", False),
    ("Não consigo configurar o e-mail no celular", True),
    ("O Wi-Fi do escritório não conecta no meu notebook", False),
    ("I need to set up MFA on my new phone", True),
    ("My laptop does not turn on anymore", False),
    ("Se me llenó el buzón de correo y no recibo mensajes", True),
    ("The external monitor stays black when I plug it in", False),
]


async def converse(c: httpx.AsyncClient, text: str, accept: bool) -> tuple[str | None, int, bool]:
    """Returns (delivered article title, links to other articles, accepted)."""
    r = await c.post("/api/chat/messages", json={"text": text})
    delivered, links = None, 0
    for _ in range(14):
        replies = r.json()["replies"]
        for rep in replies:
            if rep.get("html"):
                m = re.search(r"\*\*(.+?)\*\*", rep["text"])
                delivered = m.group(1) if m else "?"
                others = rep["text"].rsplit("\n\n_", 1)  # the "Other articles that may help" block
                links = len(re.findall(r"^- ", others[1], re.MULTILINE)) if len(others) == 2 else 0
        opts = [o["id"] for rep in replies for o in rep["options"]]
        if any(rep["ticket"] for rep in replies):
            return delivered, links, False
        if "kb:no" in opts:
            r = await c.post("/api/chat/messages", json={"option": "kb:yes:1" if accept else "kb:no"})
            if accept:
                return delivered, links, True
            continue
        body = {"option": opts[0]} if opts else {"text": "since this morning"}
        r = await c.post("/api/chat/messages", json=body)
    return delivered, links, False


async def main() -> None:
    import kb_search

    with tempfile.TemporaryDirectory() as d:
        settings = load_settings(data_dir=Path(d), api_token="bench", use_keyword_standins=False,
                                 public_url="https://desk.example.test")
        runtime = build_runtime(settings, env={})
        runtime.kb.load_sync()  # BM25 is enough to show what is counted
        app = create_app(runtime, load_models=False)
        runtime.classifier.start_loading()
        delivered: list[str] = []
        accepted = links = 0
        async with app.router.lifespan_context(app):
            for text, accept in SCRIPT:  # https: the session cookie is Secure with an https public URL
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                             base_url="https://atende.test", timeout=60) as c:
                    title, n_links, ok = await converse(c, text, accept)
                if title:
                    delivered.append(title)
                links += n_links
                accepted += ok
        stats = kb_search.DeflectionStats(Path(d) / "deflection.db").stats()
        runtime.close()
    print(f"Scripted run: {len(SCRIPT)} conversations, {len(delivered)} with an article delivered, "
          f"{links} other articles sent as links, {accepted} accepted")
    print("| article | shown | accepted | rejected |")
    print("|---|---|---|---|")
    for s in sorted(stats, key=lambda s: s.article_id):
        print(f"| {s.article_id} | {s.shown} | {s.accepted} | {s.rejected} |")
    shown = sum(s.shown for s in stats)
    print(f"| total | {shown} | {sum(s.accepted for s in stats)} | {sum(s.rejected for s in stats)} |")
    print(f"shown == delivered: {shown == len(delivered)}; links counted: 0 of {links}; "
          f"titles delivered: {dict(Counter(delivered))}")


if __name__ == "__main__":
    asyncio.run(main())
