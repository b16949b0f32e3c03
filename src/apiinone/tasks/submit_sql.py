"""A task's submission as SQL steps (``db/steps.py``) for the group writers.

What ``submit._insert`` writes in its transaction — the account's cap of unfinished
tasks, the hold, the task row — as one operation of a batch: the count and the insert stay
in one transaction, and a refused operation leaves nothing behind (the batch is written
again without it). On SQLite the batch holds the database's write lock; on PostgreSQL the
account's row is locked first (``FOR NO KEY UPDATE``, as ``submit._check_concurrency``
does), so two submissions of one account, on any replica, count one after the other.
Submissions that refer to earlier work keep the SQLAlchemy path.
"""

from __future__ import annotations

from typing import Any

from apiinone.billing.ledger_sql import hold_steps
from apiinone.db.steps import PgStep, Steps
from apiinone.errors import TooManyTasks
from apiinone.tasks.rows import SELECT, TaskRow
from apiinone.tasks.states import ACTIVE

__all__ = ["INSERTED", "insert_task_steps", "too_many"]

# Column names come from the table definition, never from a request.
INSERTED = (
    "id", "account_id", "key_id", "mode", "model", "variant", "endpoint", "kind", "status",
    "progress", "price", "hold_id", "consumed_credits", "request", "params", "callback_url",
    "parent_task_id", "provider", "channel", "next_run_at", "attempts", "deadline_at",
    "created_at", "updated_at",
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


def too_many(cap: int) -> TooManyTasks:
    return TooManyTasks(
        f"This account already has {cap} unfinished tasks, its limit; submit more "
        "once some have finished",
        headers={"Retry-After": "1"},
    )


def insert_task_steps(*, cap: int, values: dict[str, Any]) -> Steps:
    """Check the cap, hold ``values["price"]``, insert the task; returns its row."""
    account_id = values["account_id"]
    if cap:
        yield PgStep(_PG_LOCK_ACCOUNT, (account_id,))  # SQLite sends back SKIPPED
        count = yield _COUNT, (account_id, *ACTIVE, cap)
        if count is not None and int(count[0]) >= cap:
            raise too_many(cap)
    held = yield from hold_steps(
        account_id=account_id,
        mode=values["mode"],
        amount=values["price"],
        key_id=values["key_id"],
        task_id=values["id"],
        model=values["model"],
    )
    row = {"parent_task_id": None, **values, "hold_id": held.hold_id}
    yield _INSERT, tuple(row[name] for name in INSERTED)
    inserted = yield SELECT, (values["id"],)
    assert inserted is not None
    return TaskRow(*inserted)
