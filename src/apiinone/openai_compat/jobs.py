"""Running tasks for the synchronous /v1 routes: submit, wait, and turn the outcome into
the answer or an error.

* every task completed → their rows;
* some completed, others failed → the completed ones (the failed ones were refunded);
* none completed → 502 ``upstream_error`` with the task's own error message;
* still running when the wait runs out → 503 ``service_unavailable`` naming the tasks to
  poll at ``GET /api/v1/tasks/{task_id}`` (they keep running and are billed on success).

The tasks of one request are one decision: held and written together, or not at all (a
402 names the price of all of them). A retry of the request (same key, same body) attaches
to the tasks its first attempt made instead of making new ones (``attach.py``), so it is
never charged twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from apiinone.auth.principal import Principal
from apiinone.errors import ServiceUnavailable, UpstreamError
from apiinone.openai_compat.attach import ended_since_ms, fingerprint, forget
from apiinone.openai_compat.config import RETRY_AFTER_SECONDS
from apiinone.runtime import Runtime
from apiinone.tasks.control import wait_for_terminal
from apiinone.tasks.rows import TaskRow
from apiinone.tasks.states import ACTIVE, Status
from apiinone.tasks.submit import create_tasks

__all__ = ["Answer", "outcome", "run_tasks"]


@dataclass(frozen=True, slots=True)
class Answer:
    """The completed tasks that made an answer, and what they cost."""

    rows: list[Any]

    @property
    def credits(self) -> int:
        return sum(int(row.consumed_credits) for row in self.rows)

    @property
    def task_ids(self) -> list[str]:
        return [str(row.id) for row in self.rows]

    def headers(self) -> dict[str, str]:
        """``X-Credits-Consumed`` and ``X-Task-Id`` (comma-separated)."""
        return {"X-Credits-Consumed": str(self.credits), "X-Task-Id": ",".join(self.task_ids)}


def outcome(rows: Sequence[TaskRow], seconds: float) -> list[TaskRow]:
    running = [row.id for row in rows if row.status in ACTIVE]
    if running:
        ids = ", ".join(running)
        raise ServiceUnavailable(
            f"The task is still running after {seconds:g} s: {ids}. Send the same request "
            "again to wait for it (it is not charged twice), or poll "
            "GET /api/v1/tasks/{task_id} for its result",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS), "X-Task-Id": ",".join(running)},
        )
    done = [row for row in rows if row.status == Status.COMPLETED.value]
    if done:
        return done
    failed = rows[0]
    message = failed.error_message or "The provider could not complete the task"
    if failed.status == Status.CANCELED.value:
        message = f"The task {failed.id} was canceled"
    raise UpstreamError(f"{message} (task {failed.id}; no credits were charged)")


async def run_tasks(
    gateway: Runtime,
    principal: Principal,
    path: str,
    request_body: Any,
    endpoint: str,
    bodies: Sequence[dict[str, Any]],
    seconds: float,
) -> Answer:
    """Submit every body as a task of ``endpoint`` (or attach to the tasks an earlier
    attempt of the same request to ``path`` made), wait up to ``seconds`` for all, return
    the completed."""
    digest = fingerprint(principal, path, request_body)
    submitted = await create_tasks(
        gateway, principal, endpoint, bodies, fingerprint=digest, ended_since_ms=ended_since_ms()
    )
    rows = sorted(submitted.rows, key=lambda row: str(row.id))
    finished = await asyncio.gather(
        *(wait_for_terminal(gateway, principal.account_id, row.id, seconds) for row in rows)
    )
    if not any(row.status in ACTIVE for row in finished):
        await forget(gateway, digest, [row.id for row in finished])
    return Answer(outcome(finished, seconds))
