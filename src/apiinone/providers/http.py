"""The generic HTTP job driver: pure translation on one side, I/O on the other.

An HTTP upstream is a :class:`JobTranslator` — pure methods that build an
:class:`HttpRequest` and read an :class:`HttpResponse`, testable on recorded JSON with no
network — driven by :class:`HttpJobProvider`, which owns every byte of I/O and turns
foreign failures into outcomes at the boundary:

- the upstream cannot be reached (connection refused or reset, DNS, timeout):
  ``Failed(retryable=True, code="upstream_unreachable")`` on submit, and a transient
  ``Running`` with a growing delay on poll (a poll that fails once must not fail the task);
- the upstream answers a body we cannot read (:class:`MalformedResponse`, raised by
  :meth:`HttpResponse.json` or by a translator): ``Failed(retryable=True,
  code="upstream_malformed")`` on submit, a transient ``Running`` on poll.

HTTP status codes are the translator's business (``map_error``); an :class:`HttpFailed`
carries the status and the upstream's ``Retry-After`` when there is one. The channel's
credential is never logged, and is scrubbed from every ``Failed`` message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import aiohttp
import orjson

from apiinone.providers.base import (
    Failed,
    JobRequest,
    Outcome,
    PollOutcome,
    ProviderContext,
    Running,
)
from apiinone.redact import Scrubber

__all__ = [
    "TRANSIENT_KEY",
    "ChannelConfig",
    "HttpFailed",
    "HttpJobProvider",
    "HttpRequest",
    "HttpResponse",
    "JobTranslator",
    "MalformedResponse",
    "retry_after_seconds",
]

_log = logging.getLogger(__name__)
_O = TypeVar("_O", bound=Outcome | PollOutcome)

# The driver's own key in a job's state: how many polls in a row failed transiently.
# Translators never see it; it is dropped once a poll gets an answer.
TRANSIENT_KEY = "http_transient_failures"
_MAX_BODY = 16 * 1024 * 1024
_MAX_TRANSIENT_DELAY = 30.0
_MAX_RETRY_AFTER = 3600.0  # a finite wait, whatever the upstream says


class MalformedResponse(ValueError):
    """The upstream answered with a body that cannot be read as what was expected."""


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(repr=False)  # carries the credential
    json: Any | None = None
    data: bytes | None = None
    params: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if self.json is not None and self.data is not None:
            raise ValueError("an HttpRequest has either a json or a data body, not both")


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header's value, whatever the case of its name."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    def json(self) -> Any:
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise MalformedResponse(
                f"the upstream answered HTTP {self.status} with a body that is not JSON "
                f"({len(self.body)} bytes)"
            ) from exc


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """What a channel gives an adapter; the credential is already read by the caller."""

    name: str
    base_url: str
    credential: str = field(repr=False)
    upstream_model: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HttpFailed(Failed):
    """A failure read from an HTTP answer: its status, and how long the upstream asked us
    to wait (``Retry-After``, in seconds) before trying again."""

    status: int | None = None
    retry_after: float | None = None


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(_MAX_RETRY_AFTER, max(0.0, seconds))


class JobTranslator(Protocol):
    """One upstream's protocol as pure functions: no I/O, no clock, no hidden state."""

    def build_submit(self, job: JobRequest, channel: ChannelConfig) -> HttpRequest: ...

    def parse_submit(self, job: JobRequest, response: HttpResponse) -> Outcome: ...

    def build_poll(
        self,
        job: JobRequest,
        channel: ChannelConfig,
        upstream_id: str,
        state: Mapping[str, Any] | None,
    ) -> HttpRequest: ...

    def parse_poll(
        self, job: JobRequest, response: HttpResponse, state: Mapping[str, Any] | None
    ) -> PollOutcome: ...

    def build_cancel(
        self, job: JobRequest, channel: ChannelConfig, upstream_id: str
    ) -> HttpRequest | None: ...

    def map_error(self, response: HttpResponse) -> Failed: ...


