"""``hold`` and ``settle`` of ``ledger.py`` as plain SQL, for the group writers.

Each operation is a generator of steps (``db/steps.py``), driven on SQLite by
``db/group_writer.py`` and on PostgreSQL by ``db/pg_group_writer.py``: one text of the rules
for both. They keep every rule of ``ledger.py`` (conditional updates, the spend cap,
one ledger row per change) and write the same rows; the tests run both versions through the
same cases. On PostgreSQL, where each statement is a network round trip, a hold and a
settlement each begin with one statement that does all of their common case
(``_PG_HOLD``, ``_PG_SETTLE``: data-modifying CTEs); only when it finds nothing to do do they
go on with the portable steps, which then decide (a first hold, a refusal, a repeat).

A hold may be flexible (``minimum`` given, as for a chat without ``max_tokens``): it takes as
much of ``amount`` as the balance and the key's spend cap allow, and at least ``minimum``
(402 below it, or 403 when the key's cap is what stops it). On PostgreSQL the statement that
takes it (``_PG_FLEX_HOLD``) finds that amount itself; the portable steps read the balance
and the cap's room first (one statement) and take it with the same conditional update. On
SQLite they first try the most, in the statements of a fixed hold, since a balance that pays
for it is the common case.
"""

from __future__ import annotations

import secrets
import time

