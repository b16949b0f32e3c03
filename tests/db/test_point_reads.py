"""Task polls on PostgreSQL read through a plain asyncpg pool, outside any transaction:
they see every commit at once, answer like the SQLAlchemy query, and keep their
connections. On SQLite there is no such pool (polls read on the loop's connection)."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from apiinone.tasks import lifecycle
from apiinone.tasks.rows import SELECT_OWNED, TaskRow
from apiinone.tasks.submit_sql import insert_tasks_steps
from tests.support import pg
from tests.support.db import new_account, open_db
from tests.support.tasks import task_values


async def test_point_reads_see_commits_and_answer_like_the_query(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "reads.db")
    try:
        reads = db.point_reads
        if not pg.enabled():
            assert reads is None
            return
        assert reads is not None
        account = await new_account(db, credits=10)
        assert await reads.row(SELECT_OWNED, ("task_none", account)) is None
        submitted = await db.run_steps(
            partial(insert_tasks_steps, cap=0, group=[task_values(account)])
        )
        made = submitted.rows[0]
        # Committed by another connection: the pool's next read sees it.
        rows = await asyncio.gather(
            *(reads.row(SELECT_OWNED, (made.id, account)) for _ in range(40))
        )
        assert all(r == rows[0] for r in rows) and rows[0] is not None
        assert await reads.row(SELECT_OWNED, (made.id, "acct_other")) is None
        async with db.read() as conn:
            queried = await lifecycle.get_task(conn, made.id, account)
        assert queried is not None
        assert TaskRow(*rows[0]) == queried == made
        # Forty reads at once queued for the pool's few connections rather than opening more.
        assert reads._pool.get_size() <= reads.size
    finally:
        await db.dispose()
