"""Every change to a wallet, each written with its ledger row in the caller's transaction.

The functions take an open write transaction (``Database.write()``), so a caller can put a
hold and what it pays for in one commit. They run the steps of ``ledger_sql.py``, the one
text of the rules, which the group writers run too: conditional ``UPDATE ... WHERE``
statements, so no interleaving of concurrent transactions can take a balance below zero or
settle a hold twice, and one ledger row per change. An operation that raises leaves its
transaction to be rolled back (what it wrote before raising is undone with it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.billing.ledger_sql import (
    HoldResult,
    adjust_steps,
    hold_steps,
    settle_steps,
    wallet_steps,
)
from apiinone.db.steps import run_connection
from apiinone.db.tables import wallets

__all__ = [
    "HoldResult",
    "WalletBalance",
    "adjust",
    "capture",
    "ensure_wallet",
    "get_wallet",
    "hold",
    "release",
]


@dataclass(frozen=True, slots=True)
class WalletBalance:
    wallet_id: int
    balance: int
    held: int


async def ensure_wallet(conn: AsyncConnection, account_id: str, mode: str) -> int:
    return await run_connection(conn, wallet_steps(account_id, mode))


async def get_wallet(conn: AsyncConnection, account_id: str, mode: str) -> WalletBalance:
    row = (
        await conn.execute(
            select(wallets.c.id, wallets.c.balance, wallets.c.held).where(
                and_(wallets.c.account_id == account_id, wallets.c.mode == mode)
            )
        )
    ).first()
    if row is None:
        return WalletBalance(wallet_id=0, balance=0, held=0)
    return WalletBalance(wallet_id=int(row.id), balance=int(row.balance), held=int(row.held))


async def adjust(
    conn: AsyncConnection,
    *,
    account_id: str,
    mode: str,
    amount: int,
    kind: str,
    reason: str | None = None,
    key_id: str | None = None,
) -> int:
    """Grant (amount > 0) or deduct (amount < 0) credits; returns the new balance.

    A deduction larger than the balance is refused with 402: balances never go negative.
    """
    steps = adjust_steps(
        account_id=account_id, mode=mode, amount=amount, kind=kind, reason=reason, key_id=key_id
    )
    return await run_connection(conn, steps)


async def hold(
    conn: AsyncConnection,
    *,
    account_id: str,
    mode: str,
    amount: int,
    key_id: str | None = None,
    task_id: str | None = None,
    model: str | None = None,
    owner: str | None = None,
) -> HoldResult:
    """Reserve ``amount`` credits, or raise 402 if the balance cannot cover it.

    With a key that has a spend cap, the hold also counts against the cap (403 when the
    cap would be passed). ``owner``: the process whose lease keeps the hold (chat holds).
    """
    steps = hold_steps(
        account_id=account_id,
        mode=mode,
        amount=amount,
        key_id=key_id,
        task_id=task_id,
        model=model,
        owner=owner,
    )
    return await run_connection(conn, steps)


async def capture(conn: AsyncConnection, hold_id: str, amount: int | None = None) -> bool:
    """Settle a hold by spending ``amount`` of it (all of it by default).

    What is not spent goes back to the balance. Returns False if the hold was already
    settled: a hold is captured or released exactly once.
    """
    return await run_connection(conn, settle_steps(hold_id, amount))


async def release(conn: AsyncConnection, hold_id: str) -> bool:
    """Return a hold in full. Returns False if it was already settled."""
    return await run_connection(conn, settle_steps(hold_id, 0))
