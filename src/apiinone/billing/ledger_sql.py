"""``hold`` and ``settle`` of ``ledger.py`` as plain SQL, for the group writers.

Each operation is a generator of steps (``db/steps.py``), driven on SQLite by
``db/group_writer.py`` and on PostgreSQL by ``db/pg_group_writer.py``: one text of the rules
for both. They keep every rule of ``ledger.py`` (conditional updates, the spend cap,
one ledger row per change) and write the same rows; the tests run both versions through the
same cases.
"""

from __future__ import annotations

import secrets
import time

from apiinone.billing.ledger import HoldResult
from apiinone.db.steps import Steps
from apiinone.errors import InsufficientCredits, PermissionDenied

__all__ = ["hold_steps", "settle_steps"]

_WALLET = "SELECT id FROM wallets WHERE account_id = ? AND mode = ?"
_NEW_WALLET = (
    "INSERT INTO wallets (account_id, mode, balance, held) VALUES (?, ?, 0, 0) RETURNING id"
)
_TAKE = (
    "UPDATE wallets SET balance = balance - ?, held = held + ? "
    "WHERE id = ? AND balance >= ? RETURNING balance"
)
_TAKE_FROM = (
    "UPDATE wallets SET balance = balance - ?, held = held + ? "
    "WHERE account_id = ? AND mode = ? AND balance >= ? RETURNING id, balance"
)
_CAP = (
    "UPDATE api_keys SET spent = spent + ? "
    "WHERE id = ? AND (spend_cap IS NULL OR spent + ? <= spend_cap) RETURNING id"
)
_NEW_HOLD = (
    "INSERT INTO holds (id, account_id, wallet_id, key_id, amount, captured, status, task_id,"
    " model, created_at) VALUES (?, ?, ?, ?, ?, 0, 'held', ?, ?, ?)"
)
_SETTLE = (
    "UPDATE holds SET status = ?, settled_at = ?, captured = COALESCE(?, amount) "
    "WHERE id = ? AND status = 'held' "
    "RETURNING account_id, wallet_id, key_id, amount, task_id, model"
)
_UNHOLD = (
    "UPDATE wallets SET balance = balance + ?, held = held - ? WHERE id = ? RETURNING balance, mode"
)
_UNSPEND = "UPDATE api_keys SET spent = spent - ? WHERE id = ?"
_ROW = (
    "INSERT INTO ledger (account_id, wallet_id, mode, kind, amount, held_delta, balance_after,"
    " hold_id, task_id, key_id, model, reason, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)"
)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _wallet_id(account_id: str, mode: str) -> Steps:
    row = yield _WALLET, (account_id, mode)
    if row is None:
        row = yield _NEW_WALLET, (account_id, mode)
    assert row is not None
    return int(row[0])


def hold_steps(
    *,
    account_id: str,
    mode: str,
    amount: int,
    key_id: str | None = None,
    task_id: str | None = None,
    model: str | None = None,
) -> Steps:
    """As ``ledger.hold``: reserve ``amount`` or raise 402 (403 past the key's spend cap)."""
    if amount < 0:
        raise ValueError("a hold cannot be negative")
    # The wallet found and debited in one statement; looked up (or made) only when that
    # finds nothing: a first hold, or a balance that cannot cover it.
    row = yield _TAKE_FROM, (amount, amount, account_id, mode, amount)
    if row is None:
        wallet_id = yield from _wallet_id(account_id, mode)
        taken = yield _TAKE, (amount, amount, wallet_id, amount)
        if taken is None:
            raise InsufficientCredits(
                f"Insufficient credits: this request needs {amount} credits. Top up to continue."
            )
        balance = int(taken[0])
    else:
        wallet_id, balance = int(row[0]), int(row[1])
    if key_id is not None and amount > 0:
        within_cap = yield _CAP, (amount, key_id, amount)
        if within_cap is None:
            # The writer undoes the wallet update of an operation that raises.
            raise PermissionDenied("This API key has reached its spend cap")
    hold_id = "hold_" + secrets.token_urlsafe(16)
    now = _now_ms()
    yield _NEW_HOLD, (hold_id, account_id, wallet_id, key_id, amount, task_id, model, now)
    where = (hold_id, task_id, key_id, model, now)
    yield _ROW, (account_id, wallet_id, mode, "hold", -amount, amount, balance, *where)
    return HoldResult(hold_id=hold_id, amount=amount, balance_after=balance)


def settle_steps(hold_id: str, spend: int | None) -> Steps:
    """As ``ledger.capture`` (``spend`` > 0, or None: all of the hold) or ``ledger.release``
    (``spend`` == 0). False when the hold was already settled."""
    now = _now_ms()
    status = "captured" if spend is None or spend > 0 else "released"
    row = yield _SETTLE, (status, now, spend, hold_id)
    if row is None:
        return False
    account, wallet_id, key_id, held, task_id, model = row
    held = int(held)
    if spend is None:
        spend = held
    if not 0 <= spend <= held:  # an operation that raises leaves no trace (the writers)
        raise ValueError(f"capture of {spend} outside hold of {held}")
    refund = held - spend
    unheld = yield _UNHOLD, (refund, held, wallet_id)
    assert unheld is not None
    balance, mode = int(unheld[0]), unheld[1]
    if key_id is not None and refund > 0:
        yield _UNSPEND, (refund, key_id)
    where = (hold_id, task_id, key_id, model, now)
    if spend > 0 or refund == 0:
        kind = "capture" if spend > 0 else "release"
        yield _ROW, (account, wallet_id, mode, kind, 0, -spend, balance - refund, *where)
    if refund > 0:
        yield _ROW, (account, wallet_id, mode, "release", refund, -refund, balance, *where)
    return True
