"""The hot path's holds and settlements through the group writers, on real databases.

SQLite files here; PostgreSQL too in the suite's PostgreSQL pass (``open_db``). They must
write what ``ledger.py`` writes, never overspend under concurrency (with other writers on the
same database), and leave no trace of an operation that failed in a batch.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from apiinone.auth.accounts import create_account
from apiinone.auth.keys import KeyLimits, create_key
from apiinone.billing.holds import HoldBook, release_stale_chat_holds
from apiinone.billing.ledger import capture, hold, release
from apiinone.billing.ledger_sql import hold_steps, settle_steps
from apiinone.db.engine import Database
from apiinone.db.migrate import upgrade
from apiinone.db.tables import api_keys, holds, ledger
from apiinone.errors import InsufficientCredits, PermissionDenied
from tests.support.db import open_db, wallet_state


async def sqlite_db(path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    return db


async def account(db: Database, credits: int) -> str:
    acc = await create_account(
        db, email=f"{random.getrandbits(48):x}@example.com", signup_bonus=credits, test_credits=0
    )
    return acc.id


async def ledger_rows(db: Database, account_id: str) -> list[tuple[object, ...]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(
                ledger.c.kind,
                ledger.c.amount,
                ledger.c.held_delta,
                ledger.c.balance_after,
                ledger.c.task_id,
                ledger.c.model,
            )
            .where(ledger.c.account_id == account_id)
            .order_by(ledger.c.id)
        )
        return [tuple(r) for r in rows]


async def test_same_rows_as_the_sqlalchemy_ledger(tmp_path: Path) -> None:
    """One script of holds, captures and releases, run both ways: identical books."""
    script = [("hold", 40), ("capture", 15), ("hold", 25), ("release", 0), ("hold", 30)]
    script += [("capture", 30), ("hold", 5), ("capture", 0), ("hold", 500), ("hold", 0)]
    script += [("release", 0)]

    async def run_sqlalchemy(db: Database, acc: str) -> list[object]:
        results: list[object] = []
        current = ""
        for verb, amount in script:
            try:
                async with db.write() as conn:
                    if verb == "hold":
                        h = await hold(
                            conn, account_id=acc, mode="live", amount=amount, task_id="t", model="m"
                        )
                        current = h.hold_id
                        results.append(h.balance_after)
                    elif verb == "capture" and amount > 0:
                        results.append(await capture(conn, current, amount))
                    else:
                        results.append(await release(conn, current))
            except InsufficientCredits:
                results.append("402")
        return results

    async def run_grouped(book: HoldBook, acc: str) -> list[object]:
        writer = book.writer
        assert writer is not None
        results: list[object] = []
        current = ""
        for verb, amount in script:
            try:
                if verb == "hold":
                    op = partial(
                        hold_steps,
                        account_id=acc,
                        mode="live",
                        amount=amount,
                        task_id="t",
                        model="m",
                    )
                    h = await writer.run_steps(op)
                    current = h.hold_id
                    results.append(h.balance_after)
                else:
                    spend = amount if verb == "capture" else 0
                    results.append(await writer.run_steps(partial(settle_steps, current, spend)))
            except InsufficientCredits:
                results.append("402")
        return results

    db_a = await open_db(tmp_path / "a.db")
    db_b = await open_db(tmp_path / "b.db")
    acc_a, acc_b = await account(db_a, 100), await account(db_b, 100)
    book = HoldBook(db_b)
    try:
        expected = await run_sqlalchemy(db_a, acc_a)
        got = await run_grouped(book, acc_b)
        assert got == expected
        assert "402" in got  # the script does reach a refusal
        assert await ledger_rows(db_b, acc_b) == await ledger_rows(db_a, acc_a)
        assert await wallet_state(db_b, acc_b) == await wallet_state(db_a, acc_a)
    finally:
        await book.close()
        await db_a.dispose()
        await db_b.dispose()


async def test_concurrent_holds_never_overspend_and_share_commits(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "c.db")
    acc = await account(db, 1000)
    book = HoldBook(db)
    assert book.writer is not None

    async def one() -> bool:
        try:
            h = await book.hold(account_id=acc, mode="live", amount=7)
        except InsufficientCredits:
            return False
        await book.settle(h.hold_id, 7)
        return True

    try:
        outcomes = await asyncio.gather(*(one() for _ in range(300)))
        assert sum(outcomes) == 1000 // 7
        assert await wallet_state(db, acc) == (1000 % 7, 0, 1000 % 7, 0)
        # 600 operations went through far fewer transactions.
        assert book.writer.operations == 300 + 1000 // 7
        assert book.writer.batches < book.writer.operations / 4
    finally:
        await book.close()
        await db.dispose()


async def test_group_writer_and_sqlalchemy_writers_share_the_file(tmp_path: Path) -> None:
    """Holds through both paths at once, on one wallet: still no overspend, books balance."""
    db = await open_db(tmp_path / "m.db")
    acc = await account(db, 500)
    book = HoldBook(db)

    async def grouped() -> int:
        try:
            await book.hold(account_id=acc, mode="live", amount=3)
        except InsufficientCredits:
            return 0
        return 3

    async def plain() -> int:
        try:
            async with db.write() as conn:
                await hold(conn, account_id=acc, mode="live", amount=5)
        except InsufficientCredits:
            return 0
        return 5

    try:
        work = [grouped() for _ in range(120)] + [plain() for _ in range(60)]
        random.Random(4).shuffle(work)
        taken = sum(await asyncio.gather(*work))
        balance, held, sum_amount, sum_held = await wallet_state(db, acc)
        assert taken == held == sum_held
        assert balance == 500 - taken == sum_amount
        assert balance < 5  # the wallet was drained as far as the amounts allow
    finally:
        await book.close()
        await db.dispose()


async def test_a_failed_operation_leaves_no_trace_in_its_batch(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "f.db")
    acc = await account(db, 100)
    info, _ = await create_key(db, account_id=acc, limits=KeyLimits(spend_cap=10))
    book = HoldBook(db)
    try:
        results = await asyncio.gather(
            book.hold(account_id=acc, mode="live", amount=6, key_id=info.id),
            book.hold(account_id=acc, mode="live", amount=6, key_id=info.id),  # past the cap
            book.hold(account_id=acc, mode="live", amount=200),  # past the balance
            book.hold(account_id=acc, mode="live", amount=4, key_id=info.id),
            return_exceptions=True,
        )
        assert isinstance(results[1], PermissionDenied)
        assert isinstance(results[2], InsufficientCredits)
        assert [type(r).__name__ for r in (results[0], results[3])] == ["HoldResult"] * 2
        # The capped hold's wallet update was undone with it.
        assert await wallet_state(db, acc) == (90, 10, 90, 10)
        async with db.read() as conn:
            spent = (
                await conn.execute(select(api_keys.c.spent).where(api_keys.c.id == info.id))
            ).scalar_one()
            count = len((await conn.execute(select(holds.c.id))).all())
        assert (spent, count) == (10, 2)
    finally:
        await book.close()
        await db.dispose()


async def test_settling_twice_settles_once(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "s.db")
    acc = await account(db, 50)
    book = HoldBook(db)
    try:
        h = await book.hold(account_id=acc, mode="live", amount=20)
        outcomes = await asyncio.gather(
            book.settle(h.hold_id, 5), book.settle(h.hold_id, 0), book.settle(h.hold_id, 20)
        )
        assert sorted(outcomes) == [False, False, True]
        balance, held, _, _ = await wallet_state(db, acc)
        assert held == 0 and balance in (45, 50, 30)
        with pytest.raises(ValueError, match="outside hold"):
            h2 = await book.hold(account_id=acc, mode="live", amount=3)
            await book.settle(h2.hold_id, 4)
        # The refused capture left the hold open; it can still be released.
        assert await book.settle(h2.hold_id, 0) is True
    finally:
        await book.close()
        await db.dispose()


async def test_a_cancelled_caller_does_not_leave_its_hold_behind(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "x.db")
    acc = await account(db, 30)
    book = HoldBook(db)
    try:
        caller = asyncio.ensure_future(book.hold(account_id=acc, mode="live", amount=30))
        await asyncio.sleep(0)  # queued, not yet written
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        statuses: list[str] = []
        for _ in range(500):
            async with db.read() as conn:
                statuses = [r.status for r in await conn.execute(select(holds.c.status))]
            if statuses == ["released"]:
                break
            await asyncio.sleep(0.01)
        assert await wallet_state(db, acc) == (30, 0, 30, 0)
        assert statuses == ["released"]  # it was written, then given back
    finally:
        await book.close()
        await db.dispose()


async def test_a_locked_database_does_not_stall_the_event_loop(tmp_path: Path) -> None:
    """Free lock: the batch is written on the loop's thread. Taken lock: the writer thread
    waits for it while the loop goes on serving."""
    path = tmp_path / "l.db"
    db = await sqlite_db(path)
    acc = await account(db, 100)
    book = HoldBook(db)
    assert book.writer is not None
    try:
        await book.hold(account_id=acc, mode="live", amount=1)
        assert (book.writer.batches, book.writer.threaded_batches) == (1, 0)

        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        pending = asyncio.ensure_future(book.hold(account_id=acc, mode="live", amount=2))
        ticks = 0
        for _ in range(20):
            await asyncio.sleep(0.01)
            ticks += 1
        assert not pending.done() and ticks == 20  # the loop kept running
        other.execute("COMMIT")
        other.close()
        result = await asyncio.wait_for(pending, 10)
        assert result.balance_after == 97
        assert book.writer.threaded_batches == 1
        assert await wallet_state(db, acc) == (97, 3, 97, 3)
    finally:
        await book.close()
        await db.dispose()


async def test_chat_holds_orphaned_by_a_crash_are_given_back(tmp_path: Path) -> None:
    """A chat hold still open an hour on (its process died mid-request) is released in
    full; a fresh one, and a task's hold however old, are left alone."""
    db = await open_db(tmp_path / "o.db")
    acc = await account(db, 100)
    book = HoldBook(db)
    try:
        await book.hold(account_id=acc, mode="live", amount=30, task_id="chatcmpl-old")
        await book.hold(account_id=acc, mode="live", amount=20, task_id="task_abc")
        assert await wallet_state(db, acc) == (50, 50, 50, 50)
        now = int(time.time() * 1000)
        assert await release_stale_chat_holds(book, older_than_ms=3_600_000, now=now) == 0
        later = now + 3_600_001
        assert await release_stale_chat_holds(book, older_than_ms=3_600_000, now=later) == 1
        assert await wallet_state(db, acc) == (80, 20, 80, 20)
        assert await release_stale_chat_holds(book, older_than_ms=3_600_000, now=later) == 0
    finally:
        await book.close()
        await db.dispose()
