"""The built-in sandbox provider: real files made locally, no keys, no network.

It behaves like an async upstream: ``submit`` accepts the job at once, ``poll`` reports
progress until the simulated processing time has passed, then makes the files. Nothing
it needs lives outside the task row, so a restarted gateway simply polls again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from apiinone.media import MediaError
from apiinone.providers.base import (
    Failed,
    JobRequest,
    Outcome,
    PollOutcome,
    ProviderContext,
    Running,
    Submitted,
)
from apiinone.providers.sandbox.jobs import run_job
from apiinone.providers.sandbox.magic import read_magic

__all__ = ["SandboxProvider"]

# Simulated processing time per kind of model, in seconds (divided by settings.sandbox_speed).
BASE_SECONDS = {"image": 1.0, "video": 3.0, "music": 3.0, "speech": 1.0, "tool": 0.5}


class SandboxProvider:
    name = "sandbox"
    idempotent_submit = True  # nothing leaves the process, so a resubmission is harmless

    async def submit(self, job: JobRequest, ctx: ProviderContext) -> Outcome:
        magic = read_magic(job.params)
        seconds = (
            magic.delay if magic.delay is not None else BASE_SECONDS.get(job.kind, 1.0) / ctx.speed
        )
        now = time.time()
        state = {"started": now, "due": now + seconds, "fail": magic.fail, "hang": magic.timeout}
        return Submitted(
            upstream_id=f"sbx-{job.task_id}", poll_after=min(seconds, 1.0), state=state
        )

    async def poll(
        self,
        job: JobRequest,
        upstream_id: str,
        state: Mapping[str, Any] | None,
        ctx: ProviderContext,
    ) -> PollOutcome:
        state = state or {}
        now = time.time()
        started = float(state.get("started", now))
        due = float(state.get("due", now))
        if state.get("hang"):
            return Running(progress=50, poll_after=2.0)
        if now < due:
            progress = int(100 * (now - started) / max(due - started, 1e-6))
            return Running(progress=progress, poll_after=min(due - now, 1.0))
        if state.get("fail"):
            return Failed(
                "sandbox: failure forced by the prompt (sandbox:fail)",
                code="sandbox_forced_failure",
            )
        try:
            return await run_job(job, ctx)
        except (MediaError, ValueError) as exc:
            return Failed(f"sandbox could not process the request: {exc}", code="invalid_input")

    async def cancel(self, job: JobRequest, upstream_id: str, ctx: ProviderContext) -> None:
        return None
