"""Running tasks for the synchronous /v1 routes: submit, wait, and turn the outcome into
the answer or an error.

* every task completed → their rows;
* some completed, others failed → the completed ones (the failed ones were refunded);
* none completed → 502 ``upstream_error`` with the task's own error message;
* still running when the wait runs out → 503 ``service_unavailable`` naming the tasks to
  poll at ``GET /api/v1/tasks/{task_id}`` (they keep running and are billed on success).

When one of several submissions is refused (say 402), the ones already accepted are
canceled, so their holds are released and the client is charged for nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from apiinone.auth.principal import Principal
from apiinone.errors import APIError, ServiceUnavailable, UpstreamError
from apiinone.gateway import Gateway
from apiinone.tasks.control import cancel_task, wait_for_terminal
from apiinone.tasks.states import ACTIVE, Status
from apiinone.tasks.submit import create_task

__all__ = ["outcome", "run_tasks", "submit_all"]


async def submit_all(
    gateway: Gateway, principal: Principal, endpoint: str, bodies: Sequence[dict[str, Any]]
) -> list[Row[Any]]:
    """Create one task per body; all or none (accepted ones are canceled on a refusal)."""
    rows: list[Row[Any]] = []
    try:
        for body in bodies:
            rows.append(await create_task(gateway, principal, endpoint, body))
    except APIError:
        for row in rows:
            with contextlib.suppress(APIError):
                await cancel_task(gateway, principal.account_id, row.id)
        raise
    return rows


def outcome(rows: Sequence[Row[Any]], seconds: float) -> list[Row[Any]]:
    running = [row.id for row in rows if row.status in ACTIVE]
    if running:
        ids = ", ".join(running)
        raise ServiceUnavailable(
            f"The task is still running after {seconds:g} s: {ids}. "
            "Poll GET /api/v1/tasks/{task_id} for its result",
            headers={"Retry-After": "5"},
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
    gateway: Gateway,
    principal: Principal,
    endpoint: str,
    bodies: Sequence[dict[str, Any]],
    seconds: float,
) -> list[Row[Any]]:
    """Submit every body as a task, wait up to ``seconds`` for all, return the completed."""
    rows = await submit_all(gateway, principal, endpoint, bodies)
    finished = await asyncio.gather(
        *(wait_for_terminal(gateway, principal.account_id, row.id, seconds) for row in rows)
    )
    return outcome(finished, seconds)
