"""Groups of tasks as one submission (``tasks/submit_sql.insert_tasks_steps``), on two
handles of one database (two replicas on PostgreSQL, two writers on one SQLite file): a
group is held whole or not at all, and a group's fingerprint attaches a second submission
to it from either handle."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from apiinone.db.engine import Database
from apiinone.db.steps import Steps
from apiinone.errors import InsufficientCredits
from apiinone.tasks.submit_sql import Submitted, insert_tasks_steps
from tests.support.db import new_account, open_db, wallet_state
from tests.support.tasks import task_values

PRICE, SIZE, GROUPS, COVERED = 3, 4, 16, 5


def _noop() -> Steps:
    yield "SELECT 1", ()


def group_of(account: str, size: int = SIZE) -> list[dict[str, Any]]:
    first = task_values(account, price=PRICE)
    return [first] + [
        {**task_values(account, price=PRICE), "created_at": first["created_at"]}
        for _ in range(size - 1)
    ]


async def two_handles(tmp_path: Path) -> tuple[Database, Database]:
    first = await open_db(tmp_path / "groups.db")
    second = Database(first.url)
    for db in (first, second):  # both writers connected, so their batches overlap
        await db.run_steps(_noop)
    return first, second


async def test_groups_are_held_whole_or_not_at_all(tmp_path: Path) -> None:
    first, second = await two_handles(tmp_path)
    try:
        account = await new_account(first, credits=COVERED * SIZE * PRICE + PRICE)

        async def submit(db: Database) -> Submitted | None:
            try:
                submitted: Submitted = await db.run_steps(
                    partial(insert_tasks_steps, cap=0, group=group_of(account))
                )
            except InsufficientCredits as exc:
                assert f"needs {SIZE * PRICE} credits" in exc.message
                return None
            return submitted

        results = await asyncio.gather(*(submit((first, second)[i % 2]) for i in range(GROUPS)))
        admitted = [r for r in results if r is not None]
        assert len(admitted) == COVERED
        assert all(len(r.rows) == SIZE and not r.attached for r in admitted)
        held = COVERED * SIZE * PRICE
        assert await wallet_state(first, account) == (PRICE, held, PRICE, held)
    finally:
        await second.dispose()
        await first.dispose()


@pytest.mark.parametrize("ended", [False, True])
async def test_a_fingerprint_attaches_from_either_handle(tmp_path: Path, ended: bool) -> None:
    first, second = await two_handles(tmp_path)
    try:
        account = await new_account(first, credits=1000)
        made: Submitted = await first.run_steps(
            partial(insert_tasks_steps, cap=0, group=group_of(account, 2), fingerprint="f" * 64)
        )
        ids = sorted(row.id for row in made.rows)
        if ended:  # ended since the cut-off: still attached; before it: a new group
            async with first.write() as conn:
                await conn.exec_driver_sql(
                    "UPDATE tasks SET status = 'completed', completed_at = 1000"
                )
        again: Submitted = await second.run_steps(
            partial(
                insert_tasks_steps,
                cap=0,
                group=group_of(account, 2),
                fingerprint="f" * 64,
                ended_since_ms=1000,
            )
        )
        assert again.attached and sorted(row.id for row in again.rows) == ids
        later: Submitted = await second.run_steps(
            partial(
                insert_tasks_steps,
                cap=0,
                group=group_of(account, 2),
                fingerprint="f" * 64,
                ended_since_ms=1001,
            )
        )
        assert later.attached is not ended
        balance, _, _, _ = await wallet_state(first, account)
        assert balance == 1000 - (2 if ended else 1) * 2 * PRICE
    finally:
        await second.dispose()
        await first.dispose()
