"""A task row as the SQL steps read it: every column of ``tasks``, by name and in order
(``tests/tasks/test_rows.py`` holds the two together)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["COLUMNS", "RETURNING", "SELECT", "SELECT_OWNED", "TaskRow"]


class TaskRow(NamedTuple):
    id: str
    account_id: str
    key_id: str | None
    mode: str
    model: str
    variant: str | None
    endpoint: str
    kind: str
    status: str
    progress: int | None
    price: int
    hold_id: str | None
    consumed_credits: int
    error_code: str | None
    error_message: str | None
    request: str
    params: str
    response: str | None
    result: str | None
    callback_url: str | None
    parent_task_id: str | None
    provider: str
    channel: str | None
    upstream_id: str | None
    upstream_state: str | None
    submit_state: str | None
    lease_owner: str | None
    lease_until: int | None
    next_run_at: int
    attempts: int
    deadline_at: int
    created_at: int
    updated_at: int
    started_at: int | None
    completed_at: int | None
    request_fingerprint: str | None
    deleted_at: int | None
    remixed_from: str | None
    warnings: str | None


COLUMNS = TaskRow._fields
# Column names come from the table definition, never from a request.
SELECT = f"SELECT {', '.join(COLUMNS)} FROM tasks WHERE id = ?"  # noqa: S608
SELECT_OWNED = SELECT + " AND account_id = ?"
RETURNING = " RETURNING " + ", ".join(COLUMNS)
