"""Task polls on PostgreSQL read through a plain asyncpg pool, outside any transaction:
they see every commit at once, answer like the SQLAlchemy query, and keep their
connections. On SQLite there is no such pool (polls read on the loop's connection)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import insert

from apiinone.db.tables import tasks
from apiinone.tasks import store
from apiinone.tasks.rows import SELECT_OWNED, TaskRow
from tests.support import pg
from tests.support.db import new_account, open_db


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
        async with db.write() as conn:
            await conn.execute(
                insert(tasks).values(
                    id="task_pr1",
                    account_id=account,
                    mode="live",
                    model="sandbox-image",
                    endpoint="/v1/sandbox/image",
                    kind="image",
                    status="queued",
                    price=3,
                    request='{"prompt": "p"}',
                    params="{}",
                    provider="sandbox",
                    next_run_at=1,
                    deadline_at=2,
                    created_at=1,
                    updated_at=1,
                )
            )
        # Committed by another connection: the pool's next read sees it.
        rows = await asyncio.gather(
            *(reads.row(SELECT_OWNED, ("task_pr1", account)) for _ in range(40))
        )
        assert all(r == rows[0] for r in rows) and rows[0] is not None
        assert await reads.row(SELECT_OWNED, ("task_pr1", "acct_other")) is None
        async with db.read() as conn:
            queried = await store.get_task(conn, "task_pr1", account)
        assert queried is not None
        assert TaskRow(*rows[0]) == TaskRow(*(queried._mapping[f] for f in TaskRow._fields))
        # Forty reads at once queued for the pool's few connections rather than opening more.
        assert reads._pool.get_size() <= reads.size
    finally:
        await db.dispose()