class _Unreachable(Exception):
    """No HTTP answer at all; ``reason`` names what happened, never the request's headers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HttpJobProvider:
    """A :class:`~apiinone.providers.base.Provider` speaking HTTP through a translator."""

    def __init__(
        self,
        name: str,
        translator: JobTranslator,
        channel: ChannelConfig,
        *,
        timeout: float = 60,
    ) -> None:
        self.name = name
        self.translator = translator
        self._channel = channel
        self._scrubber = Scrubber(channel.credential)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def __repr__(self) -> str:
        return f"HttpJobProvider(name={self.name!r}, channel={self._channel.name!r})"

    async def submit(self, job: JobRequest, ctx: ProviderContext) -> Outcome:
        request = self.translator.build_submit(job, self._channel)
        try:
            response = await self._send(request, ctx)
            outcome = self.translator.parse_submit(job, response)
        except _Unreachable as exc:
            return Failed(
                message=self._scrub(f"{self.name}: the upstream could not be reached ({exc})"),
                code="upstream_unreachable",
                retryable=True,
            )
        except MalformedResponse as exc:
            _log.warning("%s: unreadable answer to a submission: %s", self.name, exc)
            return Failed(
                message=self._scrub(f"{self.name}: {exc}"),
                code="upstream_malformed",
                retryable=True,
            )
        return self._clean(outcome)

    async def poll(
        self,
        job: JobRequest,
        upstream_id: str,
        state: Mapping[str, Any] | None,
        ctx: ProviderContext,
    ) -> PollOutcome:
        own = dict(state or {})
        failures = own.pop(TRANSIENT_KEY, 0)
        request = self.translator.build_poll(job, self._channel, upstream_id, own or None)
        try:
            response = await self._send(request, ctx)
            outcome = self.translator.parse_poll(job, response, own or None)
        except (_Unreachable, MalformedResponse) as exc:
            count = (failures if isinstance(failures, int) else 0) + 1
            _log.warning(
                "%s: poll of %s failed transiently (%d): %s", self.name, upstream_id, count, exc
            )
            return Running(
                poll_after=min(_MAX_TRANSIENT_DELAY, 2.0 ** (count - 1)),
                state={**own, TRANSIENT_KEY: count},
            )
        if isinstance(outcome, Running) and outcome.state is None and failures:
            outcome = replace(outcome, state=own)  # the streak is over: forget it
        return self._clean(outcome)

    async def cancel(self, job: JobRequest, upstream_id: str, ctx: ProviderContext) -> None:
        request = self.translator.build_cancel(job, self._channel, upstream_id)
        if request is None:
            return
        try:
            response = await self._send(request, ctx)
        except (_Unreachable, MalformedResponse) as exc:
            _log.warning("%s: cancel of %s not delivered: %s", self.name, upstream_id, exc)
            return
        if response.status >= 400:
            _log.info("%s: cancel of %s answered HTTP %d", self.name, upstream_id, response.status)

    async def _send(self, request: HttpRequest, ctx: ProviderContext) -> HttpResponse:
        headers = dict(request.headers)
        body = request.data
        if request.json is not None:
            body = orjson.dumps(request.json)
            if not any(key.lower() == "content-type" for key in headers):
                headers["Content-Type"] = "application/json"
        try:
            async with ctx.session.request(
                request.method,
                request.url,
                headers=headers,
                params=dict(request.params) if request.params else None,
                data=body,
                timeout=self._timeout,
                allow_redirects=False,
            ) as resp:
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > _MAX_BODY:
                        raise MalformedResponse(
                            f"the upstream's answer is larger than {_MAX_BODY} bytes"
                        )
                    chunks.append(chunk)
                return HttpResponse(
                    status=resp.status,
                    headers=dict(resp.headers),
                    body=self._scrub_bytes(b"".join(chunks)),
                )
        except TimeoutError as exc:  # aiohttp's timeouts subclass it too
            raise _Unreachable(f"no answer within {self._timeout.total:g} s") from exc
        except (aiohttp.ClientError, OSError) as exc:
            _log.warning(
                "%s: %s %s failed: %s",
                self.name,
                request.method,
                _where(request.url),
                type(exc).__name__,
            )
            raise _Unreachable(type(exc).__name__) from exc

    def _scrub_bytes(self, body: bytes) -> bytes:
        """A hostile or careless upstream may echo our credential (in an error that quotes
        the request's headers): the translator never sees it, so no message, state or
        stored response can carry it. Only the whole credential token is replaced
        (:class:`~apiinone.redact.Scrubber`); every other byte passes unchanged."""
        return self._scrubber.bytes(body)

    def _scrub(self, text: str) -> str:
        return self._scrubber.text(text)

    def _clean(self, outcome: _O) -> _O:
        if isinstance(outcome, Failed):
            message = self._scrub(outcome.message)
            if message != outcome.message:
                return replace(outcome, message=message)
        return outcome


def _where(url: str) -> str:
    """A URL fit for a log line: no query string (some upstreams put keys there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
