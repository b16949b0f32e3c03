"""Result and upload files: rows plus blobs on a real SQLite database and a real directory."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import files
from apiinone.storage.files import (
    absolute_url,
    get_file,
    list_task_files,
    safe_name,
    save_file,
    sweep_expired,
)
from apiinone.storage.local import LocalBlobStore
from tests.support.db import new_account, open_db

DAY = 86_400.0


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_db(tmp_path / "files.db")
    yield database
    await database.dispose()


async def _count(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(files))).scalar_one())


async def test_save_then_get_returns_the_same_file(db: Database, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    account = await new_account(db)
    stored = await save_file(
        db,
        store,
        account_id=account,
        task_id="task_1",
        purpose="result",
        name="out.png",
        content_type="image/png",
        data=b"\x89PNG data",
        retention_seconds=DAY,
    )
    assert len(stored.id) == 32  # 24 random bytes, url-safe
    assert stored.storage_key == f"f/{stored.id[:2]}/{stored.id}"
    assert stored.path == f"/files/{stored.id}/out.png"
    assert stored.size == 9
    assert stored.expires_at == stored.created_at + int(DAY * 1000)
    assert await get_file(db, stored.id) == stored
    assert await store.get(stored.storage_key) == b"\x89PNG data"
    assert await list_task_files(db, "task_1") == [stored]
    assert await list_task_files(db, "other") == []


async def test_ids_are_unguessable_and_distinct(db: Database, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    account = await new_account(db)
    ids = {
        (
            await save_file(
                db,
                store,
                account_id=account,
                task_id=None,
                purpose="upload",
                name="a.wav",
                content_type="audio/wav",
                data=b"x",
                retention_seconds=DAY,
            )
        ).id
        for _ in range(20)
    }
    assert len(ids) == 20


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("song.mp3", "song.mp3"),
        ("my song (final).mp3", "my_song_final_.mp3"),
        ("../../etc/passwd", "passwd"),
        ("..", "file"),
        ("", "file"),
        ("ünïcödé.png", "_n_c_d_.png"),
        ("a" * 300 + ".webp", "a" * 95 + ".webp"),
        ("b" * 300, "b" * 100),
    ],
)
def test_names_are_sanitised(given: str, expected: str) -> None:
    assert safe_name(given) == expected


async def test_expired_files_are_invisible_and_swept(db: Database, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    account = await new_account(db)

    async def save(retention: float) -> str:
        stored = await save_file(
            db,
            store,
            account_id=account,
            task_id="task_2",
            purpose="result",
            name="v.mp4",
            content_type="video/mp4",
            data=b"movie",
            retention_seconds=retention,
        )
        return stored.storage_key if retention == 0 else stored.id

    expired_keys = [await save(0) for _ in range(3)]
    kept = await save(DAY)
    assert [f.id for f in await list_task_files(db, "task_2")] == [kept]

    assert await sweep_expired(db, store, now_ms(), limit=2) == 2
    assert await sweep_expired(db, store, now_ms()) == 1
    assert await sweep_expired(db, store, now_ms()) == 0
    assert await _count(db) == 1
    for key in expired_keys:
        with pytest.raises(FileNotFoundError):
            await store.get(key)
    assert await get_file(db, kept) is not None
    # A sweep "in the future" takes the rest.
    assert await sweep_expired(db, store, now_ms() + int(DAY * 1000) + 1) == 1
    assert await get_file(db, kept) is None and await _count(db) == 0


async def test_no_row_when_the_blob_write_fails(db: Database, tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    store = LocalBlobStore(root)
    shutil.rmtree(root)
    root.write_bytes(b"a file where the store's directory should be")
    account = await new_account(db)
    with pytest.raises(OSError):
        await save_file(
            db,
            store,
            account_id=account,
            task_id=None,
            purpose="upload",
            name="x.png",
            content_type="image/png",
            data=b"data",
            retention_seconds=DAY,
        )
    assert await _count(db) == 0


async def test_unknown_id_is_none(db: Database) -> None:
    assert await get_file(db, "nope") is None


def test_absolute_url() -> None:
    assert absolute_url("http://h:8000/", "/files/a/b.png") == "http://h:8000/files/a/b.png"
    assert absolute_url("https://x.io/aio", "/files/a/b.png") == "https://x.io/aio/files/a/b.png"
