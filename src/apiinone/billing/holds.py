"""Holds for work done while a client waits (chat): taken before the call, settled after.

``HoldBook`` is what the request path uses. It writes through a group writer — on a SQLite
file ``db/group_writer.py``, on PostgreSQL ``db/pg_group_writer.py`` — so every hold and
settlement queued together shares one commit; an in-memory SQLite database (tests) goes
through ``ledger.py``, one transaction each. All write the same rows.

A caller cancelled while its hold is being written (the client went away) does not leave
the hold behind: once written, it is released in the background.
"""

from __future__ import annotations

import asyncio
from functools import partial

from sqlalchemy import select

from apiinone.billing.ledger import HoldResult, capture, hold, release
from apiinone.billing.ledger_sql import hold_steps, settle_steps
from apiinone.db.engine import Database
from apiinone.db.group_writer import GroupWriter
from apiinone.db.pg_group_writer import PgGroupWriter
from apiinone.db.steps import Steps, run_connection
from apiinone.db.tables import holds

__all__ = ["CHAT_HOLD_PREFIX", "HoldBook", "release_stale_chat_holds"]


class HoldBook:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.writer: GroupWriter | PgGroupWriter | None = db.group
        self._in_flight: set[asyncio.Future[HoldResult]] = set()
        self._orphans: set[asyncio.Task[bool]] = set()

    async def hold(
        self,
        *,
        account_id: str,
        mode: str,
        amount: int,
        key_id: str | None = None,
        task_id: str | None = None,
        model: str | None = None,
        minimum: int | None = None,
    ) -> HoldResult:
        """Reserve ``amount`` credits (402 when the balance cannot cover it). With
        ``minimum``, as much of ``amount`` as the balance and the key's spend cap allow, and
        at least ``minimum``: the result's ``amount`` says how much."""
        op = partial(
            hold_steps,
            account_id=account_id,
            mode=mode,
            amount=amount,
            key_id=key_id,
            task_id=task_id,
            model=model,
            minimum=minimum,
        )
        work = asyncio.ensure_future(self._hold(op))
        self._in_flight.add(work)
        work.add_done_callback(self._in_flight.discard)
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            work.add_done_callback(self._release_orphan)
            raise

    async def settle(self, hold_id: str, spend: int) -> bool:
        """Capture ``spend`` of the hold and return the rest; ``spend == 0`` releases it all."""
        if self.writer is not None:
            settled: bool = await self.writer.run_steps(partial(settle_steps, hold_id, spend))
            return settled
        async with self.db.write() as conn:
            if spend > 0:
                return await capture(conn, hold_id, spend)
            return await release(conn, hold_id)

    async def _hold(self, op: partial[Steps]) -> HoldResult:
        if self.writer is not None:
            held: HoldResult = await self.writer.run_steps(op)
            return held
        async with self.db.write() as conn:
            if op.keywords.get("minimum") is not None:
                flexible: HoldResult = await run_connection(conn, op())
                return flexible
            return await hold(conn, **{k: v for k, v in op.keywords.items() if k != "minimum"})

    def _release_orphan(self, work: asyncio.Future[HoldResult]) -> None:
        if work.cancelled() or work.exception() is not None:
            return
        task = asyncio.ensure_future(self.settle(work.result().hold_id, 0))
        self._orphans.add(task)
        task.add_done_callback(self._orphans.discard)

    async def close(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            await asyncio.sleep(0)  # their done-callbacks may start releases
        if self._orphans:
            await asyncio.gather(*self._orphans, return_exceptions=True)
        # The writer belongs to the database handle, which closes it.


CHAT_HOLD_PREFIX = "chatcmpl-"


async def release_stale_chat_holds(db: Database, *, older_than_ms: int, now: int) -> int:
    """Give back chat holds a process died holding (a chat settles within its request, so a
    chat hold still open long after its request's longest life was orphaned by a crash).
    Released in full: the client is never charged for an answer the books cannot show."""
    async with db.read() as conn:
        stale = (
            await conn.execute(
                select(holds.c.id)
                .where(
                    holds.c.status == "held",
                    holds.c.task_id.like(CHAT_HOLD_PREFIX + "%"),
                    holds.c.created_at < now - older_than_ms,
                )
                .limit(500)
            )
        ).scalars()
        ids = list(stale)
    released = 0
    for hold_id in ids:
        async with db.write() as conn:
            released += int(await release(conn, hold_id))
    return released
