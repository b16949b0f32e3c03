"""A task's state changes as SQL steps (``db/steps.py``), for ``Database.run_steps``.

Every change is a compare-and-set: a worker's on the lease it holds (``lease_owner`` and an
active status), a finish on the active status alone or with the lease. The claim takes due
tasks whose lease is free or expired; on PostgreSQL it skips rows another worker has
locked instead of queueing behind them. Finishing settles the task's hold in the same
operation (``billing/ledger_sql.py``) and runs the caller's ``on_terminal`` steps there
too (the webhook's outbox row), so a terminal state, its money and its webhook are written
together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import orjson

from apiinone.billing.ledger_sql import settle_steps
from apiinone.db.steps import Many, Steps, StepsOf
from apiinone.tasks.rows import COLUMNS, RETURNING, TaskRow
from apiinone.tasks.states import ACTIVE, Status

__all__ = ["claim_steps", "finish_steps", "update_held_steps"]

_ACTIVE = f"status IN ({', '.join('?' for _ in ACTIVE)})"
_DUE = f"{_ACTIVE} AND next_run_at <= ? AND (lease_until IS NULL OR lease_until < ?)"
# Column names come from the table definition (rows.py), never from a request.
_CLAIM = (
    "UPDATE tasks SET lease_owner = ?, lease_until = ?, attempts = attempts + 1,"  # noqa: S608
    " updated_at = ? WHERE id IN (SELECT id FROM tasks WHERE {due}"
    " ORDER BY next_run_at LIMIT ?{lock})" + RETURNING
)
_HELD = f" WHERE id = ? AND lease_owner = ? AND {_ACTIVE} RETURNING id"
_FINISH = (
    "UPDATE tasks SET status = ?, progress = {progress}, consumed_credits = {consumed},"  # noqa: S608
    " response = ?, result = ?, error_code = ?, error_message = ?, lease_owner = NULL,"
    f" lease_until = NULL, updated_at = ?, completed_at = ? WHERE id = ? AND {_ACTIVE}"
)
_FINISH_COMPLETED = _FINISH.format(progress="100", consumed="price")
_FINISH_ENDED = _FINISH.format(progress="progress", consumed="0")
_SETTABLE = frozenset(COLUMNS) - {"id", "account_id"}

TerminalSteps = Callable[[TaskRow], Steps | None]


def claim_steps(
    owner: str,
    *,
    now: int,
    lease_ms: int,
    limit: int,
    busy: Collection[str] = (),
    postgres: bool = False,
) -> StepsOf[list[TaskRow]]:
    """Lease up to ``limit`` due tasks to ``owner``; their rows, the soonest due first.

    ``busy`` are tasks this worker is still working on: never claimed twice by one worker,
    even when a step outlives its lease."""
    due = _DUE
    params: list[Any] = [owner, now + lease_ms, now, *ACTIVE, now, now]
    if busy:
        due += f" AND id NOT IN ({', '.join('?' for _ in busy)})"
        params += list(busy)
    sql = _CLAIM.format(due=due, lock=" FOR UPDATE SKIP LOCKED" if postgres else "")
    rows = yield Many(sql, (*params, limit))
    claimed = [TaskRow(*row) for row in rows]
    claimed.sort(key=lambda row: row.next_run_at)
    return claimed


def update_held_steps(task_id: str, owner: str, values: Mapping[str, Any]) -> StepsOf[bool]:
    """Change a task ``owner`` holds; False if it lost the task (ended, or taken over)."""
    unknown = set(values) - _SETTABLE
    if unknown:
        raise ValueError(f"not task columns: {sorted(unknown)}")
    sets = ", ".join(f"{name} = ?" for name in values)
    sql = f"UPDATE tasks SET {sets}" + _HELD  # noqa: S608 (names checked against COLUMNS)
    row = yield sql, (*values.values(), task_id, owner, *ACTIVE)
    return row is not None


def finish_steps(
    task_id: str,
    *,
    status: Status,
    response: list[str],
    result: Mapping[str, Any] | None,
    error_code: str | None,
    error_message: str | None,
    owner: str | None,
    now: int,
    on_terminal: TerminalSteps | None = None,
) -> StepsOf[TaskRow | None]:
    """Move an active task to ``status``, settle its hold (captured in full when completed,
    released otherwise), then run ``on_terminal(row)``. The updated row, or None if the task
    was no longer active (or no longer ``owner``'s): someone else finished it first."""
    completed = status is Status.COMPLETED
    sql = _FINISH_COMPLETED if completed else _FINISH_ENDED
    params: tuple[Any, ...] = (
        status.value,
        orjson.dumps(response).decode(),
        orjson.dumps(result).decode() if result is not None else None,
        error_code,
        error_message,
        now,
        now,
        task_id,
        *ACTIVE,
    )
    if owner is not None:
        sql += " AND lease_owner = ?"
        params += (owner,)
    found = yield sql + RETURNING, params
    if found is None:
        return None
    row = TaskRow(*found)
    if row.hold_id is not None:
        yield from settle_steps(row.hold_id, None if completed else 0)
    more = on_terminal(row) if on_terminal is not None else None
    if more is not None:
        yield from more
    return row
