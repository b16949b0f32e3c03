"""Holds, captures, releases and grants on a real SQLite database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from apiinone.auth.keys import KeyLimits, create_key
from apiinone.billing.ledger import adjust, capture, hold, release
from apiinone.db.tables import ledger
from apiinone.errors import InsufficientCredits, PermissionDenied
from tests.support.db import new_account, open_db, wallet_state


async def test_hold_then_capture_spends_exactly_the_hold(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "l.db")
    acc = await new_account(db, credits=100)
    async with db.write() as conn:
        h = await hold(conn, account_id=acc, mode="live", amount=30, model="flux-2")
    assert await wallet_state(db, acc) == (70, 30, 70, 30)
    async with db.write() as conn:
        assert await capture(conn, h.hold_id) is True
        assert await capture(conn, h.hold_id) is False
        assert await release(conn, h.hold_id) is False
    assert await wallet_state(db, acc) == (70, 0, 70, 0)
    await db.dispose()


async def test_partial_capture_returns_the_rest(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "l.db")
    acc = await new_account(db, credits=50)
    async with db.write() as conn:
        h = await hold(conn, account_id=acc, mode="live", amount=40)
        await capture(conn, h.hold_id, 7)
    assert await wallet_state(db, acc) == (43, 0, 43, 0)
    async with db.read() as conn:
        kinds = [r.kind for r in await conn.execute(select(ledger.c.kind).order_by(ledger.c.id))]
    assert kinds == ["bonus", "hold", "capture", "release"]
    await db.dispose()


async def test_release_returns_everything_once(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "l.db")
    acc = await new_account(db, credits=10)
    async with db.write() as conn:
        h = await hold(conn, account_id=acc, mode="live", amount=10)
    assert await wallet_state(db, acc) == (0, 10, 0, 10)
    async with db.write() as conn:
        assert await release(conn, h.hold_id) is True
        assert await release(conn, h.hold_id) is False
        assert await capture(conn, h.hold_id) is False
    assert await wallet_state(db, acc) == (10, 0, 10, 0)
    await db.dispose()


async def test_hold_beyond_balance_is_402_and_changes_nothing(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "l.db")
    acc = await new_account(db, credits=5)
    with pytest.raises(InsufficientCredits):
        async with db.write() as conn:
            await hold(conn, account_id=acc, mode="live", amount=6)
    with pytest.raises(InsufficientCredits):
        async with db.write() as conn:
            await adjust(conn, account_id=acc, mode="live", amount=-6, kind="deduct")
    assert await wallet_state(db, acc) == (5, 0, 5, 0)
    await db.dispose()


async def test_test_wallet_is_separate_from_live(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "l.db")
    acc = await new_account(db, credits=5)
    async with db.write() as conn:
        await adjust(conn, account_id=acc, mode="test", amount=1000, kind="grant")
        await hold(conn, account_id=acc, mode="test", amount=999)
    assert await wallet_state(db, acc, "live") == (5, 0, 5, 0)
    assert await wallet_state(db, acc, "test") == (1, 999, 1, 999)
    await db.dispose()


async def test_spend_cap_counts_holds_and_gives_back_releases(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "l.db")
    acc = await new_account(db, credits=1000)
    info, _ = await create_key(db, account_id=acc, limits=KeyLimits(spend_cap=10))
    async with db.write() as conn:
        first = await hold(conn, account_id=acc, mode="live", amount=8, key_id=info.id)
    with pytest.raises(PermissionDenied):
        async with db.write() as conn:
            await hold(conn, account_id=acc, mode="live", amount=3, key_id=info.id)
    # The refused hold rolled back entirely: the wallet is untouched by it.
    assert await wallet_state(db, acc) == (992, 8, 992, 8)
    async with db.write() as conn:
        await capture(conn, first.hold_id, 5)  # 3 come back to the cap
        await hold(conn, account_id=acc, mode="live", amount=5, key_id=info.id)
    assert await wallet_state(db, acc) == (990, 5, 990, 5)
    await db.dispose()


async def test_200_concurrent_holds_against_57(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "l.db")
    acc = await new_account(db, credits=57)

    async def one() -> bool:
        try:
            async with db.write() as conn:
                await hold(conn, account_id=acc, mode="live", amount=1)
        except InsufficientCredits:
            return False
        return True

    results = await asyncio.gather(*(one() for _ in range(200)))
    assert sum(results) == 57
    balance, held, total, held_total = await wallet_state(db, acc)
    assert (balance, held) == (0, 57)
    assert total == balance and held_total == held
    await db.dispose()
