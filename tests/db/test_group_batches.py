"""Batches of the group writers: no savepoints when no operation raises, and an operation
that raises leaves no trace while the rest of its batch commits — on SQLite files, and on
PostgreSQL in the suite's PostgreSQL pass."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from apiinone.db.engine import Database
from apiinone.db.group_writer import GroupWriter
from apiinone.db.pg_group_writer import PgGroupWriter
from apiinone.db.steps import Steps
from tests.support import pg
from tests.support.db import new_account, open_db, wallet_state

_BUMP = (
    "UPDATE wallets SET balance = balance + ? WHERE account_id = ? AND mode = 'live' "
    "RETURNING balance"
)


def bump(account_id: str, amount: int, *, fail: bool = False) -> Steps:
    """Add ``amount`` to the live balance; raise afterwards when ``fail``."""
    row = yield _BUMP, (amount, account_id)
    if fail:
        raise ValueError(f"refused after adding {amount}")
    return int(row[0])


async def balance(db: Database, account_id: str) -> int:
    return (await wallet_state(db, account_id))[0]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_db(tmp_path / "b.db")
    yield database
    await database.dispose()


def writer_of(db: Database) -> GroupWriter | PgGroupWriter:
    writer = db.group
    assert writer is not None
    return writer


async def test_a_raising_operation_leaves_no_trace_and_the_batch_commits(db: Database) -> None:
    acc = await new_account(db, 1000)
    writer = writer_of(db)
    before = writer.batches
    results = await asyncio.gather(
        writer.run_steps(lambda: bump(acc, 1)),
        writer.run_steps(lambda: bump(acc, 10, fail=True)),
        writer.run_steps(lambda: bump(acc, 100)),
        return_exceptions=True,
    )
    assert results[0] == 1001
    assert isinstance(results[1], ValueError)
    assert results[2] == 1101  # written again without the one that raised
    assert await balance(db, acc) == 1101
    assert writer.batches == before + 1


async def test_a_lone_raising_operation_is_rolled_back(db: Database) -> None:
    acc = await new_account(db, 50)
    writer = writer_of(db)
    with pytest.raises(ValueError, match="refused"):
        await writer.run_steps(lambda: bump(acc, 7, fail=True))
    assert await balance(db, acc) == 50
    # The connection is left with no transaction open: the next batch writes.
    assert await writer.run_steps(lambda: bump(acc, 5)) == 55
    assert await balance(db, acc) == 55


async def test_every_operation_raising_commits_nothing(db: Database) -> None:
    acc = await new_account(db, 20)
    writer = writer_of(db)
    results = await asyncio.gather(
        *(writer.run_steps(lambda: bump(acc, 3, fail=True)) for _ in range(4)),
        return_exceptions=True,
    )
    assert all(isinstance(r, ValueError) for r in results)
    assert await balance(db, acc) == 20


async def test_a_batch_where_none_raises_writes_no_savepoint(tmp_path: Path) -> None:
    if pg.enabled():
        pytest.skip("reads SQLite's statement trace")
    path = tmp_path / "t.db"
    db = await open_db(path)
    writer = GroupWriter(str(path))
    statements: list[str] = []
    try:
        acc = await new_account(db, 0)
        await writer.run_steps(lambda: bump(acc, 1))  # opens the loop's connection
        conn = writer._loop_conn
        assert isinstance(conn, sqlite3.Connection)
        conn.set_trace_callback(statements.append)
        await asyncio.gather(*(writer.run_steps(lambda: bump(acc, 2)) for _ in range(3)))
        assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT"
        assert len(statements) == 5 and not any("SAVEPOINT" in s for s in statements)
        statements.clear()
        await asyncio.gather(
            writer.run_steps(lambda: bump(acc, 2)),
            writer.run_steps(lambda: bump(acc, 2, fail=True)),
        )
    except ValueError:
        # Rolled back, then written again with a savepoint around each operation.
        assert "ROLLBACK" in statements
        assert sum(s.startswith("SAVEPOINT") for s in statements) == 2
        assert await balance(db, acc) == 1 + 6 + 2
    else:
        raise AssertionError("the raising operation did not raise")
    finally:
        await writer.close()
        await db.dispose()


def insert_row(index: int) -> Steps:
    yield "INSERT INTO t (id, pad) VALUES (?, ?)", (index, bytes(2048))


async def test_the_wal_is_checkpointed_off_the_loop_and_stays_bounded(tmp_path: Path) -> None:
    if pg.enabled():
        pytest.skip("SQLite's WAL")
    path = tmp_path / "w.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, pad BLOB)")
    writer = GroupWriter(str(path), checkpoint_every=50)
    rows = 3000
    try:
        for index in range(rows):  # one batch each: at least 3000 commits of 2 pages
            await writer.run_steps(lambda index=index: insert_row(index))
        conn = writer._loop_conn
        assert conn is not None
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        wal = (tmp_path / "w.db-wal").stat().st_size
    finally:
        await writer.close()
    assert writer.checkpoints >= 1
    # 3000 commits wrote at least 24 MB of WAL frames; restarted, the file stays small.
    assert wal < 6 * 2**20, wal
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone() == (rows,)
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
