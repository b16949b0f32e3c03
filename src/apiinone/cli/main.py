"""``apiinone``: serve the gateway, migrate, and operator commands."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Annotated

import typer

from apiinone.cli import channels, operator, secrets, user
from apiinone.cli.runtime import console, err_console, run_with_db, settings_or_exit
from apiinone.redact import install_log_redaction, register_settings
from apiinone.sealing import Sealer

if TYPE_CHECKING:
    from apiinone.db.engine import Database
    from apiinone.settings import Settings

app = typer.Typer(
    name="apiinone",
    help="API in One: a self-hostable unified AI API gateway.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(operator.accounts, name="accounts")
app.add_typer(operator.keys, name="keys")
app.add_typer(operator.credits, name="credits")
app.add_typer(secrets.secrets, name="secrets")
app.add_typer(channels.channels, name="channels")
user.register(app)


@app.command()
def migrate() -> None:
    """Apply the database migrations."""

    from apiinone.db.migrate import upgrade

    async def work(db: Database, settings: Settings) -> None:
        await upgrade(db, sealer=Sealer.from_settings(settings))

    run_with_db(work, migrate=False)
    console.print("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Server processes (default: the workers setting)"),
    ] = None,
) -> None:
    """Start the gateway (migrates SQLite first; creates the admin on the first start)."""
    import uvicorn

    from apiinone.oslimits import raise_open_files

    settings = settings_or_exit()
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    if workers > 1 and not settings.redis_url:
        err_console.print(
            f"[red]configuration error[/red] --workers {workers} needs Redis "
            "(APIINONE_REDIS_URL): without it each process keeps its own rate-limit counters, "
            "so every key could make its limit once per process. Serve with one worker, or "
            "set APIINONE_REDIS_URL."
        )
        raise typer.Exit(2)

    from apiinone.auth.bootstrap import bootstrap_admin
    from apiinone.db.migrate import upgrade

    async def prepare(db: Database, settings: Settings) -> None:
        await upgrade(db, sealer=Sealer.from_settings(settings))
        result = await bootstrap_admin(db, settings)
        if result.new_key:
            console.print(
                "[bold]First start: created the admin account.[/bold] Its API key, shown once:"
            )
            console.print(f"  [bold green]{result.new_key}[/bold green]", soft_wrap=True)
        elif result.from_env:
            console.print("admin key: the one in APIINONE_ADMIN_KEY")

    run_with_db(prepare, migrate=False)
    where = "SQLite at " + str(settings.data_dir) if settings.is_sqlite else "external database"
    console.print(f"API in One listening on http://{host}:{port} ({where})", soft_wrap=True)
    console.print(_provider_banner(settings), soft_wrap=True)
    # Every open stream holds two sockets; the server processes inherit the raised limit.
    console.print(
        f"{workers} server process{'es' if workers > 1 else ''}; "
        f"{raise_open_files().describe()}; upstream connections "
        + (f"{settings.upstream_connections:,} per process" if settings.upstream_connections
           else "unlimited"),
        soft_wrap=True,
    )  # fmt: skip
    logging.basicConfig(level=settings.log_level.upper())
    install_log_redaction()
    # The server processes read their settings again: hand them the address in use.
    os.environ["APIINONE_DATA_DIR"] = str(settings.data_dir)
    os.environ["APIINONE_HOST"] = host
    os.environ["APIINONE_PORT"] = str(port)
    from apiinone.api.http_protocol import protocol_factory

    uvicorn.run(
        "apiinone.app:factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # A server process answers its supervisor's pings from a thread that starts only
        # after the gateway's modules are imported: on a busy host that takes longer than
        # uvicorn's 5 s, and the supervisor would kill and restart it over and over.
        timeout_worker_healthcheck=60,
        # Thousands of streams may open within a second: a shallow accept queue would drop
        # connections (the kernel holds it to net.core.somaxconn).
        backlog=8192,
        # Clients reuse idle connections for up to 5 s (httpx, so the openai and anthropic
        # SDKs), 15 s (aiohttp): a server that closes them sooner races their next request,
        # which fails as a read error. 75 s, nginx's default, outlasts them.
        timeout_keep_alive=75,
        loop="uvloop",
        # httptools, with a deadline on request headers (header_timeout_seconds)
        http=protocol_factory(settings.header_timeout_seconds),
        log_level=settings.log_level,
        access_log=settings.access_log,
    )


def _provider_banner(settings: Settings) -> str:
    from apiinone.catalog import load_catalog
    from apiinone.providers.channels import ChannelFileError, load_channels

    try:
        catalog = load_catalog(settings.catalog_file)
        channels = load_channels(settings.providers_file, catalog)
    except ChannelFileError as exc:
        err_console.print(f"[red]configuration error[/red] {exc}")
        raise typer.Exit(2) from None
    if not channels:
        return (
            "sandbox mode: no provider is configured, so every model runs on the built-in "
            "sandbox (real files made locally)"
        )
    return f"providers: {len(channels)} models have channels; other models answer 503"


@app.command()
def worker() -> None:
    """Run task workers and webhook delivery on their own, without serving HTTP."""
    import asyncio
    import signal

    from apiinone.background import running_background
    from apiinone.db.migrate import upgrade
    from apiinone.gateway import Gateway
    from apiinone.providers.channels import ChannelFileError

    settings = settings_or_exit()
    logging.basicConfig(level=settings.log_level.upper())
    install_log_redaction()
    register_settings(settings)

    async def main() -> None:
        gateway = Gateway.open(settings)
        try:
            if settings.is_sqlite:
                await upgrade(gateway.db, sealer=gateway.sealer)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            if not settings.worker_enabled:
                settings.worker_enabled = True
            async with running_background(gateway):
                console.print("API in One worker running; Ctrl-C to stop")
                await stop.wait()
        finally:
            await gateway.close()

    try:
        asyncio.run(main())
    except ChannelFileError as exc:
        err_console.print(f"[red]configuration error[/red] {exc}")
        raise typer.Exit(2) from None


if __name__ == "__main__":
    app()
