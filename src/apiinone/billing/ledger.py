"""Every change to a wallet, each written with its ledger row in the caller's transaction.

The functions take an open write transaction (``Database.write()``), so a caller can put a
hold and the task it pays for in one commit. Balances change only through conditional
``UPDATE ... WHERE`` statements, so no interleaving of concurrent transactions can take a
balance below zero or settle a hold twice.

Wallet columns: ``balance`` is what can still be spent, ``held`` what is reserved by open
holds. Ledger rows carry ``amount`` (change of balance) and ``held_delta`` (change of
held); ``sum(amount) == balance`` and ``sum(held_delta) == held`` hold for every wallet.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.db.engine import now_ms
from apiinone.db.tables import api_keys, holds, ledger, wallets
from apiinone.errors import InsufficientCredits, InvalidRequest, PermissionDenied

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

MODES = ("live", "test")


@dataclass(frozen=True, slots=True)
class WalletBalance:
    wallet_id: int
    balance: int
    held: int


@dataclass(frozen=True, slots=True)
class HoldResult:
    hold_id: str
    amount: int
    balance_after: int


async def ensure_wallet(conn: AsyncConnection, account_id: str, mode: str) -> int:
    if mode not in MODES:
        raise ValueError(f"unknown wallet mode {mode!r}")
    row = (
        await conn.execute(
            select(wallets.c.id).where(
                and_(wallets.c.account_id == account_id, wallets.c.mode == mode)
            )
        )
    ).first()
    if row is not None:
        return int(row.id)
    result = await conn.execute(
        insert(wallets)
        .values(account_id=account_id, mode=mode, balance=0, held=0)
        .returning(wallets.c.id)
    )
    return int(result.scalar_one())


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
    if amount == 0:
        raise InvalidRequest("amount must not be zero", param="amount")
    wallet_id = await ensure_wallet(conn, account_id, mode)
    stmt = (
        update(wallets)
        .where(wallets.c.id == wallet_id)
        .values(balance=wallets.c.balance + amount)
        .returning(wallets.c.balance)
    )
    if amount < 0:
        stmt = stmt.where(wallets.c.balance >= -amount)
    new_balance = (await conn.execute(stmt)).scalar_one_or_none()
    if new_balance is None:
        raise InsufficientCredits("Insufficient credits: the balance does not cover this deduction")
    await _write_row(
        conn,
        account_id=account_id,
        wallet_id=wallet_id,
        mode=mode,
        kind=kind,
        amount=amount,
        held_delta=0,
        balance_after=int(new_balance),
        reason=reason,
        key_id=key_id,
    )
    return int(new_balance)


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
    if amount < 0:
        raise ValueError("a hold cannot be negative")
    wallet_id = await ensure_wallet(conn, account_id, mode)
    new_balance = (
        await conn.execute(
            update(wallets)
            .where(and_(wallets.c.id == wallet_id, wallets.c.balance >= amount))
            .values(balance=wallets.c.balance - amount, held=wallets.c.held + amount)
            .returning(wallets.c.balance)
        )
    ).scalar_one_or_none()
    if new_balance is None:
        raise InsufficientCredits(
            f"Insufficient credits: this request needs {amount} credits. Top up to continue."
        )
    if key_id is not None and amount > 0:
        within_cap = (
            await conn.execute(
                update(api_keys)
                .where(
                    and_(
                        api_keys.c.id == key_id,
                        (api_keys.c.spend_cap.is_(None))
                        | (api_keys.c.spent + amount <= api_keys.c.spend_cap),
                    )
                )
                .values(spent=api_keys.c.spent + amount)
                .returning(api_keys.c.id)
            )
        ).scalar_one_or_none()
        if within_cap is None:
            # Raising rolls the whole transaction back, the wallet update included.
            raise PermissionDenied("This API key has reached its spend cap")
    hold_id = "hold_" + secrets.token_urlsafe(16)
    await conn.execute(
        insert(holds).values(
            id=hold_id,
            account_id=account_id,
            wallet_id=wallet_id,
            key_id=key_id,
            amount=amount,
            captured=0,
            status="held",
            task_id=task_id,
            model=model,
            created_at=now_ms(),
            owner=owner,
        )
    )
    await _write_row(
        conn,
        account_id=account_id,
        wallet_id=wallet_id,
        mode=mode,
        kind="hold",
        amount=-amount,
        held_delta=amount,
        balance_after=int(new_balance),
        hold_id=hold_id,
        task_id=task_id,
        key_id=key_id,
        model=model,
    )
    return HoldResult(hold_id=hold_id, amount=amount, balance_after=int(new_balance))


async def capture(conn: AsyncConnection, hold_id: str, amount: int | None = None) -> bool:
    """Settle a hold by spending ``amount`` of it (all of it by default).

    What is not spent goes back to the balance. Returns False if the hold was already
    settled: a hold is captured or released exactly once.
    """
    row = await _settle(conn, hold_id, "captured")
    if row is None:
        return False
    spend = row.amount if amount is None else amount
    if not 0 <= spend <= row.amount:
        raise ValueError(f"capture of {spend} outside hold of {row.amount}")
    await conn.execute(update(holds).where(holds.c.id == hold_id).values(captured=spend))
    await _unhold(conn, row, spend=spend)
    return True


async def release(conn: AsyncConnection, hold_id: str) -> bool:
    """Return a hold in full. Returns False if it was already settled."""
    row = await _settle(conn, hold_id, "released")
    if row is None:
        return False
    await _unhold(conn, row, spend=0)
    return True


async def _settle(conn: AsyncConnection, hold_id: str, status: str) -> Row[Any] | None:
    # Compare-and-set on the status: only one settlement can win.
    return (
        await conn.execute(
            update(holds)
            .where(and_(holds.c.id == hold_id, holds.c.status == "held"))
            .values(status=status, settled_at=now_ms())
            .returning(
                holds.c.id,
                holds.c.account_id,
                holds.c.wallet_id,
                holds.c.key_id,
                holds.c.amount,
                holds.c.task_id,
                holds.c.model,
            )
        )
    ).first()


async def _unhold(conn: AsyncConnection, row: Row[Any], *, spend: int) -> None:
    refund = int(row.amount) - spend
    result = (
        await conn.execute(
            update(wallets)
            .where(wallets.c.id == row.wallet_id)
            .values(balance=wallets.c.balance + refund, held=wallets.c.held - int(row.amount))
            .returning(wallets.c.balance, wallets.c.mode)
        )
    ).one()
    if row.key_id is not None and refund > 0:
        await conn.execute(
            update(api_keys)
            .where(api_keys.c.id == row.key_id)
            .values(spent=api_keys.c.spent - refund)
        )
    common = {
        "account_id": row.account_id,
        "wallet_id": row.wallet_id,
        "mode": result.mode,
        "hold_id": row.id,
        "task_id": row.task_id,
        "key_id": row.key_id,
        "model": row.model,
    }
    balance_after = int(result.balance)
    if spend > 0 or refund == 0:
        await _write_row(
            conn,
            kind="capture" if spend > 0 else "release",
            amount=0,
            held_delta=-spend,
            balance_after=balance_after - refund,
            **common,
        )
    if refund > 0:
        await _write_row(
            conn,
            kind="release",
            amount=refund,
            held_delta=-refund,
            balance_after=balance_after,
            **common,
        )


async def _write_row(
    conn: AsyncConnection,
    *,
    account_id: str,
    wallet_id: int,
    mode: str,
    kind: str,
    amount: int,
    held_delta: int,
    balance_after: int,
    hold_id: str | None = None,
    task_id: str | None = None,
    key_id: str | None = None,
    model: str | None = None,
    reason: str | None = None,
) -> None:
    await conn.execute(
        insert(ledger).values(
            account_id=account_id,
            wallet_id=wallet_id,
            mode=mode,
            kind=kind,
            amount=amount,
            held_delta=held_delta,
            balance_after=balance_after,
            hold_id=hold_id,
            task_id=task_id,
            key_id=key_id,
            model=model,
            reason=reason,
            created_at=now_ms(),
        )
    )
