"""The one text of a wallet's changes: hold, settle (capture or release) and grant.

Each operation is a generator of steps (``db/steps.py``). The group writers drive them
(``db/group_writer.py`` on SQLite, ``db/pg_group_writer.py`` on PostgreSQL), and ``ledger.py``
runs the same steps in a caller's open transaction (``run_connection``): chat holds, task
holds, finishing tasks, hold leases and grants all write through this file. Balances change
only through conditional ``UPDATE ... WHERE`` statements, the key's spend cap is counted in the
hold, and every change of a balance writes its ledger row.

On PostgreSQL, where each statement is a network round trip, a hold and a settlement each
begin with one statement that does all of their common case (``_PG_HOLD``, ``_PG_FLEX_HOLD``,
``_PG_SETTLE``: data-modifying CTEs, built from the same column lists as the portable
steps); only when it finds nothing to do do they go on with the portable steps, which then
decide (a first hold, a refusal, a repeat). A property test runs random sequences of holds,
captures, releases and grants through the fused and the portable steps and compares the
books they write (``tests/billing/test_fused_steps.py``).

A hold may be flexible (``minimum`` given, as for a chat without ``max_tokens``): it takes as
much of ``amount`` as the balance and the key's spend cap allow, and at least ``minimum``
(402 below it, or 403 when the key's cap is what stops it). On PostgreSQL the statement that
takes it (``_PG_FLEX_HOLD``) finds that amount itself; the portable steps read the balance
and the cap's room first (one statement) and take it with the same conditional update. On
SQLite they first try the most, in the statements of a fixed hold, since a balance that pays
for it is the common case.

Wallet columns: ``balance`` is what can still be spent, ``held`` what is reserved by open
holds. Ledger rows carry ``amount`` (change of balance) and ``held_delta`` (change of held);
``sum(amount) == balance`` and ``sum(held_delta) == held`` hold for every wallet.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from apiinone.db.steps import SKIPPED, PgStep, StepsOf
from apiinone.errors import InsufficientCredits, InvalidRequest, PermissionDenied

__all__ = ["MODES", "HoldResult", "adjust_steps", "hold_steps", "settle_steps", "wallet_steps"]

MODES = ("live", "test")

_HOLD_COLUMNS = (
    "id, account_id, wallet_id, key_id, amount, captured, status, task_id, model, created_at, owner"
)
_LEDGER_COLUMNS = (
    "account_id, wallet_id, mode, kind, amount, held_delta, balance_after, hold_id, task_id,"
    " key_id, model, reason, created_at"
)
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
_GIVE_BACK = "UPDATE wallets SET balance = balance + ?, held = held - ? WHERE id = ?"
_ROOM = (
    "SELECT w.id, w.balance, (SELECT k.spend_cap - k.spent FROM api_keys k"
    " WHERE k.id = ? AND k.spend_cap IS NOT NULL) FROM wallets w"
    " WHERE w.account_id = ? AND w.mode = ?"
)
_NEW_HOLD = f"INSERT INTO holds ({_HOLD_COLUMNS}) VALUES (?, ?, ?, ?, ?, 0, 'held', ?, ?, ?, ?)"  # noqa: S608
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
    f"INSERT INTO ledger ({_LEDGER_COLUMNS})"  # noqa: S608
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_ADJUST = "UPDATE wallets SET balance = balance + ? WHERE id = ? AND balance >= ? RETURNING balance"

# PostgreSQL's holds in one statement each. Parameters: $1 amount (a flexible hold: the most
# to take), $2 account, $3 mode, $4 key (or NULL), $5 hold id, $6 task, $7 model, $8 now,
# $9 owner (or NULL), and for a flexible hold $10 the least. The CTE ``w`` debits the wallet
# and gives its id, balance after and the amount taken; the rest is one text for both: the
# key's spend, the hold's row and its ledger row. One row back: the wallet and its balance
# after (both NULL when the wallet is missing or cannot cover the hold: nothing was written),
# whether the hold was written (false: past the key's spend cap; the caller raises and the
# writer undoes the wallet's update), and the amount.
_PG_HOLD_REST = f"""
k AS (
    UPDATE api_keys SET spent = spent + w.amount FROM w
    WHERE api_keys.id = $4::text AND w.amount > 0
      AND (spend_cap IS NULL OR spent + w.amount <= spend_cap)
    RETURNING api_keys.id
), h AS (
    INSERT INTO holds ({_HOLD_COLUMNS})
    SELECT $5, $2, w.id, $4::text, w.amount, 0, 'held', $6::text, $7::text, $8::bigint,
           $9::text
    FROM w WHERE $4::text IS NULL OR w.amount = 0 OR EXISTS (SELECT 1 FROM k)
    RETURNING wallet_id
), l AS (
    INSERT INTO ledger ({_LEDGER_COLUMNS})
    SELECT $2, h.wallet_id, $3, 'hold', -w.amount, w.amount, w.balance, $5, $6::text,
           $4::text, $7::text, NULL, $8::bigint
    FROM h, w
)
SELECT w.id, w.balance, EXISTS (SELECT 1 FROM h), w.amount
FROM (SELECT 1) AS one LEFT JOIN w ON true
"""  # noqa: S608
_PG_HOLD = f"""
WITH w AS (
    UPDATE wallets SET balance = balance - $1::bigint, held = held + $1::bigint
    WHERE account_id = $2 AND mode = $3 AND balance >= $1::bigint
    RETURNING id, balance, $1::bigint AS amount
),{_PG_HOLD_REST}"""  # noqa: S608
# The flexible hold's amount is the least of $1, the balance and the key's room under its
# spend cap, read in the statement's snapshot; the wallet's update checks it again against
# the row it writes, so a balance another replica just lowered is never overdrawn (nothing
# is written then, and the portable steps decide afresh).
_PG_FLEX_HOLD = f"""
WITH a AS (
    SELECT wallets.id, LEAST($1::bigint, wallets.balance, COALESCE(
        (SELECT spend_cap - spent FROM api_keys WHERE id = $4::text AND spend_cap IS NOT NULL),
        $1::bigint)) AS amount
    FROM wallets WHERE account_id = $2 AND mode = $3
), w AS (
    UPDATE wallets SET balance = wallets.balance - a.amount, held = wallets.held + a.amount
    FROM a WHERE wallets.id = a.id AND a.amount >= $10::bigint AND wallets.balance >= a.amount
    RETURNING wallets.id, wallets.balance, a.amount
),{_PG_HOLD_REST}"""  # noqa: S608
# PostgreSQL's settlement in one statement: $1 status, $2 now, $3 spend (NULL: all of the
# hold), $4 hold id. One row: whether it settled (false when the hold is not open or the
# spend is outside it: nothing was written, and the portable steps tell which). The ledger
# rows go in one INSERT, in the order the portable steps write them.
_PG_SETTLE = f"""
WITH s AS (
    UPDATE holds SET status = $1, settled_at = $2::bigint, captured = COALESCE($3::bigint, amount)
    WHERE id = $4 AND status = 'held' AND COALESCE($3::bigint, amount) BETWEEN 0 AND amount
    RETURNING account_id, wallet_id, key_id, amount, COALESCE($3::bigint, amount) AS spend,
              task_id, model
), u AS (
    UPDATE wallets SET balance = balance + (s.amount - s.spend), held = held - s.amount
    FROM s WHERE wallets.id = s.wallet_id
    RETURNING wallets.balance, wallets.mode
), k AS (
    UPDATE api_keys SET spent = spent - (s.amount - s.spend)
    FROM s WHERE api_keys.id = s.key_id AND s.amount > s.spend
), r AS (
    INSERT INTO ledger ({_LEDGER_COLUMNS})
    SELECT s.account_id, s.wallet_id, u.mode, v.kind, v.amount, v.held_delta, v.balance_after,
           $4, s.task_id, s.key_id, s.model, NULL, $2::bigint
    FROM s, u, LATERAL (VALUES
        (1, CASE WHEN s.spend > 0 THEN 'capture' ELSE 'release' END, 0::bigint, -s.spend,
         u.balance - (s.amount - s.spend), s.spend > 0 OR s.amount = s.spend),
        (2, 'release', s.amount - s.spend, s.spend - s.amount, u.balance, s.amount > s.spend)
    ) AS v (n, kind, amount, held_delta, balance_after, wanted)
    WHERE v.wanted
    ORDER BY v.n
)
SELECT EXISTS (SELECT 1 FROM s)
"""  # noqa: S608

# What a ledger row names besides its amounts: hold, task, key, model, reason, time.
_Where = tuple[str | None, str | None, str | None, str | None, str | None, int]


@dataclass(frozen=True, slots=True)
class HoldResult:
    hold_id: str
    amount: int
    balance_after: int


def _now_ms() -> int:
    return int(time.time() * 1000)


def wallet_steps(account_id: str, mode: str) -> StepsOf[int]:
    """The wallet's id, made (empty) when the account has none in ``mode``."""
    if mode not in MODES:
        raise ValueError(f"unknown wallet mode {mode!r}")
    row = yield _WALLET, (account_id, mode)
    if row is None:
        row = yield _NEW_WALLET, (account_id, mode)
    assert row is not None
    return int(row[0])


