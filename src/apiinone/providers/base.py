"""The provider contract for async jobs (media and tools).

The engine drives a job in steps, each a short call that returns one outcome:

    submit(job)          -> Submitted | Succeeded | Failed
    poll(job, upstream)  -> Running | Succeeded | Failed
    cancel(job, upstream)   best effort

The engine stores ``Submitted.upstream_id`` before anything else can go wrong, so a job
handed to its provider is resumed by polling after a crash, never submitted again.
``Succeeded`` carries artifacts as bytes or as provider URLs; the engine copies both
into the gateway's blob store before the provider can delete them.

HTTP upstreams implement this with pure translation (build request / parse response)
kept apart from I/O; the sandbox implements it directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

__all__ = [
    "Artifact",
    "Failed",
    "Fetch",
    "JobRequest",
    "Outcome",
    "PollOutcome",
    "Provider",
    "ProviderContext",
    "Running",
    "Submitted",
    "Succeeded",
]


@dataclass(frozen=True, slots=True)
class JobRequest:
    """What a provider gets: validated parameters with defaults filled in."""

    task_id: str
    model: str
    variant: str | None
    endpoint: str
    kind: str
    params: Mapping[str, Any]
    parent: Mapping[str, Any] | None = None  # the referenced task's result (extend, cover)
    # Where the provider may POST status changes (set when the gateway has a public URL);
    # a call to it only makes the engine poll at once: the poll stays the source of truth.
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class Artifact:
    content_type: str
    name: str
    data: bytes | None = None
    url: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Submitted:
    upstream_id: str
    poll_after: float = 1.0
    state: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Running:
    progress: int | None = None
    poll_after: float = 1.0
    state: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Succeeded:
    artifacts: Sequence[Artifact] = ()
    result: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    message: str
    code: str = "upstream_failed"
    retryable: bool = False


Outcome = Submitted | Succeeded | Failed
PollOutcome = Running | Succeeded | Failed
Fetch = Callable[[str], Awaitable[tuple[bytes, str]]]


@dataclass(frozen=True, slots=True)
class ProviderContext:
    """What a provider may use for I/O: the shared session and a guarded input fetcher."""

    session: aiohttp.ClientSession
    fetch: Fetch
    speed: float = 1.0


class Provider(Protocol):
    name: str

    async def submit(self, job: JobRequest, ctx: ProviderContext) -> Outcome: ...

    async def poll(
        self,
        job: JobRequest,
        upstream_id: str,
        state: Mapping[str, Any] | None,
        ctx: ProviderContext,
    ) -> PollOutcome: ...

    async def cancel(self, job: JobRequest, upstream_id: str, ctx: ProviderContext) -> None: ...
