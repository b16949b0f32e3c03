"""Task handles: refresh, wait (with a Rich progress bar), follow events, download, cancel.

``Task`` (sync) and ``AsyncTask`` wrap the task object the gateway answers with::

    task = client.images.generate(model="flux-2", prompt="A lighthouse at dusk")
    task.wait(progress=True)          # raises TaskFailed / TaskCanceled
    task.download("lighthouse.png")

Waiting follows ``GET /api/v1/tasks/{id}/events`` (Server-Sent Events) and falls back to
polling ``GET /api/v1/tasks/{id}`` when the stream is not available.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping
from contextlib import aclosing, closing
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from apiinone.client._base import download_targets, is_terminal
from apiinone.client._progress import ProgressView
from apiinone.client._sse import SSEDecoder
from apiinone.client.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    TaskCanceled,
    TaskError,
    TaskFailed,
    TaskTimeout,
)
from apiinone.client.types import TaskObject, TaskStatus

if TYPE_CHECKING:
    from apiinone.client.async_client import AsyncClient
    from apiinone.client.client import Client

__all__ = ["AsyncTask", "Task"]

KEEPALIVE_GRACE = 20.0  # the gateway sends a comment every 15 s while nothing changes
MAX_RECONNECTS = 3


def _marker(task: Mapping[str, Any]) -> tuple[Any, ...]:
    return (task.get("status"), task.get("progress"), task.get("updated_at"))


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.monotonic()


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _read_timeout(deadline: float | None) -> float:
    left = _remaining(deadline)
    return KEEPALIVE_GRACE if left is None else max(0.1, min(KEEPALIVE_GRACE, left + 0.5))


class _TaskView:
    """The read-only side both handles share."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data: dict[str, Any] = dict(data)

    @property
    def id(self) -> str:
        return str(self.data["task_id"])

    @property
    def model(self) -> str:
        return str(self.data.get("model", ""))

    @property
    def status(self) -> TaskStatus:
        return cast(TaskStatus, self.data.get("status", "IN_PROGRESS"))

    @property
    def phase(self) -> str:
        return str(self.data.get("phase", ""))

    @property
    def progress(self) -> int:
        return int(self.data.get("progress") or 0)

    @property
    def response(self) -> list[str]:
        """The result URLs (served by the gateway, no key needed)."""
        return list(self.data.get("response") or [])

    @property
    def result(self) -> dict[str, Any] | None:
        result = self.data.get("result")
        return result if isinstance(result, dict) else None

    @property
    def error_message(self) -> str | None:
        return self.data.get("error_message")

    @property
    def consumed_credits(self) -> int:
        return int(self.data.get("consumed_credits") or 0)

    @property
    def estimated_credits(self) -> int:
        return int(self.data.get("estimated_credits") or 0)

    @property
    def done(self) -> bool:
        return is_terminal(self.status)

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCESS"

    def to_dict(self) -> TaskObject:
        return cast(TaskObject, dict(self.data))

    def _update(self, data: Mapping[str, Any]) -> None:
        self.data = dict(data)

    def _raise_if_failed(self) -> None:
        if self.status == "FAILED":
            message = self.error_message or "the task failed"
            raise TaskFailed(f"Task {self.id} failed: {message}", self.data)
        if self.status == "CANCELED":
            raise TaskCanceled(f"Task {self.id} was canceled", self.data)

    def _timeout(self, timeout: float | None) -> TaskTimeout:
        return TaskTimeout(
            f"Task {self.id} did not finish within {timeout} s (it is {self.phase or 'running'})",
            self.data,
        )

    def _targets(self, path: str | Path, index: int | None) -> list[tuple[str, Path]]:
        self._raise_if_failed()
        if not self.succeeded:
            raise TaskError(f"Task {self.id} has not finished; wait() for it first", self.data)
        urls = self.response
        if not urls:
            raise TaskError(f"Task {self.id} has no result files", self.data)
        try:
            return download_targets(urls, path, index)
        except IndexError:
            raise TaskError(
                f"Task {self.id} has {len(urls)} result files, not #{index}", self.data
            ) from None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.model} {self.status}>"


