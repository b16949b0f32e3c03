"""The video tasks of an account as OpenAI's Videos API pages, deletes and remixes them.

* **Which tasks are videos**: every task of the video endpoint (``/api/v1/videos/generations``),
  whichever route made it (``/v1/videos``, ``/v1/video/generations`` or the native one), so
  a video is listed where it can be retrieved.
* **Listing**: newest first unless ``order=asc``; ``after`` is a video id of the account
  (deleted ones too, so a page boundary survives a delete); ties on ``created_at`` go by id.
* **Deleting** stamps ``deleted_at`` and deletes the task's files; the row and its ledger
  stay. A deleted video is gone from ``/v1/videos`` (404, not listed).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import and_, or_, select, update

from apiinone.db.engine import now_ms
from apiinone.db.tables import tasks
from apiinone.errors import NotFound
from apiinone.openai_compat.video_render import VIDEO_ENDPOINT
from apiinone.runtime import Runtime
from apiinone.storage.files import delete_task_files
from apiinone.tasks.rows import TaskRow

__all__ = ["Order", "delete_video", "list_videos", "mark_remix"]

Order = Literal["asc", "desc"]


async def _cursor(gateway: Runtime, account_id: str, after: str) -> tuple[int, str]:
    async with gateway.db.read() as conn:
        row = (
            await conn.execute(
                select(tasks.c.created_at, tasks.c.id).where(
                    (tasks.c.id == after)
                    & (tasks.c.account_id == account_id)
                    & (tasks.c.endpoint == VIDEO_ENDPOINT)
                )
            )
        ).first()
    if row is None:
        raise NotFound(f"No video {after}", param="after")
    return int(row.created_at), str(row.id)


async def list_videos(
    gateway: Runtime, account_id: str, *, after: str | None, limit: int, order: Order
) -> tuple[list[TaskRow], bool]:
    """Up to ``limit`` of the account's videos after ``after``, and whether more follow."""
    conditions = [
        tasks.c.account_id == account_id,
        tasks.c.endpoint == VIDEO_ENDPOINT,
        tasks.c.deleted_at.is_(None),
    ]
    ascending = order == "asc"
    if after is not None:
        created, task_id = await _cursor(gateway, account_id, after)
        if ascending:
            conditions.append(
                or_(
                    tasks.c.created_at > created,
                    and_(tasks.c.created_at == created, tasks.c.id > task_id),
                )
            )
        else:
            conditions.append(
                or_(
                    tasks.c.created_at < created,
                    and_(tasks.c.created_at == created, tasks.c.id < task_id),
                )
            )
    sort = (
        (tasks.c.created_at.asc(), tasks.c.id.asc())
        if ascending
        else (tasks.c.created_at.desc(), tasks.c.id.desc())
    )
    stmt = select(tasks).where(and_(*conditions)).order_by(*sort).limit(limit + 1)
    async with gateway.db.read() as conn:
        rows = [TaskRow(*row) for row in await conn.execute(stmt)]
    return rows[:limit], len(rows) > limit


async def delete_video(gateway: Runtime, account_id: str, video_id: str) -> None:
    """Stamp the video deleted (once) and delete its files; a second delete is a 404."""
    async with gateway.db.write() as conn:
        result = await conn.execute(
            update(tasks)
            .where(
                (tasks.c.id == video_id)
                & (tasks.c.account_id == account_id)
                & (tasks.c.endpoint == VIDEO_ENDPOINT)
                & tasks.c.deleted_at.is_(None)
            )
            .values(deleted_at=now_ms())
        )
    if result.rowcount != 1:
        raise NotFound(f"No video {video_id}", param="video_id")
    await delete_task_files(gateway.db, gateway.store, video_id)


async def mark_remix(gateway: Runtime, task_id: str, source_id: str) -> None:
    async with gateway.db.write() as conn:
        await conn.execute(
            update(tasks).where(tasks.c.id == task_id).values(remixed_from=source_id)
        )
