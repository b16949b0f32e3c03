"""CSV downloads (usage, audit trail): streamed in chunks, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from typing import Any

__all__ = ["csv_chunks", "safe_cell"]

_CHUNK = 64 * 1024


def safe_cell(value: Any) -> Any:
    """A spreadsheet runs text starting with = + - @ as a formula: make it plain text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


async def csv_chunks(
    columns: Sequence[str], rows: AsyncIterable[Mapping[str, Any]]
) -> AsyncIterator[str]:
    """The header, then each row's ``columns``, yielded about every 64 KiB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    async for row in rows:
        writer.writerow([safe_cell(row[c]) for c in columns])
        if buffer.tell() > _CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
