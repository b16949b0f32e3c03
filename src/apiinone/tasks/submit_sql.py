"""A task's submission as SQL steps (``db/steps.py``) for the group writers.

What a submission writes — the account's cap of unfinished tasks, the hold, the task row —
as one operation of a batch: the count and the insert stay in one transaction, and a
refused operation leaves nothing behind (the batch is written again without it). On SQLite
the batch holds the database's write lock; on PostgreSQL the account's row is locked first
(``FOR NO KEY UPDATE``: it does not block the foreign-key checks of other writers), so two
submissions of one account, on any replica, count one after the other.

``insert_tasks_steps`` submits several tasks as one decision (the ``n`` images of one
request): every hold or none, a 402 that names the price of them all. Given the request's
fingerprint, it first looks for the tasks an earlier attempt of the same request made
(``openai_compat/attach.py``) and answers with those instead, holding nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from apiinone.billing.ledger_sql import hold_steps
from apiinone.db.steps import Many, PgStep, StepsOf
from apiinone.errors import InsufficientCredits, TooManyTasks
from apiinone.tasks.rows import COLUMNS, SELECT, TaskRow
from apiinone.tasks.states import ACTIVE

__all__ = ["INSERTED", "Submitted", "insert_tasks_steps", "too_many"]

# Column names come from the table definition, never from a request.
INSERTED = (
    "id", "account_id", "key_id", "mode", "model", "variant", "endpoint", "kind", "status",
    "progress", "price", "hold_id", "consumed_credits", "request", "params", "callback_url",
    "parent_task_id", "provider", "channel", "next_run_at", "attempts", "deadline_at",
    "created_at", "updated_at", "request_fingerprint", "warnings",
)  # fmt: skip
_INSERT = (
    f"INSERT INTO tasks ({', '.join(INSERTED)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in INSERTED)})"
)
_MARKS = ", ".join("?" for _ in ACTIVE)
_COUNT = (
    "SELECT count(*) FROM (SELECT 1 FROM tasks WHERE account_id = ? "  # noqa: S608
    f"AND status IN ({_MARKS}) LIMIT ?) AS unfinished"
)
_PG_LOCK_ACCOUNT = "SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE"
# The newest group of tasks the fingerprint is still on: alive, or ended since ``?`` (ms).
_ATTACHABLE = (
    "SELECT created_at FROM tasks WHERE request_fingerprint = ? AND account_id = ? "  # noqa: S608
    f"AND (status IN ({_MARKS}) OR completed_at >= ?) ORDER BY created_at DESC LIMIT 1"
)
# A group's tasks are written by one operation, with one created_at.
_GROUP = (
    f"SELECT {', '.join(COLUMNS)} FROM tasks WHERE request_fingerprint = ? "  # noqa: S608
    "AND account_id = ? AND created_at = ? ORDER BY id"
)


@dataclass(frozen=True, slots=True)
class Submitted:
    """The tasks of a submission; ``attached``: an earlier attempt's, nothing held now."""

    rows: list[TaskRow]
    attached: bool


def too_many(cap: int) -> TooManyTasks:
    return TooManyTasks(
        f"This account already has {cap} unfinished tasks, its limit; submit more "
        "once some have finished",
        headers={"Retry-After": "1"},
    )


def insert_tasks_steps(
    *,
    cap: int,
    group: Sequence[dict[str, Any]],
    fingerprint: str | None = None,
    ended_since_ms: int = 0,
) -> StepsOf[Submitted]:
    """Insert every task of ``group`` (rows' values of one account, one ``created_at``),
    holding each one's price, or none of them; returns ``Submitted``.

    With a ``fingerprint``, the tasks of the newest group that carries it and is alive, or
    ended at or after ``ended_since_ms``, are answered instead (``attached``)."""
    account_id = group[0]["account_id"]
    if cap or fingerprint is not None:
        yield PgStep(_PG_LOCK_ACCOUNT, (account_id,))  # SQLite sends back SKIPPED
    if fingerprint is not None:
        found = yield _ATTACHABLE, (fingerprint, account_id, *ACTIVE, ended_since_ms)
        if found is not None:
            rows = yield Many(_GROUP, (fingerprint, account_id, found[0]))
            return Submitted([TaskRow(*row) for row in rows], attached=True)
    if cap:
        count = yield _COUNT, (account_id, *ACTIVE, cap)
        if count is not None and int(count[0]) + len(group) > cap:
            raise too_many(cap)
    total = sum(int(values["price"]) for values in group)
    inserted: list[TaskRow] = []
    for values in group:
        try:
            held = yield from hold_steps(
                account_id=account_id,
                mode=values["mode"],
                amount=values["price"],
                key_id=values["key_id"],
                task_id=values["id"],
                model=values["model"],
            )
        except InsufficientCredits:
            if len(group) == 1:
                raise
            # The writer undoes the holds already taken: all of them, or none.
            raise InsufficientCredits(
                f"Insufficient credits: this request needs {total} credits "
                f"({len(group)} tasks). Top up to continue."
            ) from None
        row = {
            "parent_task_id": None,
            "warnings": None,
            **values,
            "hold_id": held.hold_id,
            "request_fingerprint": fingerprint,
        }
        yield _INSERT, tuple(row[name] for name in INSERTED)
        found = yield SELECT, (values["id"],)
        assert found is not None
        inserted.append(TaskRow(*found))
    return Submitted(inserted, attached=False)
