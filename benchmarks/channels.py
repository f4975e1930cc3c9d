"""Channel webhook benchmark (issue 5): sustained inbound messages through every provider route.

Each row sends N messages (each from its own conversation) from M concurrent senders through one route,
the way the provider would: Telegram with its secret header, WhatsApp and SMS signed with twilio's
RequestValidator, a phone call's speech step (/webhooks/twilio/voice/gather) signed the same way, Slack
Events signed with slack_sdk's SignatureVerifier, e-mail handed to the SMTP listener with smtplib. The
server is the product itself: build_runtime (keyword stand-ins, SQLite stores) and create_app, served by
uvicorn on 127.0.0.1; the replies go to the local fakes of the provider APIs from tests/connectors/.

- ack: time until the provider got its answer (200, TwiML, SMTP 250): signature check, parsing, durable
  record, and for voice the engine itself (Twilio waits for the TwiML).
- end-to-end: until the reply reached the fake provider API (first reply of that conversation); for the
  synchronous routes (voice, echo) this is the ack. msgs/s = N / (first send -> last reply).

The bare echo endpoint of benchmarks/echo_app.py runs in the same run twice: in its own process (as
benchmarks/engine.py starts it) and hosted exactly like the product (same uvicorn, same process), which is
the fair ceiling for the channel rows. By default that hosting is a thread of this process, sharing the
GIL with the load generator and the fakes; --server-process moves it to a child process.

Run: .venv/bin/python benchmarks/channels.py [--messages 300] [--senders 8] [--server-process]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import PYTHON, free_port, pct, start_server, table
from benchmarks.engine import DESCRIPTIONS
from tests.connectors.email.conftest import DESK, CapturedMail, FakeRelay
from tests.connectors.email.mailer import user_mail
from tests.connectors.slack.conftest import SIGNING_SECRET, signed_headers
from tests.connectors.slack.fake_slack import BOT_TOKEN, BOT_USER, TEAM, FakeSlack
from tests.connectors.telegram.conftest import SECRET
from tests.connectors.telegram.fake_telegram import TOKEN, FakeTelegram
from tests.connectors.twilio.fake_twilio import FakeTwilio
from tests.connectors.twilio.harness import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SMS_FROM,
    WHATSAPP_FROM,
    call_params,
    message_params,
)

FORM = "application/x-www-form-urlencoded"
WARMUP = 1_000_000  # conversation numbers of the warm-up messages (never measured)


# ---------------------------------------------------------------- the fakes, timing each first reply

@dataclass
class TimedTelegram(FakeTelegram):
    arrivals: dict[Hashable, float] = field(default_factory=dict)

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self.arrivals.setdefault(int(params["chat_id"]), time.perf_counter())
        return await super()._m_sendMessage(params)


@dataclass
class TimedSlack(FakeSlack):
    arrivals: dict[Hashable, float] = field(default_factory=dict)

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self.arrivals.setdefault(str(params.get("channel")), time.perf_counter())
        return super()._m_chat_postMessage(params)


@dataclass
class TimedTwilio(FakeTwilio):
    arrivals: dict[Hashable, float] = field(default_factory=dict)

    async def _create_message(self, request: Any) -> Any:
        before = len(self.messages)
        response = await super()._create_message(request)
        if len(self.messages) > before:
            self.arrivals.setdefault(self.messages[-1].get("To", ""), time.perf_counter())
        return response


# ---------------------------------------------------------------- the server: the product and the echo app

def host(cfg: dict[str, Any], servers: list[Any], ready: threading.Event | None = None) -> None:
    """Build the runtime and serve create_app(runtime) and the bare echo app with uvicorn, in one event loop,
    until every server in ``servers`` is told to exit. Runs in a thread of the benchmark or in a child."""
    import uvicorn

    from atende.app import create_app
    from atende.runtime import build_runtime
    from atende.settings import load_settings
    from benchmarks.echo_app import app as echo_app

    settings = load_settings(data_dir=Path(cfg["data_dir"]), use_keyword_standins=True,
                             public_url=cfg["public_url"], api_token="bench-token-" + "x" * 20,
                             # one client IP sends everything (SMTP): measure throughput, not the limits
                             rate_limit_ip="1000000/minute", rate_limit_sender="1000000/minute")
    runtime = build_runtime(settings, env=cfg["env"])
    configs = [uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                              lifespan="on" if app is not echo_app else "off")
               for app, port in ((create_app(runtime), cfg["port"]), (echo_app, cfg["echo_port"]))]
    servers.extend(uvicorn.Server(c) for c in configs)
    if ready is not None:
        ready.set()

    async def serve_all() -> None:
        await asyncio.gather(*(s.serve() for s in servers))

    try:
        with asyncio.Runner(loop_factory=configs[0].get_loop_factory()) as runner:
            runner.run(serve_all())
    finally:
        runtime.close()


def serve_child(cfg_json: str) -> None:
    """--serve: the child-process hosting; it stops when the parent closes its stdin."""
    cfg = json.loads(cfg_json)
    logging.basicConfig(filename=cfg["log"], level=logging.WARNING)
    servers: list[Any] = []
    ready = threading.Event()

    def stop_on_eof() -> None:
        ready.wait()
        sys.stdin.read()
        for s in servers:
            s.should_exit = True

    threading.Thread(target=stop_on_eof, daemon=True).start()
    host(cfg, servers, ready)


class Hosting:
    """The product (and the echo app beside it) in a thread of this process, or in a child process."""

    def __init__(self, cfg: dict[str, Any], child: bool) -> None:
        self.cfg, self.child = cfg, child
        self.servers: list[Any] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self.thread: threading.Thread | None = None

    async def start(self, timeout: float = 120.0) -> float:
        t0 = time.perf_counter()
        if self.child:
            self.proc = subprocess.Popen([PYTHON, __file__, "--serve", json.dumps(self.cfg)],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        else:
            self.thread = threading.Thread(target=host, args=(self.cfg, self.servers), daemon=True)
            self.thread.start()
        async with httpx.AsyncClient() as client:
            while time.perf_counter() - t0 < timeout:
                try:
                    urls = [f"http://127.0.0.1:{self.cfg[p]}/healthz" for p in ("port", "echo_port")]
                    codes = [(await client.get(u, timeout=1)).status_code for u in urls]
                    if codes == [200, 200]:
                        return time.perf_counter() - t0
                except httpx.HTTPError:
                    pass
                if (self.proc is not None and self.proc.poll() is not None) or (
                        self.thread is not None and not self.thread.is_alive()):
                    raise RuntimeError(f"the server stopped during start-up; see {self.cfg['log']}")
                await asyncio.sleep(0.1)
        raise TimeoutError(f"server did not answer within {timeout}s; see {self.cfg['log']}")

    async def stop(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                await asyncio.to_thread(self.proc.wait, 20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.thread is not None:
            for s in self.servers:
                s.should_exit = True
            await asyncio.to_thread(self.thread.join, 20)


# ---------------------------------------------------------------- routes and the load generator

@dataclass
class Route:
    name: str
    send: Callable[[int], Awaitable[bool]]  # message number -> acknowledged as expected
    reply_to: Callable[[int], Hashable] | None = None  # where its reply lands; None: answered in the response
    arrivals: dict[Hashable, float] | None = None


async def drive(route: Route, numbers: range, senders: int, reply_timeout: float) -> dict[str, Any]:
    todo = iter(numbers)
    sent_at: dict[int, float] = {}
    acks: list[float] = []
    errors = 0

    async def sender() -> None:
        nonlocal errors
        for i in todo:  # one iterator shared by the senders: each message is sent once
            t0 = sent_at[i] = time.perf_counter()
            try:
                ok = await route.send(i)
            except (httpx.HTTPError, OSError, smtplib.SMTPException):
                ok = False
            acks.append(time.perf_counter() - t0)
            errors += not ok

    start = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    end = time.perf_counter()
    e2e, missing = acks, 0
    if route.reply_to is not None and route.arrivals is not None:
        arrivals, keys = route.arrivals, {i: route.reply_to(i) for i in numbers}
        deadline = end + reply_timeout
        while any(k not in arrivals for k in keys.values()) and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        e2e = [arrivals[k] - sent_at[i] for i, k in keys.items() if k in arrivals]
        missing = len(keys) - len(e2e)
        end = max([end, *(arrivals[k] for k in keys.values() if k in arrivals)])
    return {"acks": acks, "e2e": e2e, "rate": len(e2e) / (end - start), "errors": errors, "missing": missing}


def routes(base: str, http: httpx.AsyncClient, smtp_port: int, fakes: dict[str, Any],
           pool: ThreadPoolExecutor) -> list[Route]:
    def text(i: int) -> str:
        return f"{DESCRIPTIONS[i % len(DESCRIPTIONS)]} (#{i})"

    async def post(path: str, expect: int = 200, **kw: Any) -> bool:
        return (await http.post(base + path, **kw)).status_code == expect

    async def echo(i: int, port: int) -> bool:
        body = {"session": f"bench-echo-session-{i:08d}", "text": "help"}
        return (await http.post(f"http://127.0.0.1:{port}/api/chat/messages", json=body)).status_code == 200

    async def telegram(i: int) -> bool:
        user = {"id": 10_000_000 + i, "is_bot": False, "first_name": "Ana", "language_code": "en"}
        update = {"update_id": i, "message": {"message_id": 1, "date": int(time.time()), "text": text(i),
                                              "chat": {"id": user["id"], "type": "private"}, "from": user}}
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        return await post("/webhooks/telegram", json=update, headers=headers)

    def phone(i: int) -> str:
        return f"+3460{i:07d}"

    def twilio_signed(path: str, params: dict[str, str]) -> dict[str, Any]:
        from twilio.request_validator import RequestValidator

        signature = RequestValidator(AUTH_TOKEN).compute_signature(base + path, params)
        headers = {"Content-Type": FORM, "X-Twilio-Signature": signature}
        return {"content": urlencode(params), "headers": headers}

    async def whatsapp(i: int) -> bool:
        params = message_params(text(i), sid=f"SM{i:032d}", sender=f"whatsapp:{phone(i)}", to=WHATSAPP_FROM,
                                WaId=phone(i)[1:])
        return await post("/webhooks/twilio/messaging", **twilio_signed("/webhooks/twilio/messaging", params))

    async def sms(i: int) -> bool:
        params = message_params(text(i), sid=f"SM{i + 5 * WARMUP:032d}", sender=phone(i + 5 * WARMUP),
                                to=SMS_FROM)
        return await post("/webhooks/twilio/messaging", **twilio_signed("/webhooks/twilio/messaging", params))

    async def voice(i: int) -> bool:
        path = "/webhooks/twilio/voice/gather?" + urlencode({"lang": "en-US", "step": 1, "attempt": 0})
        params = call_params(f"CA{i:032d}", caller=f"+5511{i:09d}", SpeechResult=text(i), Confidence="0.9")
        return await post(path, **twilio_signed(path, params))

    async def slack(i: int) -> bool:
        envelope = {"type": "event_callback", "event_id": f"Ev{i:010d}", "team_id": TEAM,
                    "authorizations": [{"user_id": BOT_USER, "is_bot": True}],
                    "event": {"type": "message", "channel_type": "im", "channel": f"D{i:09d}",
                              "user": f"U{i:09d}", "text": text(i), "ts": f"{time.time():.6f}"}}
        body = json.dumps(envelope).encode()
        return await post("/webhooks/slack/events", content=body, headers=signed_headers(body))

    def mail_sync(i: int) -> bool:
        sender = f"user{i}@example.com"
        raw = user_mail(sender, f"Problem #{i}", text(i))
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=60) as client:
            return not client.sendmail(sender, [DESK], raw)

    async def mail(i: int) -> bool:
        return await asyncio.get_running_loop().run_in_executor(pool, mail_sync, i)

    tg, sl, tw = fakes["telegram"], fakes["slack"], fakes["twilio"]
    return [
        Route("bare echo (echo_app.py, own process)", lambda i: echo(i, fakes["echo_own_port"])),
        Route("bare echo (echo_app.py, hosted like atende)", lambda i: echo(i, fakes["echo_port"])),
        Route("Telegram  POST /webhooks/telegram", telegram, lambda i: 10_000_000 + i, tg.arrivals),
        Route("WhatsApp  POST /webhooks/twilio/messaging", whatsapp, lambda i: f"whatsapp:{phone(i)}",
              tw.arrivals),
        Route("SMS       POST /webhooks/twilio/messaging", sms, lambda i: phone(i + 5 * WARMUP), tw.arrivals),
        Route("voice     POST /webhooks/twilio/voice/gather", voice),
        Route("Slack     POST /webhooks/slack/events", slack, lambda i: f"D{i:09d}", sl.arrivals),
        Route("e-mail    SMTP to the aiosmtpd listener", mail, lambda i: f"user{i}@example.com",
              fakes["email"]),
    ]


def channel_env(tg: FakeTelegram, sl: FakeSlack, tw: FakeTwilio, relay: FakeRelay, smtp_port: int
                ) -> dict[str, str]:
    """Every channel on, each pointed at its fake; the SMTP listener on ``smtp_port``."""
    return {"ATENDE_TELEGRAM_TOKEN": TOKEN, "ATENDE_TELEGRAM_SECRET": SECRET,
            "ATENDE_TELEGRAM_API_BASE": tg.base_url,
            "ATENDE_SLACK_BOT_TOKEN": BOT_TOKEN, "ATENDE_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "ATENDE_SLACK_API_BASE": sl.base_url + "/api/",
            "ATENDE_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "ATENDE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "ATENDE_TWILIO_WHATSAPP_FROM": WHATSAPP_FROM, "ATENDE_TWILIO_SMS_FROM": SMS_FROM,
            "ATENDE_TWILIO_API_BASE": tw.url,
            "ATENDE_MAIL_ADDRESS": DESK, "ATENDE_SMTP_LISTEN_HOST": "127.0.0.1",
            "ATENDE_SMTP_LISTEN_PORT": str(smtp_port), "ATENDE_SMTP_OUT_HOST": "127.0.0.1",
            "ATENDE_SMTP_OUT_PORT": str(relay.port), "ATENDE_SMTP_OUT_STARTTLS": "false"}


async def measure(all_routes: list[Route], n: int, m: int, reply_timeout: float) -> list[list[object]]:
    rows: list[list[object]] = []
    for route in all_routes:
        await drive(route, range(WARMUP, WARMUP + m), m, 30)  # the first use of each code path
        await asyncio.sleep(0.3)
        r = await drive(route, range(n), m, reply_timeout)
        ms = [f"{pct(r[k], q) * 1000:.1f}" for k in ("acks", "e2e") for q in (50, 99)]
        rows.append([route.name, n, *ms, f"{r['rate']:.0f}", f"{r['errors']}/{r['missing']}"])
        await asyncio.sleep(0.5)  # let the tails of the last replies go out
    return rows


async def run(args: argparse.Namespace) -> tuple[list[list[object]], list[str]]:
    n, m = args.messages, args.senders
    async with TimedTelegram() as tg, TimedSlack() as sl, TimedTwilio(ACCOUNT_SID, AUTH_TOKEN) as tw:
        relay = FakeRelay()
        await relay.start()
        mail_arrivals: dict[Hashable, float] = {}

        def on_mail(mail: CapturedMail) -> None:
            for rcpt in mail.rcpt_tos:
                mail_arrivals.setdefault(rcpt.lower(), time.perf_counter())

        relay.on_mail = on_mail
        for i in [*range(n), *range(WARMUP, WARMUP + m)]:
            sl.add_user(f"U{i:09d}", email=f"u{i}@example.com", locale="en-US")
        port, echo_port, echo_own_port, smtp_port = free_port(), free_port(), free_port(), free_port()
        with tempfile.TemporaryDirectory() as d:
            log_file = Path(d) / "server.log"
            if not args.server_process:
                logging.basicConfig(filename=log_file, level=logging.WARNING)
            cfg: dict[str, Any] = {
                "data_dir": str(Path(d) / "data"), "public_url": f"http://127.0.0.1:{port}", "port": port,
                "echo_port": echo_port, "env": channel_env(tg, sl, tw, relay, smtp_port),
                "log": str(log_file)}
            hosting = Hosting(cfg, child=args.server_process)
            startup = await hosting.start()
            echo_args = [PYTHON, "-m", "uvicorn", "benchmarks.echo_app:app", "--port", str(echo_own_port),
                         "--log-level", "warning"]
            echo_proc, _ = await asyncio.to_thread(start_server, echo_args, echo_own_port)
            fakes = {"telegram": tg, "slack": sl, "twilio": tw, "email": mail_arrivals,
                     "echo_port": echo_port, "echo_own_port": echo_own_port}
            limits = httpx.Limits(max_connections=m, max_keepalive_connections=m)
            try:
                with ThreadPoolExecutor(max_workers=m) as pool:
                    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
                        rows = await measure(routes(cfg["public_url"], http, smtp_port, fakes, pool), n, m,
                                             args.reply_timeout)
            finally:
                await hosting.stop()
                echo_proc.terminate()
                await asyncio.to_thread(echo_proc.wait, 10)
                await relay.stop()
            logged = [ln for ln in log_file.read_text().splitlines() if ln.startswith(("WARNING", "ERROR"))]
    notes = [f"server start (build_runtime -> first /healthz): {startup:.1f} s",
             f"server log lines at WARNING or above: {len(logged)}", *(f"  {ln[:160]}" for ln in logged[:5])]
    return rows, notes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=300, help="messages per route (N)")
    ap.add_argument("--senders", type=int, default=8, help="concurrent senders (M)")
    ap.add_argument("--reply-timeout", type=float, default=60.0, help="seconds to wait for the last replies")
    ap.add_argument("--server-process", action="store_true", help="host the server in a child process")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve_child(args.serve)
        return
    rows, notes = asyncio.run(run(args))
    where = "a child process" if args.server_process else "a thread of the benchmark process"
    print(f"\n## Channel webhooks: {args.messages} messages per route, {args.senders} concurrent senders, "
          f"each message its own conversation; server in {where}\n")
    print(table(["route", "msgs", "ack p50 ms", "ack p99 ms", "e2e p50 ms", "e2e p99 ms", "e2e msgs/s",
                 "errors/no reply"], rows))
    print("\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
