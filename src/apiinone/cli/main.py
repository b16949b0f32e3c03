"""``apiinone``: serve the gateway, migrate, and operator commands."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from apiinone.auth.bootstrap import bootstrap_admin
from apiinone.cli import operator
from apiinone.cli.runtime import console, run_with_db, settings_or_exit
from apiinone.db.engine import Database
from apiinone.db.migrate import upgrade
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


@app.command()
def migrate() -> None:
    """Apply the database migrations."""

    async def work(db: Database, _settings: Settings) -> None:
        await upgrade(db)

    run_with_db(work, migrate=False)
    console.print("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes")] = 1,
) -> None:
    """Start the gateway (migrates SQLite first; creates the admin on the first start)."""
    import uvicorn

    settings = settings_or_exit()
    host = host or settings.host
    port = port or settings.port

    async def prepare(db: Database, settings: Settings) -> None:
        await upgrade(db)
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
    logging.basicConfig(level=settings.log_level.upper())
    os.environ.setdefault("APIINONE_DATA_DIR", str(settings.data_dir))
    uvicorn.run(
        "apiinone.app:factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        access_log=False,
    )


if __name__ == "__main__":
    app()
