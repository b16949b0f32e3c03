"""A hypothesis state machine over grant / deduct / hold / capture / release.

After every step: balance and held never negative, sum(ledger.amount) == balance,
sum(ledger.held_delta) == held, and both equal an independent model of the wallet.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from apiinone.billing.ledger import adjust, capture, hold, release
from apiinone.db.engine import Database
from apiinone.errors import InsufficientCredits
from tests.support.db import new_account, open_db, wallet_state


def make_machine(loop: asyncio.AbstractEventLoop, db: Database) -> type[RuleBasedStateMachine]:
    run = loop.run_until_complete

    class LedgerMachine(RuleBasedStateMachine):
        holds = Bundle("holds")

        def __init__(self) -> None:
            super().__init__()
            self.account = run(new_account(db, credits=0))
            self.balance = 0
            self.held = 0

        @rule(amount=st.integers(1, 500))
        def grant(self, amount: int) -> None:
            async def go() -> None:
                async with db.write() as conn:
                    await adjust(
                        conn, account_id=self.account, mode="live", amount=amount, kind="grant"
                    )

            run(go())
            self.balance += amount

        @rule(amount=st.integers(1, 500))
        def deduct(self, amount: int) -> None:
            async def go() -> bool:
                try:
                    async with db.write() as conn:
                        await adjust(
                            conn,
                            account_id=self.account,
                            mode="live",
                            amount=-amount,
                            kind="deduct",
                        )
                except InsufficientCredits:
                    return False
                return True

            ok = run(go())
            assert ok == (amount <= self.balance)
            if ok:
                self.balance -= amount

        @rule(target=holds, amount=st.integers(0, 300))
        def take_hold(self, amount: int) -> tuple[str, int] | None:
            async def go() -> str | None:
                try:
                    async with db.write() as conn:
                        result = await hold(
                            conn, account_id=self.account, mode="live", amount=amount
                        )
                except InsufficientCredits:
                    return None
                return result.hold_id

            hold_id = run(go())
            assert (hold_id is not None) == (amount <= self.balance)
            if hold_id is None:
                return None
            self.balance -= amount
            self.held += amount
            return hold_id, amount

        @rule(h=consumes(holds), fraction=st.fractions(0, 1))
        def capture_part(self, h: tuple[str, int] | None, fraction: object) -> None:
            if h is None:
                return
            hold_id, amount = h
            spend = int(amount * fraction)  # type: ignore[operator]

            async def go() -> bool:
                async with db.write() as conn:
                    return await capture(conn, hold_id, spend)

            assert run(go()) is True
            self.held -= amount
            self.balance += amount - spend

        @rule(h=consumes(holds))
        def release_it(self, h: tuple[str, int] | None) -> None:
            if h is None:
                return
            hold_id, amount = h

            async def go() -> tuple[bool, bool]:
                async with db.write() as conn:
                    first = await release(conn, hold_id)
                    second = await release(conn, hold_id)
                return first, second

            assert run(go()) == (True, False)
            self.held -= amount
            self.balance += amount

        @invariant()
        def books_balance(self) -> None:
            balance, held, total, held_total = run(wallet_state(db, self.account))
            assert balance >= 0 and held >= 0
            assert (balance, held) == (self.balance, self.held)
            assert total == balance and held_total == held

    return LedgerMachine


def test_ledger_state_machine(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    try:
        db = loop.run_until_complete(open_db(tmp_path / "machine.db"))
        machine = make_machine(loop, db)
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=40,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
        loop.run_until_complete(db.dispose())
    finally:
        loop.close()
