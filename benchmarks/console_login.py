"""Console login timing: a known e-mail with a wrong password against an unknown e-mail (no enumeration by
timing: the unknown one is verified against a dummy argon2 hash). In process (httpx ASGI), no failure delay,
lockout and IP limit set out of reach so every attempt does the full work.

    .venv/bin/python benchmarks/console_login.py --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from atende.app import create_app
from atende.console.auth import hash_password
from atende.runtime import build_runtime
from atende.settings import load_settings


async def main(rounds: int) -> None:
    settings = load_settings(data_dir=Path(tempfile.mkdtemp()), api_token="x" * 32, use_keyword_standins=True,
                             console_failure_delay=0, console_lockout_failures=100_000,
                             console_login_rate_ip="100000/minute")
    runtime = build_runtime(settings, env={})
    runtime.accounts.add_agent("ana@example.com", "Ana", "agent", hash_password("correct horse battery"))
    app = create_app(runtime)
    cases = {"known e-mail, wrong password": "ana@example.com", "unknown e-mail": "nobody{}@example.com"}
    times: dict[str, list[float]] = {label: [] for label in cases}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        form = await client.get("/console/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert match
        for i in range(rounds):
            for label, email in cases.items():  # interleaved, so load drifts hit both alike
                start = time.perf_counter()
                r = await client.post("/console/login", data={
                    "email": email.format(i), "password": "wrong", "csrf_token": match.group(1)})
                times[label].append(time.perf_counter() - start)
                assert r.status_code == 401
    runtime.close()
    for label, values in times.items():
        print(f"{label}: median {statistics.median(values) * 1000:.1f} ms, min {min(values) * 1000:.1f}, "
              f"max {max(values) * 1000:.1f} (n={len(values)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
