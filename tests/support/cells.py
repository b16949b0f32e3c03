"""Every stored value of a gateway's database, cell by cell, to search for leaked secrets."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def stored_cells(data_dir: Path, database_url: str | None) -> list[tuple[str, str, str]]:
    """(table, column, text) for every non-empty text or blob cell of every table (blobs
    decoded as UTF-8, undecodable bytes replaced)."""
    url = database_url or f"sqlite+aiosqlite:///{data_dir / 'apiinone.db'}"
    engine = create_async_engine(url)
    cells: list[tuple[str, str, str]] = []
    try:
        async with engine.connect() as conn:
            if url.startswith("sqlite"):
                listing = "SELECT name FROM sqlite_master WHERE type = 'table'"
            else:
                listing = (
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            names = [row[0] for row in await conn.execute(text(listing))]
            for name in names:
                result = await conn.execute(text(f'SELECT * FROM "{name}"'))
                columns = list(result.keys())
                for row in result:
                    for column, value in zip(columns, row, strict=True):
                        if isinstance(value, (bytes, memoryview)):
                            value = bytes(value).decode("utf-8", "replace")
                        if isinstance(value, str) and value:
                            cells.append((name, column, value))
    finally:
        await engine.dispose()
    return cells
