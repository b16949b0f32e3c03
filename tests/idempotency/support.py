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


async def add_record(data_dir: Path, account_id: str, key: str, expires_at: int) -> None:
    """A done record, as the gateway would have kept it, expiring at ``expires_at`` (ms)."""
    db = _database(data_dir)
    try:
        async with db.write() as conn:
            await conn.execute(
                text(
                    "INSERT INTO idempotency_keys (key_id, key, account_id, request_hash, status,"
                    " response_status, response_headers, response_body, created_at, expires_at)"
                    " VALUES (:key_id, :key, :account, :hash, 'done', 200, '[]', :body,"
                    " :created, :expires)"
                ),
                {
                    "key_id": "key_elsewhere",
                    "key": key,
                    "account": account_id,
                    "hash": "0" * 64,
                    "body": b"{}",
                    "created": expires_at - 24 * 3600 * 1000,
                    "expires": expires_at,
                },
            )
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
