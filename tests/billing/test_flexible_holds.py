"""Flexible holds (a chat without max_tokens): as much as the balance and the key's spend cap
allow, at least the minimum, through the group writer (SQLite file here, PostgreSQL in the
suite's PostgreSQL pass, where the fused statement takes them) and through a plain
connection; concurrent ones never overspend and the ledger adds up."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from apiinone.auth.accounts import create_account
from apiinone.auth.keys import KeyLimits, create_key
from apiinone.billing.holds import HoldBook
from apiinone.db.engine import Database
from apiinone.db.migrate import upgrade
from apiinone.errors import InsufficientCredits, PermissionDenied
from tests.support.db import open_db, wallet_state


async def account(db: Database, credits: int) -> str:
    acc = await create_account(
        db, email=f"{random.getrandbits(48):x}@example.com", signup_bonus=credits, test_credits=0
    )
    return acc.id


async def test_takes_what_the_balance_allows_between_minimum_and_amount(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "f.db")
    book = HoldBook(db)
    try:
        rich, poor, empty = await account(db, 100), await account(db, 7), await account(db, 2)
        full = await book.hold(account_id=rich, mode="live", amount=50, minimum=3)
        assert (full.amount, full.balance_after) == (50, 50)
        part = await book.hold(account_id=poor, mode="live", amount=50, minimum=3)
        assert (part.amount, part.balance_after) == (7, 0)
        with pytest.raises(InsufficientCredits, match="at least 3 credits"):
            await book.hold(account_id=empty, mode="live", amount=50, minimum=3)
        await book.settle(part.hold_id, 2)
        assert await wallet_state(db, poor) == (5, 0, 5, 0)
        assert await wallet_state(db, empty) == (2, 0, 2, 0)
        assert await wallet_state(db, rich) == (50, 50, 50, 50)
    finally:
        await book.close()
        await db.dispose()


async def test_the_key_spend_cap_bounds_it_too(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "k.db")
    book = HoldBook(db)
    try:
        acc = await account(db, 1000)
        info, _ = await create_key(db, account_id=acc, limits=KeyLimits(spend_cap=10))
        first = await book.hold(account_id=acc, mode="live", amount=50, minimum=2, key_id=info.id)
        assert first.amount == 10
        with pytest.raises(PermissionDenied):
            await book.hold(account_id=acc, mode="live", amount=50, minimum=2, key_id=info.id)
        await book.settle(first.hold_id, 4)  # 6 come back to the cap
        again = await book.hold(account_id=acc, mode="live", amount=50, minimum=2, key_id=info.id)
        assert again.amount == 6
        assert await wallet_state(db, acc) == (990, 6, 990, 6)
    finally:
        await book.close()
        await db.dispose()


async def test_concurrent_flexible_holds_never_overspend(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "c.db")
    book = HoldBook(db)
    acc = await account(db, 100)

    async def one() -> int:
        try:
            held = await book.hold(account_id=acc, mode="live", amount=9, minimum=2)
        except InsufficientCredits:
            return 0
        await asyncio.sleep(0)
        await book.settle(held.hold_id, 1)
        return held.amount

    try:
        taken = await asyncio.gather(*(one() for _ in range(200)))
        assert all(amount == 0 or 2 <= amount <= 9 for amount in taken)
        spent = sum(1 for amount in taken if amount)
        assert spent >= 100 // 9
        balance, held, ledger_sum, held_sum = await wallet_state(db, acc)
        assert (balance, held) == (100 - spent, 0) and (ledger_sum, held_sum) == (balance, 0)
    finally:
        await book.close()
        await db.dispose()


async def test_a_plain_connection_takes_flexible_holds_alike() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")  # no group writer: one transaction each
    await upgrade(db)
    acc = await account(db, 7)
    book = HoldBook(db)
    assert book.writer is None
    try:
        held = await book.hold(account_id=acc, mode="live", amount=50, minimum=3)
        assert held.amount == 7
        with pytest.raises(InsufficientCredits):
            await book.hold(account_id=acc, mode="live", amount=50, minimum=3)
        await book.settle(held.hold_id, 7)
        assert await wallet_state(db, acc) == (0, 0, 0, 0)
    finally:
        await book.close()
        await db.dispose()