from apiinone.billing.ledger import HoldResult
from apiinone.db.steps import SKIPPED, PgStep, Steps
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
_GIVE_BACK = "UPDATE wallets SET balance = balance + ?, held = held - ? WHERE id = ?"
_ROOM = (
    "SELECT w.id, w.balance, (SELECT k.spend_cap - k.spent FROM api_keys k"
    " WHERE k.id = ? AND k.spend_cap IS NOT NULL) FROM wallets w"
    " WHERE w.account_id = ? AND w.mode = ?"
)
_NEW_HOLD = (
    "INSERT INTO holds (id, account_id, wallet_id, key_id, amount, captured, status, task_id,"
    " model, created_at, owner) VALUES (?, ?, ?, ?, ?, 0, 'held', ?, ?, ?, ?)"
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

# PostgreSQL's hold in one statement: $1 amount, $2 account, $3 mode, $4 key (or NULL),
# $5 hold id, $6 task, $7 model, $8 now, $9 owner (or NULL). One row: the wallet and its
# balance after (both NULL when the wallet is missing or cannot cover the hold: nothing was
# written), and whether the hold was written (false: past the key's spend cap; the caller
# raises and the writer undoes the wallet's update).
_PG_HOLD = """
WITH w AS (
    UPDATE wallets SET balance = balance - $1::bigint, held = held + $1::bigint
    WHERE account_id = $2 AND mode = $3 AND balance >= $1::bigint
    RETURNING id, balance
), k AS (
    UPDATE api_keys SET spent = spent + $1::bigint
    WHERE id = $4::text AND $1::bigint > 0 AND EXISTS (SELECT 1 FROM w)
      AND (spend_cap IS NULL OR spent + $1::bigint <= spend_cap)
    RETURNING id
), h AS (
    INSERT INTO holds (id, account_id, wallet_id, key_id, amount, captured, status, task_id,
                       model, created_at, owner)
    SELECT $5, $2, w.id, $4::text, $1::bigint, 0, 'held', $6::text, $7::text, $8::bigint,
           $9::text
    FROM w WHERE $4::text IS NULL OR $1::bigint = 0 OR EXISTS (SELECT 1 FROM k)
    RETURNING wallet_id
), l AS (
    INSERT INTO ledger (account_id, wallet_id, mode, kind, amount, held_delta, balance_after,
                        hold_id, task_id, key_id, model, reason, created_at)
    SELECT $2, h.wallet_id, $3, 'hold', -$1::bigint, $1::bigint, w.balance, $5, $6::text,
           $4::text, $7::text, NULL, $8::bigint
    FROM h, w
)
SELECT w.id, w.balance, EXISTS (SELECT 1 FROM h) FROM (SELECT 1) AS one LEFT JOIN w ON true
"""
# PostgreSQL's flexible hold in one statement: $1 to $8 as in _PG_HOLD ($1 is the most to
# take), $9 the least, $10 the owner (or NULL). The amount is the least of $1, the balance and
# the key's room under its spend cap, read in the statement's snapshot; the wallet's update
# checks it again against the row it writes, so a balance another replica just lowered is
# never overdrawn (nothing is written then, and the portable steps decide afresh). One row:
# wallet, balance after, whether the hold was written, and the amount.
_PG_FLEX_HOLD = """
WITH a AS (
    SELECT wallets.id, LEAST($1::bigint, wallets.balance, COALESCE(
        (SELECT spend_cap - spent FROM api_keys WHERE id = $4::text AND spend_cap IS NOT NULL),
        $1::bigint)) AS amount
    FROM wallets WHERE account_id = $2 AND mode = $3
), w AS (
    UPDATE wallets SET balance = wallets.balance - a.amount, held = wallets.held + a.amount
    FROM a WHERE wallets.id = a.id AND a.amount >= $9::bigint AND wallets.balance >= a.amount
    RETURNING wallets.id, wallets.balance, a.amount
), k AS (
    UPDATE api_keys SET spent = spent + w.amount FROM w
    WHERE api_keys.id = $4::text AND w.amount > 0
      AND (spend_cap IS NULL OR spent + w.amount <= spend_cap)
    RETURNING api_keys.id
), h AS (
    INSERT INTO holds (id, account_id, wallet_id, key_id, amount, captured, status, task_id,
                       model, created_at, owner)
    SELECT $5, $2, w.id, $4::text, w.amount, 0, 'held', $6::text, $7::text, $8::bigint,
           $10::text
    FROM w WHERE $4::text IS NULL OR w.amount = 0 OR EXISTS (SELECT 1 FROM k)
    RETURNING wallet_id
), l AS (
    INSERT INTO ledger (account_id, wallet_id, mode, kind, amount, held_delta, balance_after,
                        hold_id, task_id, key_id, model, reason, created_at)
    SELECT $2, h.wallet_id, $3, 'hold', -w.amount, w.amount, w.balance, $5, $6::text,
           $4::text, $7::text, NULL, $8::bigint
    FROM h, w
)
SELECT w.id, w.balance, EXISTS (SELECT 1 FROM h), w.amount
FROM (SELECT 1) AS one LEFT JOIN w ON true
"""
# PostgreSQL's settlement in one statement: $1 status, $2 now, $3 spend (NULL: all of the
# hold), $4 hold id. One row: whether it settled (false when the hold is not open or the
# spend is outside it: nothing was written, and the portable steps tell which). The ledger
# rows go in one INSERT, in the order the portable steps write them.
_PG_SETTLE = """
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
    INSERT INTO ledger (account_id, wallet_id, mode, kind, amount, held_delta, balance_after,
                        hold_id, task_id, key_id, model, reason, created_at)
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
"""


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
    owner: str | None = None,
    minimum: int | None = None,
) -> Steps:
    """As ``ledger.hold``: reserve ``amount`` or raise 402 (403 past the key's spend cap);
    with ``minimum``, as much of ``amount`` as can be paid, and at least ``minimum``.
    ``owner``: the process whose lease keeps the hold (chat holds, ``billing/hold_lease.py``)."""
    if amount < 0:
        raise ValueError("a hold cannot be negative")
    hold_id = "hold_" + secrets.token_urlsafe(16)
    now = _now_ms()
    if minimum is not None:
        names = (key_id, hold_id, task_id, model, now)
        return (yield from _flexible(account_id, mode, amount, minimum, names, owner))
    fused = yield PgStep(
        _PG_HOLD, (amount, account_id, mode, key_id, hold_id, task_id, model, now, owner)
    )
    if fused is not SKIPPED and fused[0] is not None:
        if not fused[2]:
            raise PermissionDenied("This API key has reached its spend cap")
        return HoldResult(hold_id=hold_id, amount=amount, balance_after=int(fused[1]))
    # The wallet found and debited in one statement (on PostgreSQL that was the fused one,
    # which found none that covers the hold); looked up (or made) only when that finds
    # nothing: a first hold, or a balance that cannot cover it.
    row = None
    if fused is SKIPPED:
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
    yield _NEW_HOLD, (hold_id, account_id, wallet_id, key_id, amount, task_id, model, now, owner)
    where = (hold_id, task_id, key_id, model, now)
    yield _ROW, (account_id, wallet_id, mode, "hold", -amount, amount, balance, *where)
    return HoldResult(hold_id=hold_id, amount=amount, balance_after=balance)


