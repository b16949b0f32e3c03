"""Apply Alembic migrations on an open async engine (works inside a running event loop)."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from apiinone.db.engine import Database

if TYPE_CHECKING:
    from apiinone.sealing import Sealer

__all__ = ["alembic_config", "is_current", "upgrade"]


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("apiinone.db") / "migrations"))
    return config


def _upgrade(connection: Connection, revision: str, sealer: Sealer | None) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes["sealer"] = sealer
    command.upgrade(config, revision)


async def upgrade(db: Database, revision: str = "head", *, sealer: Sealer | None = None) -> None:
    """``sealer`` seals secrets a migration finds in clear (without it, the settings')."""
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade, revision, sealer)


def _current_heads(connection: Connection) -> set[str]:
    from alembic.migration import MigrationContext

    return set(MigrationContext.configure(connection).get_current_heads())


async def is_current(db: Database) -> bool:
    """Whether the database has every migration applied."""
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    async with db.engine.connect() as conn:
        current = await conn.run_sync(_current_heads)
    return current == heads
