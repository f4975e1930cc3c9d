"""Engine and HTTP chat benchmark (issue: intake core).

1. Full intake conversations through DialogEngine with the embedded stores (SQLite), default components:
   turns/s and p50/p99 latency per turn.
2. The HTTP chat endpoint of a real `atende serve` process next to a bare FastAPI echo endpoint, same load
   generator, same run: turns/s and p50/p99 for turns that call no model (the "help" command of an
   existing conversation).
3. Time from starting `atende serve` to its first accepted request, and the server's RSS.

Run: .venv/bin/python benchmarks/engine.py [--conversations 40] [--requests 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import PYTHON, free_port, median, pct, rss_mb, start_server, table

DESCRIPTIONS = [
    "No puedo conectarme a la VPN desde esta mañana, sale el error 809",
    "O meu computador está muito lento desde ontem e não consigo trabalhar",
    "My Outlook keeps asking for my password and then fails",
    "La impresora de la segunda planta imprime páginas en blanco",
    "Preciso de acesso à pasta compartilhada do financeiro",
    "I was charged twice for my subscription this month",
    "El wifi de la sala de reuniones se cae cada cinco minutos",
    "Não recebo o código do MFA no celular",
]


async def drive(handle: Any, session: str, text: str, timings: list[float]) -> str | None:
    """One user through the whole intake: description, every question (first option), 'no' to the KB."""
    from dialog.messages import Identity, InboundMessage

    ident = Identity("web", session)

    async def turn(text: str = "", option: str | None = None) -> list[Any]:
        msg = InboundMessage(
            channel="web", conversation_key=f"web:{session}", sender=ident, text=text, option_id=option
        )
        t0 = time.perf_counter()
        replies = await handle(msg)
        timings.append(time.perf_counter() - t0)
        return list(replies)

    replies = await turn(text)
    for _ in range(12):
        ticket = next((r.ticket for r in replies if r.ticket), None)
        if ticket:
            return ticket
        opts = [o.id for r in replies for o in r.options]
        if not opts:
            replies = await turn("desde esta mañana, en mi portátil")
        elif "kb:no" in opts:
            replies = await turn(option="kb:no")
        else:
            replies = await turn(option=opts[0])
    return None


async def engine_bench(n: int, standins: bool) -> dict[str, Any]:
    from atende.runtime import build_runtime
    from atende.settings import load_settings

    with tempfile.TemporaryDirectory() as d:
        rt = build_runtime(load_settings(data_dir=Path(d), use_keyword_standins=standins), env={})
        await rt.start()
        if not standins:
            await rt.classifier.ready()
        warm: list[float] = []

        async def ask(message: Any) -> list[Any]:  # through the seam: inbox, dispatcher, outbox
            answered = await rt.inbox.ask(message, 60)
            return answered.replies if answered else []

        await drive(ask, "warmup-session-0000", DESCRIPTIONS[0], warm)
        timings: list[float] = []
        t0 = time.perf_counter()
        tickets = 0
        for i in range(n):
            if await drive(
                ask, f"bench-session-{i:08d}", DESCRIPTIONS[i % len(DESCRIPTIONS)], timings
            ):
                tickets += 1
        wall = time.perf_counter() - t0
        status = rt.model_status()
        await rt.stop()
        rt.close()
    return {"turns": len(timings), "wall": wall, "timings": timings, "tickets": tickets, "status": status}


async def load(url: str, requests: int, concurrency: int,
               sessions: list[tuple[str, str]]) -> dict[str, Any]:
    timings: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                session, cookie = sessions[i % len(sessions)]
                body = {"session": session, "text": "help"}
                t0 = time.perf_counter()
                r = await client.post("/api/chat/messages", json=body, headers={"Cookie": cookie})
                timings.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"rps": requests / wall, "timings": timings, "errors": errors}


async def http_bench(requests: int, concurrency: int, rounds: int) -> tuple[list[list[object]], float, float]:
    with tempfile.TemporaryDirectory() as d:
        port, echo_port = free_port(), free_port()
        env = {
            "ATENDE_DATA_DIR": d,
            "ATENDE_HTTP_PORT": str(port),
            "ATENDE_LOG_LEVEL": "WARNING",
            "ATENDE_API_TOKEN": "bench",
            # one client IP and a few sessions send everything: measure throughput, not the rate limits
            "ATENDE_RATE_LIMIT_IP": "1000000/minute",
            "ATENDE_RATE_LIMIT_SENDER": "1000000/minute",
        }
        atende_bin = str(Path(PYTHON).parent / "atende")
        server, startup = start_server([atende_bin, "serve"], port, env)
        echo, _ = start_server(
            [
                PYTHON,
                "-m",
                "uvicorn",
                "benchmarks.echo_app:app",
                "--port",
                str(echo_port),
                "--log-level",
                "warning",
            ],
            echo_port,
        )
        try:
            sessions: list[tuple[str, str]] = []
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
                for _ in range(concurrency * 4):  # open the conversations (greeting, language) first
                    c.cookies.clear()  # each one a browser of its own: the server issues the session
                    r = await c.post("/api/chat/messages", json={"text": "hello"})
                    sessions.append((r.json()["session"], f"atende_session={r.cookies['atende_session']}"))
            results: dict[str, list[dict[str, Any]]] = {"chat": [], "echo": []}
            for _ in range(rounds):  # interleaved rounds so noise hits both sides alike
                results["echo"].append(
                    await load(f"http://127.0.0.1:{echo_port}", requests, concurrency, sessions)
                )
                results["chat"].append(
                    await load(f"http://127.0.0.1:{port}", requests, concurrency, sessions)
                )
            rss = rss_mb(server.pid)
        finally:
            for p in (server, echo):
                p.terminate()
                p.wait(10)
    rows = []
    med = {}
    for name, label in (("echo", "bare FastAPI echo endpoint"), ("chat", "POST /api/chat/messages (help)")):
        rps = [r["rps"] for r in results[name]]
        lat = [t for r in results[name] for t in r["timings"]]
        med[name] = median(rps)
        rows.append(
            [
                label,
                f"{median(rps):.0f}",
                f"{pct(lat, 50) * 1000:.1f}",
                f"{pct(lat, 99) * 1000:.1f}",
                sum(r["errors"] for r in results[name]),
            ]
        )
    rows.append(["chat / echo throughput ratio", f"{med['chat'] / med['echo']:.2f}", "", "", ""])
    return rows, startup, rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conversations", type=int, default=40)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--startups", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    rows = []
    for standins, label in ((False, "engine, default models"), (True, "engine, keyword stand-ins")):
        res = asyncio.run(engine_bench(args.conversations, standins))
        t = res["timings"]
        rows.append(
            [
                label,
                res["turns"],
                f"{res['turns'] / res['wall']:.1f}",
                f"{pct(t, 50) * 1000:.1f}",
                f"{pct(t, 99) * 1000:.1f}",
                f"{res['tickets']}/{args.conversations}",
                res["status"]["classifier"],
            ]
        )
    print("\n## Full intake conversations through DialogEngine (SQLite stores, in process)\n")
    print(table(["setup", "turns", "turns/s", "p50 ms", "p99 ms", "tickets", "classifier"], rows))

    http_rows, _, rss = asyncio.run(http_bench(args.requests, args.concurrency, args.rounds))
    print(f"\n## HTTP, {args.requests} requests x {args.rounds} rounds, concurrency {args.concurrency}\n")
    print(table(["endpoint", "req/s (median)", "p50 ms", "p99 ms", "errors"], http_rows))

    startups = []
    for _ in range(args.startups):
        with tempfile.TemporaryDirectory() as d:
            port = free_port()
            proc, secs = start_server(
                [str(Path(PYTHON).parent / "atende"), "serve"],
                port,
                {
                    "ATENDE_DATA_DIR": d,
                    "ATENDE_HTTP_PORT": str(port),
                    "ATENDE_LOG_LEVEL": "WARNING",
                    "ATENDE_API_TOKEN": "bench",
                },
            )
            time.sleep(20)  # let the background model loading finish, then read the RSS
            startups.append((secs, rss_mb(proc.pid)))
            proc.terminate()
            proc.wait(10)
    print("\n## atende serve start-up\n")
    print(
        table(
            ["metric", "value"],
            [
                [
                    f"start -> first accepted request, median of {len(startups)} (s)",
                    f"{median([s for s, _ in startups]):.2f}",
                ],
                ["start -> first accepted request, max (s)", f"{max(s for s, _ in startups):.2f}"],
                ["server RSS after load test (MB)", f"{rss:.0f}"],
                [
                    "server RSS 20 s after start, models loaded (MB)",
                    f"{median([r for _, r in startups]):.0f}",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
