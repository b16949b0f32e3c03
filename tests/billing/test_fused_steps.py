"""PostgreSQL's fused hold and settlement statements write exactly what the portable steps
write, for any sequence of operations (hypothesis), on both databases.

A sequence mixes fixed and flexible holds (with and without a key whose spend cap may stop
them), captures of less than, all of, or more than a hold, releases, second settlements of
a hold, settlements of holds that do not exist, grants and deductions. Some operations come
as batches of up to four, queued at once so the group writer writes them in one
transaction: on PostgreSQL their fused first statements go as one pipelined round trip.

Every sequence runs twice through the database's group writer, for two fresh accounts with
the same balance and key: once as the request path runs it (the fused statements on
PostgreSQL, ``billing/ledger_sql.py``), once with the fused statements skipped
(``db/steps.skip_fused``: the portable steps alone, which are all SQLite runs). A pipelined
batch runs the operations that its fused statements completed before the others, so the
portable run takes the batch in that order. The two must give the same values and errors,
and leave the same books: balance and held, every ledger row in order, every hold's state
and the key's spend. Both must also keep the books' own sums (the ledger adds up to the
balance and to what is held, what is held is what the open holds hold, the key has spent
what its holds took).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from apiinone.auth.accounts import create_account
from apiinone.auth.keys import KeyLimits, create_key
from apiinone.billing.ledger_sql import adjust_steps, hold_steps, settle_steps
from apiinone.db.engine import Database
from apiinone.db.pg_group_writer import PgGroupWriter
from apiinone.db.steps import PgStep, Steps, StepsOf, skip_fused
from apiinone.db.tables import api_keys, holds, ledger, wallets
from tests.support.db import open_db

# An operation: ("hold", amount, least or None, keyed), ("settle", which hold, how),
# ("grant", amount), ("deduct", amount). ``how``: "all", "equal", "less", "release", "over".
Op = tuple[Any, ...]

_hold = st.tuples(
    st.just("hold"), st.integers(0, 60), st.none() | st.integers(0, 60), st.booleans()
)
_settle = st.tuples(
    st.just("settle"),
    st.integers(0, 20),
    st.sampled_from(["all", "equal", "less", "release", "over"]),
)
_grant = st.tuples(st.sampled_from(["grant", "deduct"]), st.integers(1, 60))
_one = st.one_of(_hold, _hold, _settle, _settle, _grant)
_step = st.one_of(_one, st.lists(_one, min_size=2, max_size=4).map(tuple))
SCRIPTS = st.tuples(
    st.integers(0, 120),  # the account's balance
    st.none() | st.integers(0, 90),  # the key's spend cap
    st.lists(_step, min_size=1, max_size=12),
)


@dataclass
class Run:
    """One account's run of a script: its key and the holds it made, in the script's order."""

    account: str
    key: str
    made: list[tuple[str, int]] = field(default_factory=list)  # (hold id, amount)


def _make(run: Run, op: Op) -> Callable[[], Steps]:
    """The operation's steps, as the writers take them (made afresh for each attempt)."""
    verb = op[0]
    if verb == "hold":
        _, amount, least, keyed = op
        return partial(
            hold_steps,
            account_id=run.account,
            mode="live",
            amount=amount,
            key_id=run.key if keyed else None,
            model="m",
            minimum=None if least is None else min(least, amount),
        )
    if verb == "settle":
        _, which, how = op
        if not run.made:
            return partial(settle_steps, "hold_missing", 0)
        hold_id, amount = run.made[which % len(run.made)]
        spend = {"all": None, "equal": amount, "less": amount // 2, "release": 0}.get(
            how, amount + 1
        )
        return partial(settle_steps, hold_id, spend)
    amount = op[1] if verb == "grant" else -op[1]
    return partial(adjust_steps, account_id=run.account, mode="live", amount=amount, kind=verb)


@dataclass
class Watched:
    """How a fused run's operation went: its first statement and how many it took."""

    first: str | None = None
    steps: int = 0
    attempts: int = 0


def _watch(make: Callable[[], Steps], seen: Watched) -> Callable[[], Steps]:
    def watched() -> Steps:
        seen.attempts += 1
        seen.first, seen.steps = None, 0
        steps = make()
        try:
            step = next(steps)
            while True:
                if seen.steps == 0 and type(step) is PgStep:
                    seen.first = step[0]
                seen.steps += 1
                step = steps.send((yield step))
        except StopIteration as stop:
            return stop.value

    return watched


def _portable(make: Callable[[], StepsOf[Any]]) -> Callable[[], StepsOf[Any]]:
    return lambda: skip_fused(make())


def _order(seen: Sequence[Watched], pipelined: bool) -> list[int]:
    """The order the batch's operations took effect in: on PostgreSQL, those whose
    pipelined fused statement did all of their work came first (``run_batch_asyncpg``), by
    statement in order of first use; the others ran after, in queue order."""
    queue = list(range(len(seen)))
    if not pipelined or any(s.attempts > 1 for s in seen):  # written again, one by one
        return queue
    groups: dict[str, list[int]] = {}
    for index, s in enumerate(seen):
        if s.first is not None:
            groups.setdefault(s.first, []).append(index)
    early = [i for members in groups.values() if len(members) > 1 for i in members]
    done = [i for i in early if seen[i].steps == 1]
    return done + [i for i in queue if i not in done]