def adjust_steps(
    *,
    account_id: str,
    mode: str,
    amount: int,
    kind: str,
    reason: str | None = None,
    key_id: str | None = None,
) -> StepsOf[int]:
    """Grant (``amount`` > 0) or deduct (``amount`` < 0) credits; the new balance. A
    deduction larger than the balance is refused with 402: balances never go negative."""
    if amount == 0:
        raise InvalidRequest("amount must not be zero", param="amount")
    wallet_id = yield from wallet_steps(account_id, mode)
    row = yield _ADJUST, (amount, wallet_id, max(0, -amount))
    if row is None:
        raise InsufficientCredits("Insufficient credits: the balance does not cover this deduction")
    balance = int(row[0])
    where: _Where = (None, None, key_id, None, reason, _now_ms())
    yield _ROW, (account_id, wallet_id, mode, kind, amount, 0, balance, *where)
    return balance


def _short(amount: int, at_least: bool = False) -> InsufficientCredits:
    need = f"at least {amount}" if at_least else str(amount)
    return InsufficientCredits(
        f"Insufficient credits: this request needs {need} credits. Top up to continue."
    )


def _past_cap() -> PermissionDenied:
    return PermissionDenied("This API key has reached its spend cap")


def hold_steps(
    *,
    account_id: str,
    mode: str,
    amount: int,
    key_id: str | None = None,
    task_id: str | None = None,
    model: str | None = None,
    owner: str | None = None,
    minimum: int | None = None,
) -> StepsOf[HoldResult]:
    """Reserve ``amount`` or raise 402 (403 past the key's spend cap); with ``minimum``, as
    much of ``amount`` as can be paid, and at least ``minimum``. ``owner``: the process whose
    lease keeps the hold (chat holds, ``billing/hold_lease.py``)."""
    if amount < 0:
        raise ValueError("a hold cannot be negative")
    if minimum is not None and not 0 <= minimum <= amount:
        raise ValueError("a flexible hold needs 0 <= minimum <= amount")
    hold_id = "hold_" + secrets.token_urlsafe(16)
    now = _now_ms()
    params = (amount, account_id, mode, key_id, hold_id, task_id, model, now, owner)
    if minimum is None:
        fused = yield PgStep(_PG_HOLD, params)
    else:
        fused = yield PgStep(_PG_FLEX_HOLD, (*params, minimum))
    if fused is not SKIPPED and fused[0] is not None:
        if not fused[2]:
            raise _past_cap()
        return HoldResult(hold_id=hold_id, amount=int(fused[3]), balance_after=int(fused[1]))
    hold = _Hold(account_id, mode, key_id, (hold_id, task_id, key_id, model, None, now), owner)
    if minimum is None:
        return (yield from _fixed(hold, amount, first=fused is SKIPPED))
    return (yield from _flexible(hold, amount, minimum, first=fused is SKIPPED))


