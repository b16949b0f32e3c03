"""Apply Alembic migrations on an open async engine (works inside a running event loop)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from apiinone.db.engine import Database

__all__ = ["alembic_config", "upgrade"]


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("apiinone.db") / "migrations"))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(db: Database, revision: str = "head") -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)
