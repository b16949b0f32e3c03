"""Running one async operator command against the configured database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from apiinone.db.engine import Database
    from apiinone.settings import Settings

__all__ = ["console", "err_console", "run_with_db", "settings_or_exit"]

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)


def settings_or_exit() -> Settings:
    from pydantic import ValidationError

    from apiinone.settings import load_settings

    try:
        return load_settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "settings"
            err_console.print(f"[red]configuration error[/red] {where}: {error['msg']}")
        raise typer.Exit(2) from None


def run_with_db(work: Callable[[Database, Settings], Awaitable[T]], *, migrate: bool = True) -> T:
    from apiinone.db.engine import Database
    from apiinone.db.migrate import is_current, upgrade
    from apiinone.errors import APIError
    from apiinone.sealing import Sealer

    settings = settings_or_exit()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def main() -> T:
        db = Database(settings.resolved_database_url)
        try:
            if migrate and settings.is_sqlite:
                await upgrade(db, sealer=Sealer.from_settings(settings))
            elif migrate and not await is_current(db):
                err_console.print(
                    "[red]error[/red] the database is not migrated yet: run `apiinone migrate`"
                )
                raise typer.Exit(2)
            return await work(db, settings)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except APIError as exc:
        err_console.print(f"[red]error[/red] {exc.message}")
        raise typer.Exit(1) from None
