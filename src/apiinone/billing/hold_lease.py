"""Leases on chat holds: the credits a dead process held for its chats come back soon.

A chat hold is settled inside its request, so an open chat hold belongs to a request still
running in the process that made it, unless that process died mid-request (killed, crashed,
its machine lost). Every hold a process writes carries its owner id (``HoldBook.owner``), and
the process keeps one row in ``hold_leases`` whose ``lease_until`` it moves a lease ahead
every third of a lease: one upsert per process per interval, however many chats it serves,
and nothing on the request's own path (a hold renews the lease first only when the
background renewal is a third of a lease late). A stream longer than the lease keeps its
hold for as long as its process lives.

Every process also sweeps: an owner whose lease lapsed is gone, so its open chat holds are
released in full, by the same settlement a failed chat makes (compare-and-set on the hold,
so a hold is released exactly once however many processes sweep at once), and its row is
deleted once none is left. A process that could not renew for a whole lease (frozen, or
cut off from the database) is taken for dead too: its open holds are released, the chats
it was serving are not charged, and its next renewal writes its row again. A process that
stops cleanly with no open hold deletes its own row.

Holds that no lease speaks for (written before leases existed) fall to
``release_stale_chat_holds``: an hour after they were made (looked for every ten minutes:
that look reads the holds table through, so it is rare). Lease times are each host's
clock; hosts must agree to well within a lease (NTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Sequence
from functools import partial

from sqlalchemy import select

from apiinone.billing.holds import CHAT_HOLD_PREFIX, HoldBook, release_stale_chat_holds
from apiinone.db.engine import now_ms
from apiinone.db.steps import StepsOf
from apiinone.db.tables import hold_leases, holds

__all__ = ["HoldLease", "LapsedHolds", "lapsed_holds", "release_lapsed"]

log = logging.getLogger("apiinone.holds")

SWEEP_LIMIT = 500  # holds released per owner and pass
STALE_EVERY = 600.0  # seconds between two looks for holds no lease speaks for
STALE_CHAT_HOLD_MS = 3600 * 1000  # far past a chat request's longest life (600 s upstream)

_RENEW = (
    "INSERT INTO hold_leases (owner, label, lease_until) VALUES (?, ?, ?) "
    "ON CONFLICT (owner) DO UPDATE SET lease_until = excluded.lease_until"
)
_FORGET = "DELETE FROM hold_leases WHERE owner = ? AND lease_until < ?"
_RETIRE = "DELETE FROM hold_leases WHERE owner = ?"

LapsedHolds = dict[str, list[str]]  # owner -> its open chat holds


def _renew_steps(owner: str, label: str, until: int) -> StepsOf[None]:
    yield _RENEW, (owner, label, until)


def _forget_steps(owner: str, before: int) -> StepsOf[None]:
    yield _FORGET, (owner, before)


def _retire_steps(owner: str) -> StepsOf[None]:
    yield _RETIRE, (owner,)


async def lapsed_holds(book: HoldBook, now: int) -> LapsedHolds:
    """The open chat holds of every other owner whose lease lapsed before ``now`` (at most
    ``SWEEP_LIMIT`` each; an owner with none left maps to an empty list). Never the book's
    own: this process is alive, whatever its row says."""
    async with book.db.read() as conn:
        owners = list(
            (
                await conn.execute(
                    select(hold_leases.c.owner).where(
                        hold_leases.c.lease_until < now, hold_leases.c.owner != book.owner
                    )
                )
            ).scalars()
        )
        found: LapsedHolds = {}
        for owner in owners:
            ids = (
                await conn.execute(
                    select(holds.c.id)
                    .where(
                        holds.c.owner == owner,
                        holds.c.status == "held",
                        holds.c.task_id.like(CHAT_HOLD_PREFIX + "%"),
                    )
                    .order_by(holds.c.id)
                    .limit(SWEEP_LIMIT)
                )
            ).scalars()
            found[owner] = list(ids)
    return found


async def release_lapsed(book: HoldBook, lapsed: LapsedHolds, now: int) -> int:
    """Release every hold in ``lapsed`` in full; forget an owner once all of its holds are
    settled (still lapsed: an owner that renewed in between keeps its row). How many holds
    this call released (another process may have released the others)."""
    released = 0
    for owner, ids in lapsed.items():
        settled: Sequence[bool] = await asyncio.gather(
            *(book.settle(hold_id, 0) for hold_id in ids)
        )
        released += sum(settled)
        if len(ids) < SWEEP_LIMIT:
            await book.db.run_steps(partial(_forget_steps, owner, now))
        if any(settled):
            log.warning(
                "released %d chat holds of process %s: its lease lapsed", sum(settled), owner
            )
    return released


class HoldLease:
    """This process's lease on its chat holds, and its share of the sweep."""

    def __init__(self, book: HoldBook, *, seconds: float) -> None:
        self.book = book
        self.seconds = seconds
        self.label = f"{socket.gethostname()}:{os.getpid()}"[:120]
        self.taken = False  # renewed at least once
        book.renew_lease = self.renew

    @property
    def owner(self) -> str:
        return self.book.owner

    async def renew(self) -> None:
        """Move this process's lease a whole lease ahead of now."""
        lease_ms = int(self.seconds * 1000)
        until = now_ms() + lease_ms
        await self.book.db.run_steps(partial(_renew_steps, self.owner, self.label, until))
        self.taken = True
        # Renewed every third of a lease: a third late, a hold renews it first.
        self.book.lease_due = max(self.book.lease_due, until - lease_ms // 3)

    async def sweep(self) -> int:
        """Release the open chat holds of every process whose lease lapsed."""
        now = now_ms()
        return await release_lapsed(self.book, await lapsed_holds(self.book, now), now)

    async def retire(self) -> None:
        """At a clean stop: drop this process's row when none of its holds is open (else
        the row lapses and a live process releases what is left)."""
        if self.taken and not self.book.open:
            await self.book.db.run_steps(partial(_retire_steps, self.owner))

    async def run(self, stop: asyncio.Event) -> None:
        """Renew, and sweep, every third of a lease until ``stop`` (the caller renewed once
        before the process took its first request). Two loops, so a slow sweep never holds
        a renewal back."""
        await asyncio.gather(self._renewing(stop), self._sweeping(stop))

    async def _pause(self, stop: asyncio.Event) -> bool:
        """Wait a third of a lease; False once ``stop`` is set."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), self.seconds / 3)
        return not stop.is_set()

    async def _renewing(self, stop: asyncio.Event) -> None:
        while await self._pause(stop):
            try:
                await self.renew()
            except Exception:
                log.exception("chat hold lease renewal failed; trying again")

    async def _sweeping(self, stop: asyncio.Event) -> None:
        """Sweep at once (a restarted process gives back what its former self held as soon
        as that lease lapses), then every pause; every ten minutes, release the chat holds no
        lease speaks for."""
        loop = asyncio.get_running_loop()
        last_stale = float("-inf")
        while True:
            try:
                await self.sweep()
                if loop.time() - last_stale >= STALE_EVERY:
                    last_stale = loop.time()
                    await release_stale_chat_holds(
                        self.book, older_than_ms=STALE_CHAT_HOLD_MS, now=now_ms()
                    )
            except Exception:
                log.exception("chat hold sweep failed; trying again")
            if not await self._pause(stop):
                return
