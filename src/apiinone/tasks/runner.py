"""One step of one claimed task: submit or poll its provider, then record the outcome."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import orjson

from apiinone.catalog.routing import RouteKey, route_of
from apiinone.errors import APIError
from apiinone.providers.base import (
    Artifact,
    Failed,
    JobRequest,
    Provider,
    ProviderContext,
    Running,
    Submitted,
    Succeeded,
)
from apiinone.runtime import Runtime
from apiinone.tasks import lifecycle
from apiinone.tasks.hooks import hook_url
from apiinone.tasks.outputs import WrongOutput
from apiinone.tasks.references import parent_context, refers_back
from apiinone.tasks.rows import TaskRow
from apiinone.tasks.states import Status

__all__ = ["StepRunner"]

log = logging.getLogger("apiinone.tasks")

MAX_ATTEMPTS = 6
Finisher = Callable[[str, lifecycle.Finish, str | None], Awaitable[TaskRow | None]]
Saver = Callable[[TaskRow, Sequence[Artifact]], Awaitable[list[str]]]


class StepRunner:
    def __init__(self, gateway: Runtime, owner: str, finisher: Finisher, saver: Saver) -> None:
        self.gateway = gateway
        self.owner = owner
        self._finish = finisher
        self._save = saver

    def context(self, row: TaskRow) -> ProviderContext:
        from apiinone.net.fetch import fetch_input

        settings = self.gateway.settings

        async def fetch(url: str) -> tuple[bytes, str]:
            return await fetch_input(
                self.gateway, url, account_id=row.account_id, max_bytes=settings.max_input_bytes
            )

        return ProviderContext(
            session=self.gateway.session, fetch=fetch, speed=settings.sandbox_speed
        )

    async def job(self, row: TaskRow) -> JobRequest:
        parent = None
        if refers_back(row):
            async with self.gateway.db.read() as conn:
                parent = await parent_context(conn, row)
        return JobRequest(
            task_id=row.id,
            model=row.model,
            variant=row.variant,
            endpoint=row.endpoint,
            kind=row.kind,
            params=orjson.loads(row.params),
            parent=parent,
            webhook_url=hook_url(self.gateway.settings, row.id),
        )

    async def run(self, row: TaskRow) -> None:
        heartbeat = asyncio.create_task(self._keep_lease(row.id))
        try:
            await self._run(row)
        finally:
            heartbeat.cancel()

    async def _keep_lease(self, task_id: str) -> None:
        """Renew the lease every third of its length while the step runs, so no other
        worker takes over a task whose upstream call is merely slow."""
        lease = self.gateway.settings.task_lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            if not await lifecycle.renew_lease(
                self.gateway.db, task_id, self.owner, lease_ms=int(lease * 1000)
            ):
                return

    async def _run(self, row: TaskRow) -> None:
        try:
            provider = self.gateway.providers.provider_for(row.provider, row.channel)
            job = await self.job(row)
            ctx = self.context(row)
            if row.upstream_id is None:
                await self._submit(row, provider, job, ctx)
            else:
                state = orjson.loads(row.upstream_state) if row.upstream_state else None
                outcome = await provider.poll(job, row.upstream_id, state, ctx)
                await self._after_poll(row, outcome)
        except APIError as exc:
            # Bad input found while working (an input URL that 404s, a refused address).
            await self._fail(row, exc.type, exc.message)
        except Exception:
            log.exception("task %s step failed (attempt %s)", row.id, row.attempts)
            if row.attempts >= MAX_ATTEMPTS:
                await self._fail(row, "internal_error", "The task failed inside the gateway")
            else:
                await lifecycle.retry_later(
                    self.gateway.db, row.id, self.owner, delay=2.0**row.attempts
                )

    async def _submit(
        self, row: TaskRow, provider: Provider, job: JobRequest, ctx: ProviderContext
    ) -> None:
        if row.submit_state == "submitting" and not getattr(provider, "idempotent_submit", False):
            # A submission was sent but its answer never recorded (a crash in between):
            # sending it again could run (and bill upstream) twice, so stop here.
            await self._fail(
                row,
                "submission_interrupted",
                "The gateway restarted while handing the task to its provider; "
                "the credits were refunded",
            )
            return
        router = self.gateway.providers
        channel: str | None = row.channel
        tried: list[str] = []
        while True:
            if not await lifecycle.mark_submitting(
                self.gateway.db,
                row.id,
                self.owner,
                provider=router.label(channel, provider),
                channel=channel,
            ):
                return
            outcome = await provider.submit(job, ctx)
            if not (isinstance(outcome, Failed) and outcome.retryable):
                break
            # The upstream refused before accepting (connect error, timeout, 429, 5xx):
            # count it against the channel and fail over to the next one.
            router.report(channel, ok=False, error=outcome.message)
            if channel is None:
                break
            tried.append(channel)
            following = router.candidates(row.model, route=self._route(row, job), exclude=tried)
            if not following:
                break
            provider, channel = following[0].provider, following[0].name  # type: ignore[assignment]
        if isinstance(outcome, Failed) and outcome.retryable:
            if row.attempts < MAX_ATTEMPTS:
                delay = 2.0**row.attempts
                await lifecycle.clear_submitting(self.gateway.db, row.id, self.owner, delay=delay)
            else:
                await self._fail(row, outcome.code, outcome.message)
            return
        router.report(channel, ok=True)  # a client-side 4xx is no fault of the channel
        if isinstance(outcome, Submitted):
            await lifecycle.record_submitted(
                self.gateway.db,
                row.id,
                self.owner,
                upstream_id=outcome.upstream_id,
                state=outcome.state,
                poll_after=outcome.poll_after,
            )
            await self.gateway.task_changed(row.id)
        elif isinstance(outcome, Succeeded):
            await self._succeed(row, outcome)
        else:
            await self._fail(row, outcome.code, outcome.message)

    def _route(self, row: TaskRow, job: JobRequest) -> RouteKey | None:
        """The task's variant and mode: failover goes only to channels that bind them."""
        found = self.gateway.catalog.get(row.model)
        if found is None or found.model.slug != row.model:
            return None
        return route_of(found.model, row.variant, job.params)

    async def _after_poll(self, row: TaskRow, outcome: Running | Succeeded | Failed) -> None:
        if isinstance(outcome, Running):
            await lifecycle.record_poll(
                self.gateway.db,
                row.id,
                self.owner,
                progress=outcome.progress,
                state=outcome.state,
                poll_after=outcome.poll_after,
            )
            await self.gateway.task_changed(row.id)
        elif isinstance(outcome, Succeeded):
            await self._succeed(row, outcome)
        else:
            await self._fail(row, outcome.code, outcome.message)

    async def _succeed(self, row: TaskRow, outcome: Succeeded) -> None:
        try:
            paths = await self._save(row, outcome.artifacts)
        except WrongOutput as wrong:
            await self._fail(row, "upstream_wrong_output", wrong.message)
            return
        result = _filled(outcome.result, paths) if outcome.result is not None else None
        await self._finish(
            row.id,
            lifecycle.Finish(Status.COMPLETED, response=paths, result=result),
            self.owner,
        )

    async def _fail(self, row: TaskRow, code: str, message: str) -> None:
        await self._finish(
            row.id,
            lifecycle.Finish(Status.FAILED, error_code=code, error_message=message),
            self.owner,
        )


def _filled(result: Mapping[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """A provider's result with its ``"artifact:N"`` placeholders replaced by stored file
    paths."""
    return {key: _fill(value, paths) for key, value in result.items()}


def _fill(value: object, paths: Sequence[str]) -> object:
    if isinstance(value, str) and value.startswith("artifact:"):
        index = int(value.split(":", 1)[1])
        return paths[index] if 0 <= index < len(paths) else None
    if isinstance(value, dict):
        return {k: _fill(v, paths) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, paths) for v in value]
    return value
