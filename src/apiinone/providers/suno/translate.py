"""Suno through a reseller API, as pure translation (no I/O).

Suno has no official API. sunoapi.org and kie.ai resell it with the same wire format
(https://docs.sunoapi.org, https://docs.kie.ai/suno-api): ``Authorization: Bearer <key>``,
JSON bodies, and every answer the envelope ``{code, msg, data}`` where ``code`` is the
reseller's status, so a failure can come inside an HTTP 200.

One channel serves our five Suno models; ``job.endpoint`` (or ``job.model``) picks the
reseller route:

=============================================  =========================================
ours                                           reseller
=============================================  =========================================
``POST /api/v1/audio/music`` (suno)            ``POST /api/v1/generate``
``POST .../music/extend`` (suno-extend)        ``POST /api/v1/generate/extend``
``POST .../upload-cover/generate``             ``POST /api/v1/generate/upload-cover``
``POST .../cover/generate`` (suno-cover)       ``POST /api/v1/suno/cover/generate``
``POST .../timestamped-lyrics`` (suno-lyrics)  ``POST /api/v1/generate/get-timestamped-lyrics``
=============================================  =========================================

The first three are polled with ``GET /api/v1/generate/record-info?taskId=``, cover art
with ``GET /api/v1/suno/cover/record-info?taskId=``; timestamped lyrics answer at once.
Envelope codes: 200 ok; 400 bad parameters (on cover art, with the existing ``taskId``
when a cover was already made); 401 bad key; 402 no credits (kie.ai); 404; 405 rate limit;
409 conflict; 413 prompt too long; 422; 429 "insufficient credits" on sunoapi.org but a
rate limit elsewhere; 430 call frequency too high; 451; 455 maintenance; 500 server error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apiinone.providers.base import (
    Failed,
    JobRequest,
    Outcome,
    PollOutcome,
    Running,
    Submitted,
    Succeeded,
)
from apiinone.providers.http import (
    ChannelConfig,
    HttpFailed,
    HttpRequest,
    HttpResponse,
    MalformedResponse,
    retry_after_seconds,
)
from apiinone.providers.suno.bodies import (
    SunoInputError,
    cover_body,
    extend_body,
    generate_body,
    lyrics_body,
    upload_cover_body,
)
from apiinone.providers.suno.options import SunoOptions
from apiinone.providers.suno.records import (
    Envelope,
    clip_text,
    read_cover,
    read_envelope,
    read_lyrics,
    read_record,
)

__all__ = ["ROUTES", "SunoTranslator", "route_of"]

GENERATE, EXTEND, UPLOAD_COVER, COVER, LYRICS = (
    "generate",
    "extend",
    "upload-cover",
    "cover",
    "lyrics",
)
ROUTES: Mapping[str, str] = {
    "/api/v1/audio/music": GENERATE,
    "/api/v1/audio/music/extend": EXTEND,
    "/api/v1/audio/music/upload-cover/generate": UPLOAD_COVER,
    "/api/v1/audio/music/cover/generate": COVER,
    "/api/v1/audio/music/timestamped-lyrics": LYRICS,
}
_BY_MODEL: Mapping[str, str] = {
    "suno": GENERATE,
    "suno-extend": EXTEND,
    "suno-upload-cover": UPLOAD_COVER,
    "suno-cover": COVER,
    "suno-lyrics": LYRICS,
}
_PATHS: Mapping[str, str] = {
    GENERATE: "/api/v1/generate",
    EXTEND: "/api/v1/generate/extend",
    UPLOAD_COVER: "/api/v1/generate/upload-cover",
    COVER: "/api/v1/suno/cover/generate",
    LYRICS: "/api/v1/generate/get-timestamped-lyrics",
}
_RECORD = "/api/v1/generate/record-info"
_COVER_RECORD = "/api/v1/suno/cover/record-info"
_RATE_LIMITED = frozenset({405, 408, 429, 430})
_UNAVAILABLE = frozenset({455})


def route_of(job: JobRequest) -> str | None:
    return ROUTES.get(job.endpoint) or _BY_MODEL.get(job.model)


@dataclass(frozen=True, slots=True)
class SunoTranslator:
    """Pure: every method is a function of its arguments."""

    poll_seconds: float = 10.0

    # -- submit ---------------------------------------------------------------------

    def build_body(self, job: JobRequest, channel: ChannelConfig) -> dict[str, Any]:
        """The reseller body; :class:`SunoInputError` when this channel cannot send it."""
        options = SunoOptions.read(channel.options)
        callback = options.callback(job.webhook_url)
        route = route_of(job)
        if route == GENERATE:
            return generate_body(job, options, channel.upstream_model, callback)
        if route == EXTEND:
            return extend_body(job, options, channel.upstream_model, callback)
        if route == UPLOAD_COVER:
            return upload_cover_body(job, options, channel.upstream_model, callback)
        if route == COVER:
            return cover_body(job, callback)
        if route == LYRICS:
            return lyrics_body(job)
        raise SunoInputError(f"a Suno channel cannot serve {job.endpoint}", code="unsupported")

    def refusal(self, job: JobRequest, channel: ChannelConfig) -> Failed | None:
        """Why this job cannot be sent at all (checked before anything goes out)."""
        try:
            self.build_body(job, channel)
        except SunoInputError as exc:
            return Failed(message=f"Suno: {exc}", code=exc.code)
        return None

    def build_submit(self, job: JobRequest, channel: ChannelConfig) -> HttpRequest:
        body = self.build_body(job, channel)
        path = _PATHS[route_of(job) or ""]
        return HttpRequest("POST", channel.base_url + path, headers=_headers(channel), json=body)

    def parse_submit(self, job: JobRequest, response: HttpResponse) -> Outcome:
        if response.status != 200:
            return self.map_error(response)
        envelope = read_envelope(response)
        if route_of(job) == LYRICS:
            if envelope.code != 200:
                return self._failure(envelope, response)
            return Succeeded(result=read_lyrics(envelope.data))
        task_id = _task_id(envelope.data)
        if envelope.code == 200 or (route_of(job) == COVER and envelope.code == 400 and task_id):
            # 400 with a taskId on cover art: a cover was already made for the song; poll it
            if task_id is None:
                raise MalformedResponse("the Suno reseller accepted the task without a taskId")
            return Submitted(upstream_id=task_id, poll_after=self.poll_seconds)
        return self._failure(envelope, response)

    # -- poll -----------------------------------------------------------------------

    def build_poll(
        self,
        job: JobRequest,
        channel: ChannelConfig,
        upstream_id: str,
        state: Mapping[str, Any] | None,
    ) -> HttpRequest:
        route = route_of(job)
        if route == LYRICS:  # answered at submission; asking again is a read
            return self.build_submit(job, channel)
        path = _COVER_RECORD if route == COVER else _RECORD
        return HttpRequest(
            "GET",
            channel.base_url + path,
            headers=_headers(channel),
            params={"taskId": upstream_id},
        )

    def parse_poll(
        self, job: JobRequest, response: HttpResponse, state: Mapping[str, Any] | None
    ) -> PollOutcome:
        if response.status != 200:
            failure = self.map_error(response)
        else:
            envelope = read_envelope(response)
            if envelope.code == 200:
                return self._read(job, envelope.data)
            failure = self._failure(envelope, response)
        if failure.retryable:  # the task still runs upstream: ask again later
            wait = failure.retry_after if isinstance(failure, HttpFailed) else None
            return Running(poll_after=max(wait or 0.0, 2 * self.poll_seconds))
        return failure

    def _read(self, job: JobRequest, data: Any) -> PollOutcome:
        route = route_of(job)
        if route == COVER:
            return read_cover(data, self.poll_seconds)
        if route == LYRICS:
            return Succeeded(result=read_lyrics(data))
        return read_record(job, data, self.poll_seconds)

    # -- cancel and errors ----------------------------------------------------------

    def build_cancel(
        self, job: JobRequest, channel: ChannelConfig, upstream_id: str
    ) -> HttpRequest | None:
        return None  # the resellers document no cancel

    def map_error(self, response: HttpResponse) -> Failed:
        """An answer other than HTTP 200: its envelope's code when it has one, else the
        HTTP status."""
        try:
            envelope = read_envelope(response)
        except MalformedResponse:
            envelope = Envelope(code=response.status, msg="", data=None)
        if envelope.code == 200:  # an HTTP error around a success envelope: trust HTTP
            envelope = Envelope(code=response.status, msg=envelope.msg, data=None)
        return self._failure(envelope, response)

    def _failure(self, envelope: Envelope, response: HttpResponse) -> HttpFailed:
        code = envelope.code
        detail = f": {envelope.msg}" if envelope.msg else ""
        message = clip_text(f"Suno reseller answered code {code}{detail}")
        wait = retry_after_seconds(response.header("Retry-After"))
        if code in _RATE_LIMITED:
            kind, retryable = "upstream_rate_limited", True
        elif code in _UNAVAILABLE or code >= 500:
            kind, retryable = "upstream_unavailable", True
        elif code in (401, 403):
            kind, retryable = "upstream_auth_failed", False
        elif code == 402:
            kind, retryable = "upstream_insufficient_credits", False
        elif code == 404:
            kind, retryable = "upstream_not_found", False
        else:
            kind, retryable = "upstream_rejected", False
        return HttpFailed(
            message=message,
            code=kind,
            retryable=retryable,
            status=response.status,
            retry_after=wait if retryable else None,
        )


def _headers(channel: ChannelConfig) -> dict[str, str]:
    return {"Authorization": f"Bearer {channel.credential}", "Accept": "application/json"}


def _task_id(data: Any) -> str | None:
    value = data.get("taskId") if isinstance(data, Mapping) else None
    return value if isinstance(value, str) and value else None
