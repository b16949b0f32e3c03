"""Reading a test gateway's Idempotency-Key records straight from its database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text

from apiinone.db.engine import Database
from tests.support import pg


def _database(data_dir: Path) -> Database:
    if pg.enabled():
        return Database(pg.database_for(data_dir))
    return Database(f"sqlite+aiosqlite:///{(data_dir / 'apiinone.db').resolve()}")


async def records_of(data_dir: Path, account_id: str) -> list[dict[str, Any]]:
    """Every Idempotency-Key record of one account, each as a dict of its columns."""
    db = _database(data_dir)
    try:
        async with db.read() as conn:
            rows = await conn.execute(
                text("SELECT * FROM idempotency_keys WHERE account_id = :account"),
                {"account": account_id},
            )
            return [dict(row._mapping) for row in rows]
    finally:
        await db.dispose()


def cells(records: list[dict[str, Any]]) -> bytes:
    """Every cell of the records as bytes, to search for a secret."""
    out = []
    for record in records:
        for value in record.values():
            if isinstance(value, bytes | bytearray | memoryview):
                out.append(bytes(value))
            elif value is not None:
                out.append(str(value).encode())
    return b"\n".join(out)
