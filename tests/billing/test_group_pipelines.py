"""Holds and settlements of many accounts at once, through the group writer, against the
books ``ledger.py`` writes one transaction at a time.

On PostgreSQL (the suite's PostgreSQL pass) a hold and a settlement begin with one fused
statement, and the batch sends the fused statements of its operations as one pipelined
round trip; the fallbacks (a wallet that cannot cover a hold, a key past its spend cap, a
capture outside its hold, a second settlement) run step by step after them. On SQLite the
same operations run their portable steps. Both must write exactly the rows ``ledger.py``
writes.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from apiinone.auth.accounts import create_account
from apiinone.auth.keys import KeyLimits, create_key
from apiinone.billing.holds import HoldBook
from apiinone.billing.ledger import capture, hold, release
from apiinone.billing.ledger_sql import settle_steps
from apiinone.db.engine import Database
from apiinone.db.pg_group_writer import PgGroupWriter
from apiinone.db.tables import api_keys, holds, ledger
from apiinone.errors import InsufficientCredits, PermissionDenied
from tests.support.db import open_db, wallet_state

# (verb, amount): holds go through the account's key (spend cap 70); "capture" of None
# takes the whole hold; "again" settles the last hold a second time; "over" captures more
# than the last hold.
SCRIPT: list[tuple[str, int | None]] = [
    ("hold", 40),
    ("capture", 15),  # a partial capture: a capture row and a release row
    ("again", 0),
    ("hold", 25),
    ("release", 0),
    ("hold", 0),
    ("capture", 0),
    ("hold", 30),
    ("over", 31),
    ("capture", None),
    ("hold", 30),  # past the key's spend cap (15 + 30 spent, 30 more)
    ("hold", 500),  # past the balance
    ("hold", 9),
    ("capture", 9),
    ("hold", 11),
    ("release", 0),
]
ACCOUNTS = 12


async def _account(db: Database) -> tuple[str, str]:
    acc = await create_account(
        db, email=f"{random.getrandbits(48):x}@example.com", signup_bonus=100, test_credits=0
    )
    key, _ = await create_key(db, account_id=acc.id, limits=KeyLimits(spend_cap=70))
    return acc.id, key.id


# One verb of the script: (what it returned, the hold it made or None).
Verb = Callable[[str, int | None, str], Awaitable[tuple[object, str | None]]]


async def _run(verb_of: Verb) -> list[object]:
    results: list[object] = []
    current = ""
    for verb, amount in SCRIPT:
        try:
            result, made = await verb_of(verb, amount, current)
            results.append(result)
            current = made or current
        except InsufficientCredits:
            results.append("402")
        except PermissionDenied:
            results.append("403")
        except ValueError:
            results.append("outside")
    return results


def _by_ledger_py(db: Database, acc: str, key: str) -> Verb:
    async def verb_of(verb: str, amount: int | None, current: str) -> tuple[object, str | None]:
        async with db.write() as conn:
            if verb == "hold":
                assert amount is not None
                h = await hold(
                    conn, account_id=acc, mode="live", amount=amount, key_id=key, model="m"
                )
                return h.balance_after, h.hold_id
            if verb in ("capture", "over") and amount != 0:
                return await capture(conn, current, amount), None
            return await release(conn, current), None

    return verb_of


def _by_group_writer(book: HoldBook, acc: str, key: str) -> Verb:
    async def verb_of(verb: str, amount: int | None, current: str) -> tuple[object, str | None]:
        if verb == "hold":
            assert amount is not None
            h = await book.hold(account_id=acc, mode="live", amount=amount, key_id=key, model="m")
            return h.balance_after, h.hold_id
        if amount is None:  # all of the hold: only the steps take None
            assert book.writer is not None
            return await book.writer.run_steps(partial(settle_steps, current, None)), None
        return await book.settle(current, amount if verb in ("capture", "over") else 0), None

    return verb_of


async def _books(db: Database, acc: str, key: str) -> tuple[object, ...]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(
                ledger.c.kind,
                ledger.c.amount,
                ledger.c.held_delta,
                ledger.c.balance_after,
                ledger.c.key_id.is_(None),
                ledger.c.model,
            )
            .where(ledger.c.account_id == acc)
            .order_by(ledger.c.id)
        )
        spent = (await conn.execute(select(api_keys.c.spent).where(api_keys.c.id == key))).scalar()
        settled = await conn.execute(
            select(holds.c.status, holds.c.amount, holds.c.captured)
            .where(holds.c.account_id == acc)
            .order_by(holds.c.created_at, holds.c.amount)
        )
        return (
            [tuple(r) for r in rows],
            spent,
            sorted(tuple(r) for r in settled),
            await wallet_state(db, acc),
        )


async def test_many_accounts_at_once_write_the_books_ledger_py_writes(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "p.db")
    reference = await _account(db)
    expected = await _run(_by_ledger_py(db, *reference))
    assert {"402", "403", "outside", False} <= set(expected)  # every fallback is reached
    accounts = [await _account(db) for _ in range(ACCOUNTS)]
    book = HoldBook(db)
    try:
        got = await asyncio.gather(*(_run(_by_group_writer(book, *a)) for a in accounts))
        want_books = await _books(db, *reference)
        for (acc, key), results in zip(accounts, got, strict=True):
            assert results == expected
            assert await _books(db, acc, key) == want_books
        if isinstance(book.writer, PgGroupWriter):
            # The accounts' scripts ran in step, so most batches held one operation of each:
            # their first statements went as pipelines.
            assert book.writer.pipelined >= ACCOUNTS * len(SCRIPT) // 2
            assert book.writer.batches < ACCOUNTS * len(SCRIPT) // 2
    finally:
        await book.close()
        await db.dispose()


@pytest.mark.parametrize("amount", [1, 7])
async def test_concurrent_holds_on_one_wallet_never_overspend(tmp_path: Path, amount: int) -> None:
    """Pipelined holds on one wallet: each sees the balance the one before it left."""
    db = await open_db(tmp_path / f"o{amount}.db")
    acc, _ = await _account(db)
    book = HoldBook(db)

    async def one() -> int | None:
        try:
            h = await book.hold(account_id=acc, mode="live", amount=amount)
        except InsufficientCredits:
            return None
        return h.balance_after

    try:
        afters = await asyncio.gather(*(one() for _ in range(150)))
        balance, held, sum_amount, sum_held = await wallet_state(db, acc)
        assert held == sum_held == amount * (100 // amount)
        assert balance == sum_amount == 100 - held
        # Every hold that was written saw a different balance: none was lost or doubled.
        written = [100 - amount * i for i in range(1, 100 // amount + 1)]
        assert sorted((a for a in afters if a is not None), reverse=True) == written
    finally:
        await book.close()
        await db.dispose()
