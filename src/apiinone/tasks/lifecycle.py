"""Task rows: insert, read, claim with a lease, record progress, finish exactly once.

Every state change is a compare-and-set on ``status`` (and, for a worker, on its lease),
so a transition, and the capture or release that goes with it, happens once even when
two workers or a worker and a cancel race. Finishing a task settles its hold and queues
its webhook in the same transaction. The changes are SQL steps (``transitions_sql.py``)
written through the group-commit writer, so the worker's many small transactions share
commits with the request path's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import tasks
from apiinone.tasks.rows import TaskRow
from apiinone.tasks.states import EVENT_TYPES, Status
from apiinone.tasks.transitions_sql import (
    TerminalSteps,
    claim_steps,
    finish_steps,
    update_held_steps,
)

__all__ = [
    "Finish",
    "claim_due",
    "clear_submitting",
    "finish",
    "get_task",
    "list_tasks",
    "mark_submitting",
    "record_poll",
    "record_submitted",
    "renew_lease",
    "retry_later",
]


@dataclass(frozen=True, slots=True)
class Finish:
    status: Status
    response: Sequence[str] = ()
    result: Mapping[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None


async def get_task(
    conn: AsyncConnection, task_id: str, account_id: str | None = None
) -> TaskRow | None:
    stmt = select(tasks).where(tasks.c.id == task_id)
    if account_id is not None:
        stmt = stmt.where(tasks.c.account_id == account_id)
    row = (await conn.execute(stmt)).first()
    return None if row is None else TaskRow(*row)


async def list_tasks(
    db: Database,
    *,
    account_id: str,
    statuses: Sequence[str] | None,
    model: str | None,
    before: tuple[int, str] | None,
    limit: int,
) -> list[TaskRow]:
    conditions = [tasks.c.account_id == account_id]
    if statuses:
        conditions.append(tasks.c.status.in_(statuses))
    if model:
        conditions.append(tasks.c.model == model)
    if before is not None:
        created, task_id = before
        conditions.append(
            or_(
                tasks.c.created_at < created,
                and_(tasks.c.created_at == created, tasks.c.id < task_id),
            )
        )
    stmt = (
        select(tasks)
        .where(and_(*conditions))
        .order_by(tasks.c.created_at.desc(), tasks.c.id.desc())
        .limit(limit)
    )
    async with db.read() as conn:
        return [TaskRow(*row) for row in await conn.execute(stmt)]


async def claim_due(
    db: Database, owner: str, *, lease_ms: int, limit: int, busy: Collection[str] = ()
) -> list[TaskRow]:
    """Take up to ``limit`` due tasks whose lease is free or expired (``claim_steps``)."""
    return await db.run_steps(
        partial(
            claim_steps,
            owner,
            now=now_ms(),
            lease_ms=lease_ms,
            limit=limit,
            busy=tuple(busy),
            postgres=not db.is_sqlite,
        )
    )


async def _update_held(db: Database, task_id: str, owner: str, **values: Any) -> bool:
    """Change a task this worker holds; False if it lost the task (ended, or taken over)."""
    return await db.run_steps(partial(update_held_steps, task_id, owner, values))


def _released(now: int, delay: float) -> dict[str, Any]:
    """Give the lease back; run the task again after ``delay`` seconds."""
    return {
        "lease_owner": None,
        "lease_until": None,
        "next_run_at": now + int(delay * 1000),
        "updated_at": now,
    }


async def renew_lease(db: Database, task_id: str, owner: str, *, lease_ms: int) -> bool:
    """Keep a task this worker is still working on (a long upstream call)."""
    return await _update_held(db, task_id, owner, lease_until=now_ms() + lease_ms)


async def mark_submitting(
    db: Database, task_id: str, owner: str, *, provider: str, channel: str | None
) -> bool:
    """Record that a submission is about to be sent (before the upstream call), and to
    which channel: after a crash, that channel is the one to ask."""
    now = now_ms()
    return await _update_held(
        db,
        task_id,
        owner,
        status=Status.PROCESSING.value,
        submit_state="submitting",
        provider=provider,
        channel=channel,
        started_at=now,
        updated_at=now,
    )


async def record_submitted(
    db: Database,
    task_id: str,
    owner: str,
    *,
    upstream_id: str,
    state: Mapping[str, Any] | None,
    poll_after: float,
) -> bool:
    return await _update_held(
        db,
        task_id,
        owner,
        upstream_id=upstream_id,
        upstream_state=orjson.dumps(state).decode() if state is not None else None,
        submit_state="submitted",
        progress=0,
        attempts=0,
        **_released(now_ms(), poll_after),
    )


async def record_poll(
    db: Database,
    task_id: str,
    owner: str,
    *,
    progress: int | None,
    state: Mapping[str, Any] | None,
    poll_after: float,
) -> bool:
    values: dict[str, Any] = {"attempts": 0, **_released(now_ms(), poll_after)}
    if progress is not None:
        values["progress"] = max(0, min(99, progress))
    if state is not None:
        values["upstream_state"] = orjson.dumps(state).decode()
    return await _update_held(db, task_id, owner, **values)


async def retry_later(db: Database, task_id: str, owner: str, *, delay: float) -> bool:
    """Give the lease back after a transient error; the task is tried again later."""
    return await _update_held(db, task_id, owner, **_released(now_ms(), delay))


async def finish(
    db: Database,
    task_id: str,
    outcome: Finish,
    *,
    owner: str | None,
    on_terminal: TerminalSteps | None = None,
) -> TaskRow | None:
    """Move an active task to its terminal state, settle its hold, all in one operation
    (``finish_steps``).

    ``owner`` None means "whoever holds it" (cancel, timeout sweep). Returns the updated
    row, or None if the task was no longer active (someone else finished it first).
    """
    return await db.run_steps(
        partial(
            finish_steps,
            task_id,
            status=outcome.status,
            response=list(outcome.response),
            result=outcome.result,
            error_code=outcome.error_code,
            error_message=outcome.error_message,
            owner=owner,
            now=now_ms(),
            on_terminal=on_terminal,
        )
    )


def event_type(status: str) -> str:
    return EVENT_TYPES[Status(status)]


async def clear_submitting(db: Database, task_id: str, owner: str, *, delay: float) -> bool:
    """The provider refused the submission before accepting it: it may be sent again."""
    return await _update_held(db, task_id, owner, submit_state=None, **_released(now_ms(), delay))
