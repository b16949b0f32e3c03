"""Holds for work done while a client waits (chat): taken before the call, settled after.

``HoldBook`` is what the request path uses. Its holds and settlements are the steps of
``ledger_sql.py``, written through a group writer — on a SQLite file ``db/group_writer.py``,
on PostgreSQL ``db/pg_group_writer.py`` — so every hold and settlement queued together
shares one commit; an in-memory SQLite database (tests) runs the same steps in a transaction
of its own each (``Database.run_steps``).

A caller cancelled while its hold is being written (the client went away) does not leave
the hold behind: once written, it is released in the background.

Every hold a book writes carries the book's ``owner``, the process's id in ``hold_leases``:
while the process renews its lease its open holds are its own, and once the lease lapses
(the process died) any process releases them (``hold_lease.py``). The lease is renewed in
the background; a hold made when that renewal is a third of a lease late renews it first,
so no hold is written under a lease that may already have been given up.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import partial

from sqlalchemy import and_, exists, or_, select

from apiinone.billing.ledger_sql import HoldResult, hold_steps, settle_steps
from apiinone.db.engine import Database
from apiinone.db.group_writer import GroupWriter
from apiinone.db.pg_group_writer import PgGroupWriter
from apiinone.db.steps import StepsOf
from apiinone.db.tables import hold_leases, holds

__all__ = ["CHAT_HOLD_PREFIX", "HoldBook", "new_owner", "release_stale_chat_holds"]

log = logging.getLogger("apiinone.holds")


def new_owner() -> str:
    """A process's id as the owner of its holds (fresh at every start)."""
    return "p_" + secrets.token_urlsafe(12)


class HoldBook:
    def __init__(self, db: Database, *, owner: str | None = None) -> None:
        self.db = db
        self.writer: GroupWriter | PgGroupWriter | None = db.group
        self.owner = owner or new_owner()
        # This book's holds not settled yet (a clean stop with none keeps no lease row).
        self.open: set[str] = set()
        # Set by the process's HoldLease: how to renew it, and when a hold must first do so
        # (ms since the epoch).
        self.renew_lease: Callable[[], Awaitable[None]] | None = None
        self.lease_due = 0
        self._renewal: asyncio.Future[None] | None = None
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
            owner=self.owner,
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
        """Capture ``spend`` of the hold and return the rest; ``spend == 0`` releases it all.
        Any process's hold (the sweep of lapsed leases releases others'). False when it was
        settled already."""
        settle = partial(settle_steps, hold_id, spend)
        if self.writer is not None:
            settled = await self.writer.run_steps(settle)
        else:
            settled = await self.db.run_steps(settle)
        self.open.discard(hold_id)  # kept when the write failed: the hold may still be open
        return settled

    async def _hold(self, op: partial[StepsOf[HoldResult]]) -> HoldResult:
        if self.renew_lease is not None and time.time() * 1000 > self.lease_due:
            await self._catch_up()
        if self.writer is not None:
            held = await self.writer.run_steps(op)
        else:
            held = await self.db.run_steps(op)
        self.open.add(held.hold_id)
        return held

    async def _catch_up(self) -> None:
        """Renew the lease before a hold (the background renewal is late); holds that come
        meanwhile wait for the same renewal."""
        if self._renewal is None or self._renewal.done():
            assert self.renew_lease is not None
            self._renewal = asyncio.ensure_future(self.renew_lease())
        try:
            await asyncio.shield(self._renewal)
        except Exception:  # the hold goes on; the hour-old sweep is its backstop
            log.exception("chat hold lease could not be renewed before a hold")

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


async def release_stale_chat_holds(book: HoldBook, *, older_than_ms: int, now: int) -> int:
    """Give back chat holds that no live lease keeps and that are far older than a chat's
    longest life: made before leases existed, or by a process whose lease row is gone.
    (A process's lapsed lease releases its holds much sooner: ``hold_lease.py``.)
    Released in full: the client is never charged for an answer the books cannot show."""
    live = exists().where(
        and_(hold_leases.c.owner == holds.c.owner, hold_leases.c.lease_until >= now)
    )
    async with book.db.read() as conn:
        stale = (
            await conn.execute(
                select(holds.c.id)
                .where(
                    holds.c.status == "held",
                    holds.c.task_id.like(CHAT_HOLD_PREFIX + "%"),
                    holds.c.created_at < now - older_than_ms,
                    or_(holds.c.owner.is_(None), ~live),
                )
                .order_by(holds.c.id)
                .limit(500)
            )
        ).scalars()
        ids = list(stale)
    settled = await asyncio.gather(*(book.settle(hold_id, 0) for hold_id in ids))
    return sum(settled)