@dataclass(frozen=True, slots=True)
class _Hold:
    """What a hold's portable steps write besides its amount."""

    account_id: str
    mode: str
    key_id: str | None
    where: _Where
    owner: str | None


def _fixed(hold: _Hold, amount: int, *, first: bool) -> StepsOf[HoldResult]:
    """A fixed hold's portable steps. The wallet is found and debited in one statement
    (``first``: SQLite, where no fused statement ran); looked up (or made) only when that
    finds nothing: a first hold, or a balance that cannot cover it."""
    row = None
    if first:
        row = yield _TAKE_FROM, (amount, amount, hold.account_id, hold.mode, amount)
    if row is None:
        wallet_id = yield from wallet_steps(hold.account_id, hold.mode)
        taken = yield _TAKE, (amount, amount, wallet_id, amount)
        if taken is None:
            raise _short(amount)
        balance = int(taken[0])
    else:
        wallet_id, balance = int(row[0]), int(row[1])
    yield from _count_spend(hold, amount)
    return (yield from _write_hold(hold, wallet_id, amount, balance))


def _flexible(hold: _Hold, most: int, least: int, *, first: bool) -> StepsOf[HoldResult]:
    """A flexible hold's portable steps: between ``least`` and ``most``, as much as the
    balance and the key's spend cap allow."""
    account_id, mode, key_id = hold.account_id, hold.mode, hold.key_id
    if first:
        # SQLite: the common case first, a balance (and cap) that pays for the most, in the
        # statements of a fixed hold; the key's cap allowing less gives the debit back.
        row = yield _TAKE_FROM, (most, most, account_id, mode, most)
        if row is not None:
            wallet_id, balance = int(row[0]), int(row[1])
            if key_id is None or most == 0 or (yield _CAP, (most, key_id, most)) is not None:
                return (yield from _write_hold(hold, wallet_id, most, balance))
            yield _GIVE_BACK, (most, most, wallet_id)
    row = yield _ROOM, (key_id, account_id, mode)
    if row is None:
        wallet_id, balance, room = (yield from wallet_steps(account_id, mode)), 0, None
    else:
        wallet_id, balance, room = int(row[0]), int(row[1]), row[2]
    amount = min(most, balance, most if room is None else int(room))
    if amount < least:
        if room is not None and int(room) < least <= balance:
            raise _past_cap()
        raise _short(least, at_least=True)
    taken = yield _TAKE, (amount, amount, wallet_id, amount)
    if taken is None:
        raise _short(least, at_least=True)
    yield from _count_spend(hold, amount)
    return (yield from _write_hold(hold, wallet_id, amount, int(taken[0])))


