"""The lease that holds an in-flight Idempotency-Key record while its request runs.

The request renews its lease every third of ``idempotency_lease_seconds``, so a live request
keeps its record however long it runs (a slow chat, a long stream, a synchronous wait), and
a duplicate is answered 409 "still in progress". If the process dies, the renewals stop; a
duplicate that arrives once the lease has lapsed takes the record over and runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from apiinone.db.engine import Database
from apiinone.idempotency.records import Record, renew

__all__ = ["held"]

log = logging.getLogger("apiinone.idempotency")


async def _renew_every(db: Database, record: Record, owner: str, lease_seconds: float) -> None:
    lease_ms = int(lease_seconds * 1000)
    while True:
        await asyncio.sleep(lease_seconds / 3)
        try:
            if not await renew(db, record, owner, lease_ms):
                log.warning("an Idempotency-Key record was taken over while its request ran")
                return
        except Exception as exc:  # the next renewal may succeed; the lease covers two misses
            log.warning("could not renew an Idempotency-Key lease (%s)", type(exc).__name__)


@contextlib.asynccontextmanager
async def held(
    db: Database, record: Record, owner: str, lease_seconds: float
) -> AsyncIterator[None]:
    """Renew the record's lease in the background for as long as the block runs."""
    renewal = asyncio.create_task(_renew_every(db, record, owner, lease_seconds))
    try:
        yield
    finally:
        # Not awaited: a renewal cut short rolls back, and one that commits after the
        # answer was kept matches nothing (it renews only an in-flight record of its owner).
        renewal.cancel()