class Task(_TaskView):
    """A task of the synchronous :class:`~apiinone.Client`."""

    def __init__(self, client: Client, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self._client = client

    def refresh(self) -> Task:
        self._update(self._client._request("GET", f"/api/v1/tasks/{self.id}"))
        return self

    def cancel(self) -> Task:
        """Cancel the task; its hold is released in full."""
        self._update(self._client._request("POST", f"/api/v1/tasks/{self.id}/cancel"))
        return self

    def events(
        self, *, timeout: float | None = None, poll_interval: float = 1.0
    ) -> Iterator[TaskObject]:
        """Each new state of the task, ending with its terminal state.

        Follows the Server-Sent Events stream, falling back to polling every
        ``poll_interval`` seconds; raises :class:`TaskTimeout` after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.done:
            yield self.to_dict()
            return
        last: tuple[Any, ...] | None = None
        reconnects = 0
        while reconnects < MAX_RECONNECTS:
            try:
                with closing(self._stream(deadline, timeout)) as stream:
                    for task in stream:
                        reconnects = 0
                        if _marker(task) != last:
                            last = _marker(task)
                            yield task
                        if self.done:
                            return
            except APITimeoutError:
                if _expired(deadline):
                    raise self._timeout(timeout) from None
            except (APIConnectionError, APIStatusError):
                break
            reconnects += 1
        yield from self._poll(deadline, timeout, poll_interval, last)

    def _stream(
        self, deadline: float | None, timeout: float | None
    ) -> Generator[TaskObject, None, None]:
        path = f"/api/v1/tasks/{self.id}/events"
        with self._client._open_stream("GET", path, timeout=_read_timeout(deadline)) as lines:
            decoder = SSEDecoder()
            for line in lines:
                if _expired(deadline):
                    raise self._timeout(timeout)
                event = decoder.feed(line)
                if event is not None and event.event == "task":
                    self._update(json.loads(event.data))
                    yield self.to_dict()

    def _poll(
        self,
        deadline: float | None,
        timeout: float | None,
        interval: float,
        last: tuple[Any, ...] | None,
    ) -> Iterator[TaskObject]:
        while True:
            self.refresh()
            if _marker(self.data) != last:
                last = _marker(self.data)
                yield self.to_dict()
            if self.done:
                return
            if _expired(deadline):
                raise self._timeout(timeout)
            left = _remaining(deadline)
            time.sleep(interval if left is None else max(0.0, min(interval, left)))

    def wait(
        self, timeout: float | None = None, *, progress: bool = False, poll_interval: float = 1.0
    ) -> Task:
        """Block until the task ends; raise :class:`TaskFailed` (or :class:`TaskCanceled`)
        unless it succeeded. ``progress=True`` draws a Rich progress bar on stderr."""
        with ProgressView(progress, self.data) as view:
            view.update(self.data)
            for task in self.events(timeout=timeout, poll_interval=poll_interval):
                view.update(task)
        self._raise_if_failed()
        return self

    def download(self, path: str | Path = ".", *, index: int | None = None) -> list[Path]:
        """Save the result files: into ``path`` if it is a directory (keeping their names),
        else as ``path`` (several results: ``name-1.ext``, ``name-2.ext``...).
        ``index`` picks one result. Returns the paths written."""
        if not self.done:
            self.refresh()
        return [self._client._download(url, dest) for url, dest in self._targets(path, index)]


class AsyncTask(_TaskView):
    """A task of :class:`~apiinone.AsyncClient`; the same methods, awaited."""

    def __init__(self, client: AsyncClient, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self._client = client

    async def refresh(self) -> AsyncTask:
        self._update(await self._client._request("GET", f"/api/v1/tasks/{self.id}"))
        return self

    async def cancel(self) -> AsyncTask:
        self._update(await self._client._request("POST", f"/api/v1/tasks/{self.id}/cancel"))
        return self

    async def events(
        self,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (a deadline on the task, not on I/O)
        poll_interval: float = 1.0,
    ) -> AsyncIterator[TaskObject]:
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.done:
            yield self.to_dict()
            return
        last: tuple[Any, ...] | None = None
        reconnects = 0
        while reconnects < MAX_RECONNECTS:
            try:
                async with aclosing(self._stream(deadline, timeout)) as stream:
                    async for task in stream:
                        reconnects = 0
                        if _marker(task) != last:
                            last = _marker(task)
                            yield task
                        if self.done:
                            return
            except APITimeoutError:
                if _expired(deadline):
                    raise self._timeout(timeout) from None
            except (APIConnectionError, APIStatusError):
                break
            reconnects += 1
        async for task in self._poll(deadline, timeout, poll_interval, last):
            yield task

    async def _stream(
        self,
        deadline: float | None,
        timeout: float | None,  # noqa: ASYNC109 (the caller's wait limit, for the message)
    ) -> AsyncGenerator[TaskObject, None]:
        path = f"/api/v1/tasks/{self.id}/events"
        async with self._client._open_stream("GET", path, timeout=_read_timeout(deadline)) as lines:
            decoder = SSEDecoder()
            async for line in lines:
                if _expired(deadline):
                    raise self._timeout(timeout)
                event = decoder.feed(line)
                if event is not None and event.event == "task":
                    self._update(json.loads(event.data))
                    yield self.to_dict()

    async def _poll(
        self,
        deadline: float | None,
        timeout: float | None,  # noqa: ASYNC109 (the caller's wait limit, for the message)
        interval: float,
        last: tuple[Any, ...] | None,
    ) -> AsyncIterator[TaskObject]:
        while True:
            await self.refresh()
            if _marker(self.data) != last:
                last = _marker(self.data)
                yield self.to_dict()
            if self.done:
                return
            if _expired(deadline):
                raise self._timeout(timeout)
            left = _remaining(deadline)
            await asyncio.sleep(interval if left is None else max(0.0, min(interval, left)))

    async def wait(
        self,
        timeout: float | None = None,  # noqa: ASYNC109 (a deadline on the task, not on I/O)
        *,
        progress: bool = False,
        poll_interval: float = 1.0,
    ) -> AsyncTask:
        with ProgressView(progress, self.data) as view:
            view.update(self.data)
            async for task in self.events(timeout=timeout, poll_interval=poll_interval):
                view.update(task)
        self._raise_if_failed()
        return self

    async def download(self, path: str | Path = ".", *, index: int | None = None) -> list[Path]:
        if not self.done:
            await self.refresh()
        return [await self._client._download(url, dest) for url, dest in self._targets(path, index)]