def _count_spend(hold: _Hold, amount: int) -> StepsOf[None]:
    """Count ``amount`` against the key's spend cap, or raise 403 (the writer undoes the
    wallet's debit of an operation that raises)."""
    if hold.key_id is not None and amount > 0:
        within_cap = yield _CAP, (amount, hold.key_id, amount)
        if within_cap is None:
            raise _past_cap()


def _write_hold(hold: _Hold, wallet_id: int, amount: int, balance: int) -> StepsOf[HoldResult]:
    """The hold's row and its ledger row, once the wallet (and the key's cap) were debited."""
    hold_id, task_id, key_id, model, _, now = hold.where
    yield (
        _NEW_HOLD,
        (
            hold_id,
            hold.account_id,
            wallet_id,
            key_id,
            amount,
            task_id,
            model,
            now,
            hold.owner,
        ),
    )
    amounts = ("hold", -amount, amount, balance)
    yield _ROW, (hold.account_id, wallet_id, hold.mode, *amounts, *hold.where)
    assert hold_id is not None
    return HoldResult(hold_id=hold_id, amount=amount, balance_after=balance)


def settle_steps(hold_id: str, spend: int | None) -> StepsOf[bool]:
    """Capture ``spend`` of the hold (None: all of it) and give the rest back; ``spend`` 0
    releases it all. False when the hold was already settled; ValueError (nothing written)
    when ``spend`` is outside the hold."""
    now = _now_ms()
    status = "captured" if spend is None or spend > 0 else "released"
    fused = yield PgStep(_PG_SETTLE, (status, now, spend, hold_id))
    if fused is not SKIPPED and fused[0]:
        return True
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
    where: _Where = (hold_id, task_id, key_id, model, None, now)
    if spend > 0 or refund == 0:
        kind = "capture" if spend > 0 else "release"
        yield _ROW, (account, wallet_id, mode, kind, 0, -spend, balance - refund, *where)
    if refund > 0:
        yield _ROW, (account, wallet_id, mode, "release", refund, -refund, balance, *where)
    return True
