"""Chat hold leases on a real database (SQLite here, PostgreSQL in the suite's PostgreSQL pass):
a lapsed lease gives its process's chat holds back once, a live one keeps them, and the
hour-old backstop leaves alone what a live lease keeps."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import select

from apiinone.billing.hold_lease import HoldLease, lapsed_holds, release_lapsed
from apiinone.billing.holds import HoldBook, release_stale_chat_holds
from apiinone.db.engine import Database
from apiinone.db.tables import hold_leases, holds, ledger
from tests.support.db import new_account, open_db, wallet_state


async def lease_rows(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        rows = await conn.execute(select(hold_leases.c.owner, hold_leases.c.lease_until))
        return {str(owner): int(until) for owner, until in rows}


async def hold_rows(db: Database, hold_id: str) -> list[tuple[str, int, int]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(ledger.c.kind, ledger.c.amount, ledger.c.held_delta)
            .where(ledger.c.hold_id == hold_id)
            .order_by(ledger.c.id)
        )
        return [(str(kind), int(amount), int(delta)) for kind, amount, delta in rows]


async def test_a_lapsed_lease_gives_back_its_chat_holds_exactly_once(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "lease.db")
    acc = await new_account(db, credits=100)
    dead, live = HoldBook(db), HoldBook(db)
    try:
        await HoldLease(dead, seconds=1).renew()
        await HoldLease(live, seconds=3600).renew()
        chat = await dead.hold(account_id=acc, mode="live", amount=30, task_id="chatcmpl-a")
        task = await dead.hold(account_id=acc, mode="live", amount=5, task_id="task_a")
        other = await live.hold(account_id=acc, mode="live", amount=20, task_id="chatcmpl-b")
        assert await wallet_state(db, acc) == (45, 55, 45, 55)
        until = (await lease_rows(db))[dead.owner]

        assert await lapsed_holds(live, until) == {}  # its last moment: still its own
        assert await lapsed_holds(dead, until + 1) == {}  # a process never sweeps itself
        lapsed = await lapsed_holds(live, until + 1)
        assert lapsed == {dead.owner: [chat.hold_id]}  # not the task's, not a live owner's
        assert await release_lapsed(live, lapsed, until + 1) == 1
        assert await release_lapsed(live, lapsed, until + 1) == 0  # once only

        assert await wallet_state(db, acc) == (75, 25, 75, 25)
        assert await hold_rows(db, chat.hold_id) == [("hold", -30, 30), ("release", 30, -30)]
        assert set(await lease_rows(db)) == {live.owner}  # the dead owner is forgotten
        assert await lapsed_holds(live, until + 1) == {}
        # Its process, were it alive after all, finds the hold gone and changes nothing.
        assert await dead.settle(chat.hold_id, 10) is False
        assert await wallet_state(db, acc) == (75, 25, 75, 25)
        assert await live.settle(other.hold_id, 4) and await dead.settle(task.hold_id, 5)
        assert await wallet_state(db, acc) == (91, 0, 91, 0)
    finally:
        await dead.close()
        await live.close()
        await db.dispose()


async def test_renewal_moves_the_lease_ahead_and_a_clean_stop_drops_it(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "renew.db")
    acc = await new_account(db, credits=100)
    book = HoldBook(db)
    lease = HoldLease(book, seconds=600)
    try:
        before = int(time.time() * 1000)
        await lease.renew()
        first = (await lease_rows(db))[book.owner]
        assert first >= before + 600_000
        held = await book.hold(account_id=acc, mode="live", amount=10, task_id="chatcmpl-r")
        await lease.renew()
        assert (await lease_rows(db))[book.owner] >= first
        await lease.retire()  # a hold is open: the row stays, to lapse
        assert book.owner in await lease_rows(db)
        assert await book.settle(held.hold_id, 3)
        await lease.retire()
        assert book.owner not in await lease_rows(db)
        assert await wallet_state(db, acc) == (97, 0, 97, 0)
    finally:
        await book.close()
        await db.dispose()


async def test_a_hold_renews_a_late_lease_first(tmp_path: Path) -> None:
    """No hold is written under a lease that may have lapsed: when the background renewal
    is late (not running here), the hold renews the lease itself before it is written."""
    db = await open_db(tmp_path / "late.db")
    acc = await new_account(db, credits=100)
    book = HoldBook(db)
    lease = HoldLease(book, seconds=0.003)
    try:
        await lease.renew()
        first = (await lease_rows(db))[book.owner]
        await asyncio.sleep(0.01)  # past the lease: a sweep could have taken it by now
        await book.hold(account_id=acc, mode="live", amount=10, task_id="chatcmpl-l")
        assert (await lease_rows(db))[book.owner] > first  # no loop runs here: the hold did
    finally:
        await book.close()
        await db.dispose()


async def test_the_hour_old_backstop_leaves_what_a_live_lease_keeps(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "stale.db")
    acc = await new_account(db, credits=100)
    kept, lapsing, unleased = HoldBook(db), HoldBook(db), HoldBook(db)
    try:
        await HoldLease(kept, seconds=7200).renew()
        await HoldLease(lapsing, seconds=1).renew()
        a = await kept.hold(account_id=acc, mode="live", amount=10, task_id="chatcmpl-k")
        b = await lapsing.hold(account_id=acc, mode="live", amount=20, task_id="chatcmpl-l")
        c = await unleased.hold(account_id=acc, mode="live", amount=30, task_id="chatcmpl-u")
        later = int(time.time() * 1000) + 3_600_001
        assert await release_stale_chat_holds(kept, older_than_ms=3_600_000, now=later) == 2
        async with db.read() as conn:
            status = dict(
                (
                    await conn.execute(
                        select(holds.c.id, holds.c.status).where(holds.c.owner.isnot(None))
                    )
                ).all()
            )
        assert (status[a.hold_id], status[b.hold_id], status[c.hold_id]) == (
            "held",
            "released",
            "released",
        )
        assert await wallet_state(db, acc) == (90, 10, 90, 10)
    finally:
        for book in (kept, lapsing, unleased):
            await book.close()
        await db.dispose()
