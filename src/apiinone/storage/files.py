"""Result and upload files: one ``files`` row per blob, served at ``/files/{id}/{name}``.

The id is 24 random bytes (url-safe), so the URL itself is the capability to read the
file. The blob is written before its row: a crash in between leaves at most an orphan
blob, never a row that points at nothing. Expired files are invisible at once and
deleted by ``sweep_expired`` (blob first, then row).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from sqlalchemy import delete, select, update

from apiinone.db.engine import Database
from apiinone.db.engine import now_ms as current_ms
from apiinone.db.steps import Steps
from apiinone.db.tables import files
from apiinone.storage.base import BlobStore

__all__ = [
    "StoredFile",
    "absolute_url",
    "delete_task_files",
    "get_file",
    "list_task_files",
    "safe_name",
    "save_file",
    "save_upload",
    "sweep_expired",
]

log = logging.getLogger("apiinone.storage")

Purpose = Literal["result", "upload"]
MAX_NAME = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class StoredFile:
    id: str
    account_id: str
    task_id: str | None
    purpose: str
    name: str
    content_type: str
    size: int
    storage_key: str
    created_at: int
    expires_at: int | None

    @property
    def path(self) -> str:
        return f"/files/{self.id}/{self.name}"

    def expired(self, at_ms: int) -> bool:
        return self.expires_at is not None and self.expires_at <= at_ms


def safe_name(name: str, default: str = "file") -> str:
    """``name`` reduced to ``[A-Za-z0-9._-]``, no leading dots, at most 100 characters.

    A long name is cut in its stem, so its extension survives.
    """
    cleaned = _UNSAFE.sub("_", name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).lstrip(".")
    if not cleaned.strip("_"):
        cleaned = default
    if len(cleaned) > MAX_NAME:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and stem and 0 < len(ext) <= 10:
            cleaned = stem[: MAX_NAME - len(ext) - 1] + "." + ext
        else:
            cleaned = cleaned[:MAX_NAME]
    return cleaned


def _from_row(row: Any) -> StoredFile:
    return StoredFile(
        id=row.id,
        account_id=row.account_id,
        task_id=row.task_id,
        purpose=row.purpose,
        name=row.name,
        content_type=row.content_type,
        size=int(row.size),
        storage_key=row.storage_key,
        created_at=int(row.created_at),
        expires_at=None if row.expires_at is None else int(row.expires_at),
    )


_INSERT = (
    "INSERT INTO files (id, account_id, task_id, purpose, name, content_type, size,"
    " storage_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _insert_steps(stored: StoredFile) -> Steps:
    yield _INSERT, (
        stored.id, stored.account_id, stored.task_id, stored.purpose, stored.name,
        stored.content_type, stored.size, stored.storage_key, stored.created_at,
        stored.expires_at,
    )  # fmt: skip


async def save_file(
    db: Database,
    store: BlobStore,
    *,
    account_id: str,
    task_id: str | None,
    purpose: Purpose,
    name: str,
    content_type: str,
    data: bytes,
    retention_seconds: float,
) -> StoredFile:
    """Write the blob, then its row; returns the stored file."""
    if purpose not in ("result", "upload"):
        raise ValueError(f"unknown file purpose {purpose!r}")
    file_id = secrets.token_urlsafe(24)
    created = current_ms()
    stored = StoredFile(
        id=file_id,
        account_id=account_id,
        task_id=task_id,
        purpose=purpose,
        name=safe_name(name),
        content_type=content_type,
        size=len(data),
        storage_key=f"f/{file_id[:2]}/{file_id}",
        created_at=created,
        expires_at=created + int(retention_seconds * 1000),
    )
    await store.put(stored.storage_key, data, content_type)
    await db.run_steps(partial(_insert_steps, stored))
    return stored


async def save_upload(
    db: Database,
    store: BlobStore,
    *,
    account_id: str,
    name: str,
    content_type: str,
    data: bytes,
    retention_hours: float,
) -> StoredFile:
    """Keep the caller's file as one of its uploads (of no task) for ``retention_hours``."""
    return await save_file(
        db,
        store,
        account_id=account_id,
        task_id=None,
        purpose="upload",
        name=name,
        content_type=content_type,
        data=data,
        retention_seconds=retention_hours * 3600,
    )


async def get_file(db: Database, file_id: str) -> StoredFile | None:
    """The file, or ``None`` when it does not exist or has expired."""
    async with db.read() as conn:
        row = (await conn.execute(select(files).where(files.c.id == file_id))).first()
    if row is None:
        return None
    stored = _from_row(row)
    return None if stored.expired(current_ms()) else stored


async def list_task_files(db: Database, task_id: str) -> list[StoredFile]:
    """A task's files that have not expired, oldest first."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(files)
                .where(files.c.task_id == task_id)
                .order_by(files.c.created_at, files.c.id)
            )
        ).all()
    now = current_ms()
    return [f for f in map(_from_row, rows) if not f.expired(now)]


async def _delete_blobs_then_rows(
    db: Database, store: BlobStore, rows: Sequence[Any], of_what: str
) -> int:
    """Delete each row's blob, then the rows whose blob went; returns how many rows went.

    A blob that cannot be deleted keeps its row, so a later sweep tries again.
    """
    gone: list[str] = []
    for row in rows:
        try:
            await store.delete(row.storage_key)
        except Exception:
            log.exception("could not delete blob %s of %s", row.storage_key, of_what)
            continue
        gone.append(row.id)
    if not gone:
        return 0
    async with db.write() as conn:
        result = await conn.execute(delete(files).where(files.c.id.in_(gone)))
    return int(result.rowcount)


async def sweep_expired(db: Database, store: BlobStore, now_ms: int, limit: int = 500) -> int:
    """Delete up to ``limit`` expired files, blob first; returns how many rows went.

    A blob that cannot be deleted keeps its row, so the next sweep tries again.
    """
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(files.c.id, files.c.storage_key)
                .where(files.c.expires_at.is_not(None) & (files.c.expires_at <= now_ms))
                .order_by(files.c.expires_at)
                .limit(limit)
            )
        ).all()
    return await _delete_blobs_then_rows(db, store, rows, "expired file")


async def delete_task_files(db: Database, store: BlobStore, task_id: str) -> int:
    """Delete a task's files now; returns how many rows went.

    They expire first, so they are invisible at once; a blob that cannot be deleted keeps
    its (expired) row, and ``sweep_expired`` tries again.
    """
    now = current_ms()
    async with db.write() as conn:
        await conn.execute(
            update(files)
            .where(
                (files.c.task_id == task_id)
                & (files.c.expires_at.is_(None) | (files.c.expires_at > now))
            )
            .values(expires_at=now)
        )
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(files.c.id, files.c.storage_key).where(files.c.task_id == task_id)
            )
        ).all()
    return await _delete_blobs_then_rows(db, store, rows, f"task {task_id}")


def absolute_url(base_url: str, path: str) -> str:
    """``path`` (``/files/...``) on ``base_url`` (``https://host[:port][/prefix]``)."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")
