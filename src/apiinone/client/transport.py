"""Sending requests: retries with backoff, ``Retry-After``, and httpx errors translated.

A request is retried when the gateway answers 429, 500, 502, 503 or 504, or when the
connection fails, up to ``RetryPolicy.max_retries`` times. The delay doubles from
``initial_delay`` up to ``max_delay``, with jitter; a ``Retry-After`` header replaces it
(and one longer than ``max_retry_after`` is not waited for: the error is raised).

The request object is built once and sent again as is, so every attempt carries the same
body and the same ``Idempotency-Key``: the gateway replays the first answer instead of
running (and charging) the request twice. A POST without that header is retried only when
nothing reached the gateway (the connection could not be opened).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from apiinone.client.errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
)

__all__ = [
    "AsyncTransport",
    "RetryPolicy",
    "SyncTransport",
    "mapped_transport_errors",
    "parse_retry_after",
]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a request again."""

    max_retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    statuses: frozenset[int] = field(default=RETRY_STATUSES)

    def backoff(self, retry: int) -> float:
        """The delay before retry number ``retry + 1``: exponential, with equal jitter."""
        ceiling = min(self.max_delay, self.initial_delay * (2.0**retry))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def delay(self, retry: int, retry_after: float | None) -> float | None:
        """Seconds to wait, or ``None`` when the gateway asks for longer than we wait."""
        if retry_after is None:
            return self.backoff(retry)
        if retry_after > self.max_retry_after:
            return None
        return retry_after


@contextmanager
def mapped_transport_errors() -> Iterator[None]:
    """Translate httpx's exceptions into the client's tree."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise APITimeoutError(f"The gateway did not answer in time ({exc})") from exc
    except httpx.UnsupportedProtocol as exc:
        raise ConfigurationError(f"The base URL is not usable: {exc}") from exc
    except httpx.TransportError as exc:
        raise APIConnectionError(f"Could not reach the gateway: {exc}") from exc
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"The URL is not valid: {exc}") from exc


def _repeatable(request: httpx.Request) -> bool:
    return request.method in SAFE_METHODS or "idempotency-key" in request.headers


def _nothing_sent(exc: APIConnectionError) -> bool:
    return isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout)


def _retry_in_flight(request: httpx.Request, response: httpx.Response, retry: int) -> bool:
    """Our first attempt may still be running on the gateway: its 409 means "later"."""
    if retry == 0 or response.status_code != 409 or "idempotency-key" not in request.headers:
        return False
    try:
        return b"still in progress" in response.read()
    except httpx.HTTPError:
        return False


class _Attempts:
    """The bookkeeping of one request's attempts, shared by both transports."""

    def __init__(self, policy: RetryPolicy, request: httpx.Request) -> None:
        self.policy = policy
        self.request = request
        self.retry = 0

    def after_response(self, response: httpx.Response) -> float | None:
        """The delay before another attempt, or ``None`` to return this response."""
        if self.retry >= self.policy.max_retries:
            return None
        if response.status_code in self.policy.statuses:
            return self.policy.delay(
                self.retry, parse_retry_after(response.headers.get("retry-after"))
            )
        if _retry_in_flight(self.request, response, self.retry):
            return self.policy.backoff(self.retry)
        return None

    def after_error(self, exc: APIConnectionError) -> float | None:
        if self.retry >= self.policy.max_retries:
            return None
        if not (_repeatable(self.request) or _nothing_sent(exc)):
            return None
        return self.policy.backoff(self.retry)


class SyncTransport:
    """Sends with ``httpx.Client`` and the retry policy."""

    def __init__(
        self,
        http: httpx.Client,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.policy = policy
        self.sleep = sleep

    def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        attempts = _Attempts(self.policy, request)
        while True:
            try:
                with mapped_transport_errors():
                    response = self.http.send(request, stream=stream)
            except APIConnectionError as exc:
                delay = attempts.after_error(exc)
                if delay is None:
                    raise
            else:
                delay = attempts.after_response(response)
                if delay is None:
                    return response
                response.close()
            self.sleep(delay)
            attempts.retry += 1


class AsyncTransport:
    """Sends with ``httpx.AsyncClient`` and the retry policy."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        policy: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http = http
        self.policy = policy
        self.sleep = sleep

    async def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        attempts = _Attempts(self.policy, request)
        while True:
            try:
                with mapped_transport_errors():
                    response = await self.http.send(request, stream=stream)
            except APIConnectionError as exc:
                delay = attempts.after_error(exc)
                if delay is None:
                    raise
            else:
                if stream and response.status_code == 409:
                    await response.aread()
                delay = attempts.after_response(response)
                if delay is None:
                    return response
                await response.aclose()
            await self.sleep(delay)
            attempts.retry += 1
