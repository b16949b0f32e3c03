"""Integers a client writes into a query string or a cursor, range-checked before any
database sees them: SQLite and PostgreSQL both store signed 64-bit integers, and a larger
Python int makes the driver raise instead of matching nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

__all__ = ["MAX_EXPIRY_DAYS", "MAX_INT64", "EpochMsFrom", "EpochMsUntil", "ascii_int"]

MAX_INT64 = 2**63 - 1
# The furthest expiry a dashboard form may set (keys, redemption codes): 100 years.
MAX_EXPIRY_DAYS = 36_500

EpochMsFrom = Annotated[
    int | None, Query(ge=0, le=MAX_INT64, description="ms since epoch, inclusive")
]
EpochMsUntil = Annotated[
    int | None, Query(ge=0, le=MAX_INT64, description="ms since epoch, exclusive")
]


def ascii_int(text: str, *, maximum: int = MAX_INT64) -> int | None:
    """``text`` as a non-negative integer written in ASCII digits, at most ``maximum``;
    ``None`` for anything else (``str.isdigit`` alone accepts "²", which ``int`` refuses)."""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None
