"""The migrations build exactly the schema the code declares."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from apiinone.db.tables import metadata
from tests.support.db import open_db


async def test_migrated_schema_matches_tables(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "m.db")

    def diff(sync_conn):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(sync_conn)
        return compare_metadata(context, metadata)

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    await db.dispose()
    assert differences == []
