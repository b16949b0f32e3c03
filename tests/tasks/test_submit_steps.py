"""Submissions as group-writer operations (``tasks/submit_sql.py``): two handles on one
database (two replicas on PostgreSQL, two writers on one SQLite file) submitting for one
account at once admit exactly the account's cap of unfinished tasks, and hold exactly
their price each."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from sqlalchemy import func, select

from apiinone.db.engine import Database
from apiinone.db.steps import Steps
from apiinone.db.tables import holds, tasks
from apiinone.errors import TooManyTasks
from apiinone.tasks.rows import TaskRow
from apiinone.tasks.submit_sql import insert_tasks_steps
from tests.support.db import new_account, open_db, wallet_state
from tests.support.tasks import task_values

CAP, PRICE, TRIES = 5, 3, 24


def _noop() -> Steps:
    yield "SELECT 1", ()


async def test_two_writers_admit_exactly_the_cap(tmp_path: Path) -> None:
    first = await open_db(tmp_path / "submit.db")
    second = Database(first.url)  # another replica on the same database
    try:
        account = await new_account(first, credits=1000)

        async def submit(db: Database) -> TaskRow | None:
            try:
                submitted = await db.run_steps(
                    partial(insert_tasks_steps, cap=CAP, group=[task_values(account, price=PRICE)])
                )
            except TooManyTasks:
                return None
            return submitted.rows[0]

        for db in (first, second):  # both writers connected, so their batches overlap
            await db.run_steps(_noop)
        rows = await asyncio.gather(*(submit((first, second)[i % 2]) for i in range(TRIES)))
        admitted = [r for r in rows if r is not None]
        assert len(admitted) == CAP
        assert all(r.status == "queued" and r.hold_id and r.price == PRICE for r in admitted)
        async with first.read() as conn:
            stored = (
                await conn.execute(
                    select(func.count()).select_from(tasks).where(tasks.c.account_id == account)
                )
            ).scalar_one()
            open_holds = (
                await conn.execute(
                    select(func.count()).select_from(holds).where(holds.c.account_id == account)
                )
            ).scalar_one()
        assert stored == open_holds == CAP
        assert await wallet_state(first, account) == (
            1000 - CAP * PRICE,
            CAP * PRICE,
            1000 - CAP * PRICE,
            CAP * PRICE,
        )
    finally:
        await second.dispose()
        await first.dispose()