def _outcome(result: BaseException | object) -> object:
    if isinstance(result, BaseException):
        return type(result).__name__
    if hasattr(result, "hold_id"):
        return ("held", result.amount, result.balance_after)  # type: ignore[attr-defined]
    return result


async def _run_batch(db: Database, makers: Sequence[Callable[[], Steps]]) -> list[object]:
    """Queue every operation at once: the writer takes them as one batch."""
    group = db.group
    assert group is not None
    results = await asyncio.gather(
        *(group.run_steps(make) for make in makers), return_exceptions=True
    )
    return list(results)


async def _play(
    db: Database, run: Run, script: Sequence[Any], fused: bool, orders: list[list[int]]
) -> list[object]:
    """The script's outcomes. The fused run records each batch's order of effect in
    ``orders``; the portable run queues each batch in that order."""
    outcomes: list[object] = []
    for number, step in enumerate(script):
        ops: list[Op] = list(step) if isinstance(step[0], tuple) else [step]
        makers = [_make(run, op) for op in ops]
        if fused:
            seen = [Watched() for _ in ops]
            results = await _run_batch(
                db, [_watch(m, s) for m, s in zip(makers, seen, strict=True)]
            )
            orders.append(_order(seen, isinstance(db.group, PgGroupWriter)))
        else:
            order = orders[number]
            ran = await _run_batch(db, [_portable(makers[i]) for i in order])
            results = [None] * len(ops)
            for position, index in enumerate(order):
                results[index] = ran[position]
        for result in results:
            if hasattr(result, "hold_id"):
                run.made.append((result.hold_id, result.amount))  # type: ignore[union-attr]
        outcomes.append([_outcome(r) for r in results])
    return outcomes


async def _books(db: Database, run: Run) -> tuple[object, ...]:
    """The account's books, with each hold named by its place in the run."""
    place = {hold_id: index for index, (hold_id, _) in enumerate(run.made)}
    async with db.read() as conn:
        wallet = (
            await conn.execute(
                select(wallets.c.balance, wallets.c.held).where(
                    wallets.c.account_id == run.account, wallets.c.mode == "live"
                )
            )
        ).one()
        rows = [
            (
                r.kind,
                r.amount,
                r.held_delta,
                r.balance_after,
                place.get(r.hold_id),
                r.key_id is not None,
                r.model,
            )
            for r in await conn.execute(
                select(ledger).where(ledger.c.account_id == run.account).order_by(ledger.c.id)
            )
        ]
        states = {
            place[r.id]: (r.status, r.amount, r.captured, r.key_id is not None)
            for r in await conn.execute(select(holds).where(holds.c.account_id == run.account))
        }
        spent = (
            await conn.execute(select(api_keys.c.spent).where(api_keys.c.id == run.key))
        ).scalar_one()
    return (tuple(wallet), rows, [states[i] for i in range(len(run.made))], spent)


def _check_sums(books: tuple[Any, ...]) -> None:
    (balance, held), rows, states, spent = books
    assert balance >= 0 and held >= 0
    assert sum(r[1] for r in rows) == balance
    assert sum(r[2] for r in rows) == held
    assert held == sum(amount for status, amount, _, _ in states if status == "held")
    assert spent == sum(
        amount if status == "held" else captured
        for status, amount, captured, keyed in states
        if keyed
    )
    assert all(0 <= captured <= amount for _, amount, captured, _ in states)


async def _account(db: Database, balance: int, cap: int | None) -> Run:
    acc = await create_account(
        db, email=f"{secrets.token_hex(8)}@example.com", signup_bonus=balance
    )
    key, _ = await create_key(db, account_id=acc.id, limits=KeyLimits(spend_cap=cap))
    return Run(acc.id, key.id)


def test_fused_and_portable_steps_write_the_same_books(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    db = loop.run_until_complete(open_db(tmp_path / "fused.db"))
    kinds: set[object] = set()

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(SCRIPTS)
    # One script that reaches every kind of outcome, whatever the generated ones reach: a
    # capture over its hold (ValueError), a second settlement (False), a hold over the key's
    # cap (PermissionDenied) and over the balance (InsufficientCredits), and a batch of holds
    # (alike, so their fused first statements are pipelined on PostgreSQL).
    @example(
        (
            50,
            5,
            [
                ("hold", 10, None, False),
                ("settle", 0, "over"),
                ("settle", 0, "all"),
                ("settle", 0, "all"),
                ("hold", 10, None, True),
                ("hold", 60, None, False),
                (("hold", 5, None, False), ("hold", 3, None, False), ("hold", 4, None, False)),
            ],
        )
    )
    def check(script: tuple[int, int | None, list[Any]]) -> None:
        balance, cap, steps = script

        async def go() -> None:
            fused, portable = await _account(db, balance, cap), await _account(db, balance, cap)
            orders: list[list[int]] = []
            got = await _play(db, fused, steps, True, orders)
            want = await _play(db, portable, steps, False, orders)
            assert got == want
            books = await _books(db, fused)
            assert books == await _books(db, portable)
            _check_sums(books)
            kinds.update(o if isinstance(o, str) else type(o).__name__ for s in got for o in s)

        loop.run_until_complete(go())

    try:
        check()
        # The sequences reached refusals on every side, not only the common case.
        assert {"InsufficientCredits", "PermissionDenied", "ValueError", "bool"} <= kinds
        if isinstance(db.group, PgGroupWriter):  # and batches whose fused steps were pipelined
            assert db.group.pipelined > 0
    finally:
        loop.run_until_complete(db.dispose())
        loop.close()
