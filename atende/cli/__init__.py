"""The `atende` command: serve, chat, prepare, token; train/eval (classifier), kb (knowledge base), people,
agents and tokens (console accounts and API tokens)."""

from __future__ import annotations

import asyncio
import importlib
import sys
import time
from typing import Annotated, Any

import typer

from atende.settings import Settings, SettingsError, load_settings

app = typer.Typer(
    help="Atende: conversational intake bot for IT service desks.", no_args_is_help=True, add_completion=False
)


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _single_process(settings: Settings, level: str) -> tuple[Any, bool]:
    """Logging for a process that serves users, and the data-folder lock in single-process mode (returned,
    to be released at exit; None in the scaled mode, where any number of processes share the data), with
    whether the agent token was generated just now (only then is it printed)."""
    from atende.datalock import DataDirBusy, DataDirLock
    from atende.logs import collect_secrets, configure_logging
    from atende.runtime import connector_env, ensure_api_token

    lock = None
    if not settings.redis_url:
        lock = DataDirLock(settings.data_dir)
        try:
            lock.acquire()  # first: a refused process must not write anything (not even the token file)
        except DataDirBusy as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    token, generated = ensure_api_token(settings)
    configure_logging(level, settings.log_format, collect_secrets(connector_env(), token))
    return lock, generated


def _runtime(settings: Settings, connectors: bool = True) -> Any:
    from atende.runtime import build_runtime
    from connectors.base import ConfigError

    try:
        return build_runtime(settings, connectors=connectors)
    except (ConfigError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="listen address (ATENDE_HTTP_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="listen port (ATENDE_HTTP_PORT)")] = None,
) -> None:
    """Run the bot server: web chat at /, agent API, channel webhooks, SMTP listener, IMAP poller."""
    import uvicorn

    from atende.app import create_app
    from atende.server import server_config

    settings = _settings(http_host=host, http_port=port)
    _scaled_ok(settings)
    lock, generated = _single_process(settings, settings.log_level)
    runtime = _runtime(settings)
    if generated:  # once, when it is new; afterwards `atende token` shows it
        typer.echo(f"Agent API token (stored in {settings.data_dir / 'api_token'}): {runtime.api_token}")
    typer.echo(f"Web chat: http://{settings.http_host}:{settings.http_port}/")
    try:
        uvicorn.Server(server_config(create_app(runtime), settings)).run()
    finally:
        runtime.close()
        if lock is not None:
            lock.release()


def _scaled_ok(settings: Settings) -> None:
    problem = settings.scaled_problem()
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)


@app.command()
def worker() -> None:
    """Scaled mode (ATENDE_REDIS_URL): process the message streams - run the engine, file tickets, deliver
    the replies. Run as many as you like, on any hosts; `atende serve` processes are the ingress."""
    from atende.dispatch.worker import serve_worker

    settings = _settings()
    if not settings.redis_url:
        typer.echo("error: atende worker runs in the scaled mode only: set ATENDE_REDIS_URL "
                   "(single-process `atende serve` processes its messages itself)", err=True)
        raise typer.Exit(2)
    _scaled_ok(settings)
    _single_process(settings, settings.log_level)  # logging; the scaled mode takes no data lock
    runtime = _runtime(settings)
    try:
        asyncio.run(serve_worker(runtime, install_signals=True))
    finally:
        runtime.close()


@app.command()
def chat(
    user: Annotated[str, typer.Option(help="who you are in this terminal conversation")] = "local",
    lang: Annotated[str | None, typer.Option(help="locale hint: es, pt or en")] = None,
) -> None:
    """Talk to the bot in the terminal (the same engine; options as numbered choices)."""
    from dialog.messages import Identity, InboundMessage

    settings = _settings()
    lock, _ = _single_process(settings, "WARNING")
    runtime = _runtime(settings, connectors=False)
    identity = Identity(channel="cli", native_id=user, display_name=user)

    async def loop() -> None:
        await runtime.start(load_models=False)
        typer.echo("Type your message (Ctrl-D to quit).")
        try:
            while True:
                try:
                    line = await asyncio.to_thread(input, "> ")
                except EOFError:
                    break
                # A typed "2" stays text: the engine resolves it against its pending options.
                msg = InboundMessage(channel="cli", conversation_key=f"cli:{user}", sender=identity,
                                     text=line, locale_hint=lang)
                answered = await runtime.inbox.ask(msg, 120.0)
                replies = answered.replies if answered else []
                for reply in replies:
                    typer.echo(reply.text)
                    for i, opt in enumerate(reply.options, start=1):
                        typer.echo(f"  {i}. {opt.label}")
        finally:
            await runtime.stop()
            runtime.close()
            if lock is not None:
                lock.release()

    asyncio.run(loop())


@app.command()
def token() -> None:
    """Print the agent API token (generating and storing one when ATENDE_API_TOKEN is unset)."""
    from atende.runtime import ensure_api_token

    tok, _ = ensure_api_token(_settings())
    typer.echo(tok)


@app.command()
def prepare() -> None:
    """Build what `atende serve` needs when it is missing (KB embeddings cache); quick when up to date."""
    settings = _settings()
    start = time.perf_counter()
    model_dir = settings.resolved_model_dir
    if not model_dir.exists():
        typer.echo(
            f"warning: no classifier model in {model_dir}; the keyword stand-in will serve "
            "(train one with `atende train`)",
            err=True,
        )
    try:
        from atende.cli.kb import build_index
    except ImportError:
        build_index = None
    if build_index is not None:
        build_index(settings.resolved_kb_dir, settings.data_dir / "kb_cache", settings.embedding_model)
    typer.echo(f"ready in {time.perf_counter() - start:.1f}s")


for _module in ("atende.cli.classifier", "atende.cli.kb", "atende.cli.people", "atende.cli.accounts",
                "atende.cli.sla"):
    try:
        importlib.import_module(_module).register(app)
    except ImportError as _exc:  # pragma: no cover - only while a part is being built
        if _exc.name != _module:
            raise


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
