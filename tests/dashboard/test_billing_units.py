"""The exactly-once rules of top-up and redemption, on a real database, under races."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from apiinone.billing.ledger import get_wallet
from apiinone.billing.redeem import create_batch, normalize_code, redeem_code
from apiinone.billing.topup import (
    EventOutcome,
    create_order,
    credit_order,
    handle_event,
    settle_order,
)
from apiinone.errors import InvalidRequest
from apiinone.settings import CreditPackage
from tests.support.db import new_account, open_db

PACKAGE = CreditPackage(id="starter", name="Starter", credits=1000, price_cents=1000)


async def test_an_order_is_credited_once_however_many_settle_it(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "t.db")
    account = await new_account(db)
    order = await create_order(db, account_id=account, package=PACKAGE, currency="usd")
    results = await asyncio.gather(*(credit_order(db, order.id) for _ in range(8)))
    assert sorted(credited for credited, _ in results) == [False] * 7 + [True]
    async with db.read() as conn:
        assert (await get_wallet(conn, account, "live")).balance == 1000
    await db.dispose()


async def test_a_session_must_match_its_order(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "t.db")
    account = await new_account(db)
    order = await create_order(db, account_id=account, package=PACKAGE, currency="usd")
    session = {
        "id": "cs_1",
        "metadata": {"order_id": order.id},
        "payment_status": "paid",
        "amount_total": 1000,
        "currency": "usd",
    }
    assert await settle_order(db, {**session, "currency": "eur"}) is EventOutcome.IGNORED
    assert await settle_order(db, {**session, "amount_total": 999}) is EventOutcome.IGNORED
    assert await settle_order(db, {**session, "metadata": {"order_id": "ord_x"}}) is (
        EventOutcome.IGNORED
    )
    event = {"type": "checkout.session.completed", "data": {"object": session}}
    assert await handle_event(db, event) is EventOutcome.CREDITED
    assert await handle_event(db, event) is EventOutcome.ALREADY_DONE
    expired = {
        "type": "checkout.session.expired",
        "data": {"object": {**session, "status": "expired"}},
    }
    assert await handle_event(db, expired) is EventOutcome.ALREADY_DONE  # paid stays paid
    async with db.read() as conn:
        assert (await get_wallet(conn, account, "live")).balance == 1000
    await db.dispose()


async def test_a_code_goes_to_one_of_many_racing_accounts(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "t.db")
    accounts = [await new_account(db) for _ in range(6)]
    _, (code,) = await create_batch(db, name="race", credits=70, count=1, created_by="admin")

    async def attempt(account: str) -> bool:
        try:
            await redeem_code(db, account_id=account, code=code)
        except InvalidRequest:
            return False
        return True

    won = await asyncio.gather(*(attempt(a) for a in accounts))
    assert sum(won) == 1
    async with db.read() as conn:
        balances = [(await get_wallet(conn, a, "live")).balance for a in accounts]
    assert sorted(balances) == [0] * 5 + [70]
    await db.dispose()


async def test_expired_codes_are_refused(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "t.db")
    account = await new_account(db)
    _, (code,) = await create_batch(
        db, name="old", credits=5, count=1, created_by="admin", expires_at=1
    )
    with pytest.raises(InvalidRequest, match="expired"):
        await redeem_code(db, account_id=account, code=code)
    await db.dispose()


def test_codes_are_read_forgivingly() -> None:
    assert normalize_code("aio-abcd-efgh-jkmn-pqrs") == "ABCDEFGHJKMNPQRS"
    assert normalize_code(" ABCD EFGH JKMN PQRS ") == "ABCDEFGHJKMNPQRS"
    assert normalize_code("AIO-0OIL-0000-0000-0000") == "0011000000000000"
    for bad in ("", "AIO-ABCD", "AIO-ABCD-EFGH-JKMN-PQRU", "x" * 40):
        with pytest.raises(InvalidRequest):
            normalize_code(bad)
