"""The task worker: claims due tasks with a lease, runs their steps, sweeps timeouts.

In the embedded mode it runs inside the server process; ``apiinone worker`` runs it on
its own. Any number of workers may share a database: claims are compare-and-set on the
lease, so a task is worked on by one worker at a time, and a task whose worker died is
taken over once its lease expires.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Sequence

from sqlalchemy import and_, select

from apiinone.db.engine import now_ms
from apiinone.db.tables import tasks
from apiinone.ids import new_id
from apiinone.providers.base import Artifact
from apiinone.runtime import Runtime
from apiinone.storage.files import save_file, sweep_expired
from apiinone.tasks import lifecycle
from apiinone.tasks.finishing import finish_task
from apiinone.tasks.outputs import WrongOutput, output_problem
from apiinone.tasks.rows import TaskRow
from apiinone.tasks.runner import StepRunner
from apiinone.tasks.states import ACTIVE, Status

__all__ = ["TaskWorker"]

log = logging.getLogger("apiinone.worker")

SWEEP_EVERY = 1.0
RETENTION_EVERY = 60.0
MAX_ARTIFACT_BYTES = 2 * 1024**3
# The built-in sandbox draws its own results (a PNG stands in for every image, vectors
# included): only upstream results are checked against what was asked.
SANDBOX = "sandbox"


class TaskWorker:
    def __init__(self, gateway: Runtime, *, concurrency: int | None = None) -> None:
        self.gateway = gateway
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id('w', 6)}"
        self.concurrency = concurrency or gateway.settings.worker_concurrency
        self.steps = StepRunner(gateway, self.owner, self.finish, self.save_artifacts)
        self._inflight: dict[asyncio.Task[None], str] = {}

    async def run(self, stop: asyncio.Event) -> None:
        settings = self.gateway.settings
        lease_ms = int(settings.task_lease_seconds * 1000)
        last_sweep = last_retention = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            claimed: Sequence[TaskRow] = ()
            try:
                free = self.concurrency - len(self._inflight)
                if free > 0:
                    claimed = await lifecycle.claim_due(
                        self.gateway.db,
                        self.owner,
                        lease_ms=lease_ms,
                        limit=free,
                        busy=set(self._inflight.values()),
                    )
                    for row in claimed:
                        self._spawn(row)
                now = loop.time()
                if now - last_sweep >= SWEEP_EVERY:
                    last_sweep = now
                    await self.sweep_timeouts()
                if now - last_retention >= RETENTION_EVERY:
                    last_retention = now
                    await sweep_expired(self.gateway.db, self.gateway.store, now_ms())
            except Exception:
                log.exception("worker loop error; continuing")
                await asyncio.sleep(1.0)
            if not claimed:
                await self.gateway.signals.wait_for_work(0.25)
        await self._drain()

    def _spawn(self, row: TaskRow) -> None:
        task = asyncio.create_task(self.steps.run(row), name=f"step-{row.id}")
        self._inflight[task] = row.id

        def done(t: asyncio.Task[None]) -> None:
            self._inflight.pop(t, None)
            self.gateway.signals.work_available()

        task.add_done_callback(done)

    async def _drain(self, grace: float = 5.0) -> None:
        if not self._inflight:
            return
        _, pending = await asyncio.wait(self._inflight, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def finish(
        self, task_id: str, outcome: lifecycle.Finish, owner: str | None
    ) -> TaskRow | None:
        return await finish_task(self.gateway, task_id, outcome, owner)

    async def save_artifacts(self, row: TaskRow, artifacts: Sequence[Artifact]) -> list[str]:
        """Copy every result, check each is what the task asked for (:mod:`outputs`; raises
        :class:`WrongOutput` before anything is stored), then store them."""
        settings = self.gateway.settings
        fetched: list[tuple[Artifact, bytes]] = []
        for artifact in artifacts:
            data = artifact.data
            if data is None and artifact.url is not None:
                data = await self._download(artifact.url)
            if data is not None:
                fetched.append((artifact, data))
        resolved = self.gateway.catalog.get(row.model)
        if resolved is not None and row.provider != SANDBOX:
            problem = output_problem(resolved.model, row.variant, [data for _, data in fetched])
            if problem is not None:
                raise WrongOutput(problem)
        paths = []
        for artifact, data in fetched:
            stored = await save_file(
                self.gateway.db,
                self.gateway.store,
                account_id=row.account_id,
                task_id=row.id,
                purpose="result",
                name=artifact.name,
                content_type=artifact.content_type,
                data=data,
                retention_seconds=settings.file_retention_hours * 3600,
            )
            paths.append(stored.path)
        return paths

    async def _download(self, url: str) -> bytes:
        """Copy a provider's result before the provider deletes it."""
        async with self.gateway.session.get(url) as response:
            response.raise_for_status()
            chunks = []
            size = 0
            async for chunk in response.content.iter_chunked(256 * 1024):
                size += len(chunk)
                if size > MAX_ARTIFACT_BYTES:
                    raise ValueError(f"result at {url} is larger than {MAX_ARTIFACT_BYTES} bytes")
                chunks.append(chunk)
        return b"".join(chunks)

    async def sweep_timeouts(self) -> int:
        """Fail every active task past its deadline, with a full refund, exactly once."""
        now = now_ms()
        async with self.gateway.db.read() as conn:
            rows = (
                await conn.execute(
                    select(tasks.c.id, tasks.c.deadline_at, tasks.c.created_at)
                    .where(and_(tasks.c.status.in_(ACTIVE), tasks.c.deadline_at < now))
                    .limit(200)
                )
            ).fetchall()
        swept = 0
        for row in rows:
            seconds = (row.deadline_at - row.created_at) // 1000
            outcome = lifecycle.Finish(
                Status.FAILED,
                error_code="timeout",
                error_message=(
                    f"The task did not finish within {seconds} s; the credits were refunded"
                ),
            )
            if await self.finish(row.id, outcome, None) is not None:
                swept += 1
        return swept
