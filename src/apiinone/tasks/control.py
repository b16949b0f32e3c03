"""What clients do to their tasks: wait for one, cancel one."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson

from apiinone.db.group_writer import GroupWriter, ReadBusy
from apiinone.errors import InvalidRequest, NotFound
from apiinone.ids import TASK_ID_MAX_LENGTH
from apiinone.runtime import Runtime
from apiinone.tasks import lifecycle
from apiinone.tasks.finishing import finish_task
from apiinone.tasks.rows import SELECT_OWNED, TaskRow
from apiinone.tasks.states import TERMINAL, Status

__all__ = ["cancel_task", "load_task", "load_task_any", "wait_for_terminal"]

log = logging.getLogger("apiinone.tasks")


async def load_task(gateway: Runtime, account_id: str, task_id: str) -> TaskRow:
    if len(task_id) > TASK_ID_MAX_LENGTH:
        raise NotFound(f"No task {task_id[:TASK_ID_MAX_LENGTH]}…")
    row: TaskRow | None
    db = gateway.db
    group = db.group
    try:
        if isinstance(group, GroupWriter):
            found = group.read_row(SELECT_OWNED, (task_id, account_id))  # SQLite: on the loop
        elif (point_reads := db.point_reads) is not None:
            found = await point_reads.row(SELECT_OWNED, (task_id, account_id))  # PostgreSQL
        else:
            raise ReadBusy
        row = None if found is None else TaskRow(*found)
    except ReadBusy:
        async with db.read() as conn:
            row = await lifecycle.get_task(conn, task_id, account_id)
    if row is None:
        raise NotFound(f"No task {task_id}")
    return row


async def load_task_any(gateway: Runtime, task_id: str) -> TaskRow:
    """A task whoever owns it (for provider callbacks, which have no account)."""
    async with gateway.db.read() as conn:
        row = await lifecycle.get_task(conn, task_id)
    if row is None:
        raise NotFound("No such hook")
    return row


async def wait_for_terminal(
    gateway: Runtime, account_id: str, task_id: str, seconds: float
) -> TaskRow:
    """The task once it has ended, or as it is when ``seconds`` run out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        row = await load_task(gateway, account_id, task_id)
        remaining = deadline - loop.time()
        if row.status in TERMINAL or remaining <= 0:
            return row
        await gateway.signals.wait_for_change(task_id, min(remaining, 0.5))


async def cancel_task(gateway: Runtime, account_id: str, task_id: str) -> TaskRow:
    row = await load_task(gateway, account_id, task_id)
    if row.status == Status.CANCELED.value:
        return row
    if row.status in TERMINAL:
        raise InvalidRequest(
            f"Task {task_id} has already ended ({row.status}); it cannot be canceled"
        )
    outcome = lifecycle.Finish(
        Status.CANCELED, error_code="canceled", error_message="Canceled by the client"
    )
    finished = await finish_task(gateway, task_id, outcome, None)
    if finished is None:  # it ended meanwhile
        return await load_task(gateway, account_id, task_id)
    if finished.upstream_id:
        asyncio.create_task(_cancel_upstream(gateway, finished, finished.upstream_id))  # noqa: RUF006
    return finished


async def _cancel_upstream(gateway: Runtime, row: TaskRow, upstream_id: str) -> None:
    """Best effort: tell the provider to stop, so it does not keep working (or billing)."""
    from apiinone.providers.base import JobRequest

    with contextlib.suppress(Exception):
        provider = gateway.providers.provider_for(row.provider, row.channel)
        job = JobRequest(
            task_id=row.id,
            model=row.model,
            variant=row.variant,
            endpoint=row.endpoint,
            kind=row.kind,
            params=orjson.loads(row.params),
        )
        from apiinone.providers.base import ProviderContext

        async def no_fetch(url: str) -> tuple[bytes, str]:
            raise InvalidRequest("no inputs are fetched while canceling")

        await provider.cancel(job, upstream_id, ProviderContext(gateway.session, no_fetch))