def _flexible(
    account_id: str,
    mode: str,
    most: int,
    least: int,
    names: tuple[str | None, str, str | None, str | None, int],
    owner: str | None = None,
) -> Steps:
    """A flexible hold: between ``least`` and ``most``, as much as the balance and the key's
    spend cap allow."""
    if not 0 <= least <= most:
        raise ValueError("a flexible hold needs 0 <= minimum <= amount")
    key_id, hold_id, task_id, model, now = names
    params = (most, account_id, mode, key_id, hold_id, task_id, model, now, least, owner)
    fused = yield PgStep(_PG_FLEX_HOLD, params)
    if fused is not SKIPPED and fused[0] is not None:
        if not fused[2]:
            raise PermissionDenied("This API key has reached its spend cap")
        return HoldResult(hold_id=hold_id, amount=int(fused[3]), balance_after=int(fused[1]))
    if fused is SKIPPED:
        # SQLite: the common case first, a balance (and cap) that pays for the most, in the
        # statements of a fixed hold; the key's cap allowing less gives the debit back.
        row = yield _TAKE_FROM, (most, most, account_id, mode, most)
        if row is not None:
            wallet_id, balance = int(row[0]), int(row[1])
            if key_id is None or most == 0 or (yield _CAP, (most, key_id, most)) is not None:
                ids = (hold_id, task_id, key_id, model, now)
                return (
                    yield from _write_hold(account_id, wallet_id, mode, most, balance, ids, owner)
                )
            yield _GIVE_BACK, (most, most, wallet_id)
    row = yield _ROOM, (key_id, account_id, mode)
    if row is None:
        wallet_id, balance, room = (yield from _wallet_id(account_id, mode)), 0, None
    else:
        wallet_id, balance, room = int(row[0]), int(row[1]), row[2]
    amount = min(most, balance, most if room is None else int(room))
    if amount < least:
        if room is not None and int(room) < least <= balance:
            raise PermissionDenied("This API key has reached its spend cap")
        raise InsufficientCredits(
            f"Insufficient credits: this request needs at least {least} credits. "
            "Top up to continue."
        )
    taken = yield _TAKE, (amount, amount, wallet_id, amount)
    if taken is None:
        raise InsufficientCredits(
            f"Insufficient credits: this request needs at least {least} credits. "
            "Top up to continue."
        )
    if key_id is not None and amount > 0:
        within_cap = yield _CAP, (amount, key_id, amount)
        if within_cap is None:
            raise PermissionDenied("This API key has reached its spend cap")
    ids = (hold_id, task_id, key_id, model, now)
    return (yield from _write_hold(account_id, wallet_id, mode, amount, int(taken[0]), ids, owner))


def _write_hold(
    account_id: str,
    wallet_id: int,
    mode: str,
    amount: int,
    balance: int,
    ids: tuple[str, str | None, str | None, str | None, int],
    owner: str | None,
) -> Steps:
    """The hold's row and its ledger row, once the wallet (and the key's cap) were debited."""
    hold_id, task_id, key_id, model, now = ids
    yield _NEW_HOLD, (hold_id, account_id, wallet_id, key_id, amount, task_id, model, now, owner)
    yield _ROW, (account_id, wallet_id, mode, "hold", -amount, amount, balance, *ids)
    return HoldResult(hold_id=hold_id, amount=amount, balance_after=balance)


def settle_steps(hold_id: str, spend: int | None) -> Steps:
    """As ``ledger.capture`` (``spend`` > 0, or None: all of the hold) or ``ledger.release``
    (``spend`` == 0). False when the hold was already settled."""
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
    where = (hold_id, task_id, key_id, model, now)
    if spend > 0 or refund == 0:
        kind = "capture" if spend > 0 else "release"
        yield _ROW, (account, wallet_id, mode, kind, 0, -spend, balance - refund, *where)
    if refund > 0:
        yield _ROW, (account, wallet_id, mode, "release", refund, -refund, balance, *where)
    return True
