"""fal's queue API as pure translation (no I/O).

Wire format (fal docs "Asynchronous Inference", "Queue API", "Inference API", "Model
Errors", "Request Error Types"; the ``fal-client`` SDK's ``client.py``):

- submit: ``POST {base}/{owner}/{app}[/{path}]``, the app's input as the JSON body,
  ``Authorization: Key <key>``; ``?fal_webhook=<url>`` asks fal to POST the outcome there.
  It answers ``{request_id, response_url, status_url, cancel_url}`` (newer answers add
  ``gateway_request_id``, ``status: "IN_QUEUE"`` and ``queue_position``);
- status: ``GET {base}/{owner}/{app}/requests/{id}/status?logs=1`` → ``{status:
  IN_QUEUE | IN_PROGRESS | COMPLETED, queue_position (in queue), logs [{message, level,
  source, timestamp}], metrics (completed)}``, HTTP 202 until complete, then 200. The status,
  result and cancel URLs name the owner and app only, never the endpoint path (the SDK's
  ``AppId``: ``workflows/`` and ``comfy/`` are namespaces before the owner);
- result: ``GET {base}/{owner}/{app}/requests/{id}`` → the app's output JSON;
- cancel: ``PUT {base}/{owner}/{app}/requests/{id}/cancel``;
- errors: a model's validation errors are ``422 {"detail": [{loc, msg, type}]}``; a
  platform failure is ``{"detail": "<text>", "error_type": "<code>"}``, the code repeated in
  the ``X-Fal-Error-Type`` header. A request that failed still ends ``COMPLETED``, its
  status carrying ``error`` and ``error_type``.

Polling has two phases: the status until it is COMPLETED, then the result, fetched by the
next poll at once (``state["phase"] == "result"``). fal has no idempotency key, so a
submission whose answer was lost is never sent again (the engine's rule). The key is only
ever sent to the channel's own origin: URLs fal hands back elsewhere are rebuilt from the
base URL by fal's conventions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from apiinone.providers.base import (
    Failed,
    JobRequest,
    Outcome,
    PollOutcome,
    Running,
    Submitted,
    Succeeded,
)
from apiinone.providers.failures import retryable_status, status_failure
from apiinone.providers.fal.bodies import fal_body
from apiinone.providers.fal.outputs import FILE_KEYS, read_fal_output
from apiinone.providers.http import (
    ChannelConfig,
    HttpRequest,
    HttpResponse,
    MalformedResponse,
    retry_after_seconds,
)
from apiinone.providers.image_led import without_image_led

__all__ = ["FalApp", "FalTranslator", "parse_app"]

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_NAMESPACES = frozenset({"workflows", "comfy"})
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_FRACTION = re.compile(r"\b(\d{1,6})\s*/\s*(\d{1,6})\b")
_STATUS_URLS = ("status_url", "response_url", "cancel_url")
_MESSAGE_LIMIT = 500
# The app refused the input (422): sending it again won't help.
_OWN_CODES: Mapping[int, str] = {422: "upstream_failed"}
_DETAIL_ITEMS = 5


@dataclass(frozen=True, slots=True)
class FalApp:
    """An endpoint id: ``[namespace/]owner/app[/path]``."""

    namespace: str | None
    owner: str
    app: str
    path: str | None

    @property
    def endpoint(self) -> str:
        """Where submissions go: the whole id."""
        suffix = f"/{self.path}" if self.path else ""
        return f"{self.queue_path}{suffix}"

    @property
    def queue_path(self) -> str:
        """Where a request's status, result and cancel live: no endpoint path."""
        prefix = f"{self.namespace}/" if self.namespace else ""
        return f"{prefix}{self.owner}/{self.app}"


def parse_app(text: str) -> FalApp:
    parts = text.strip("/").split("/")
    if not all(_SEGMENT.fullmatch(p) for p in parts):
        parts = []
    namespace = parts[0] if len(parts) >= 3 and parts[0] in _NAMESPACES else None
    rest = parts[1:] if namespace else parts
    if len(rest) < 2:
        raise ValueError(
            f"not a fal endpoint id: {text!r} (expected owner/app[/path], "
            "e.g. fal-ai/flux-2-pro or fal-ai/kling-video/v3/standard/text-to-video)"
        )
    return FalApp(namespace=namespace, owner=rest[0], app=rest[1], path="/".join(rest[2:]) or None)


@dataclass(frozen=True, slots=True)
class FalTranslator:
    """Pure: every method is a function of its arguments."""

    poll_interval: float = 2.0

    # -- submit ---------------------------------------------------------------------

    def build_submit(self, job: JobRequest, channel: ChannelConfig) -> HttpRequest:
        app = parse_app(channel.upstream_model)
        params = {"fal_webhook": job.webhook_url} if job.webhook_url else None
        return HttpRequest(
            "POST",
            f"{channel.base_url}/{app.endpoint}",
            headers=_headers(channel),
            json=without_image_led(
                app.endpoint, fal_body(job.params, channel.options, app.endpoint)
            ),
            params=params,
        )

    def parse_submit(self, job: JobRequest, response: HttpResponse) -> Outcome:
        if response.status not in (200, 201, 202):
            return self.map_error(response)
        body = response.json()
        if not isinstance(body, dict) or not _nonempty(body.get("request_id")):
            raise MalformedResponse("fal answered a submission without a request_id")
        state: dict[str, Any] = {"phase": "status"}
        for key in _STATUS_URLS:
            if _nonempty(body.get(key)):
                state[key] = body[key]
        if _count(body.get("queue_position")) is not None:
            state["queue_position"] = body["queue_position"]
        return Submitted(upstream_id=body["request_id"], poll_after=self.poll_interval, state=state)

    # -- poll -----------------------------------------------------------------------

    def build_poll(
        self,
        job: JobRequest,
        channel: ChannelConfig,
        upstream_id: str,
        state: Mapping[str, Any] | None,
    ) -> HttpRequest:
        own = state or {}
        request = _request_url(channel, upstream_id)
        if own.get("phase") == "result":
            url = _trusted(own.get("response_url"), channel) or request
            return HttpRequest("GET", url, headers=_headers(channel))
        url = _trusted(own.get("status_url"), channel) or f"{request}/status"
        return HttpRequest("GET", url, headers=_headers(channel), params={"logs": "1"})

    def parse_poll(
        self, job: JobRequest, response: HttpResponse, state: Mapping[str, Any] | None
    ) -> PollOutcome:
        own = dict(state or {})
        if own.get("phase") == "result":
            return self.parse_result(response, own)
        return self.parse_status(response, own)

    def parse_status(self, response: HttpResponse, state: Mapping[str, Any]) -> PollOutcome:
        if response.status not in (200, 202):
            return self._poll_error(response, state)
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            raise MalformedResponse("fal answered a status without a status")
        status = body["status"]
        own = {**state, "polls": _polls(state) + 1}
        own.pop("queue_position", None)
        if status == "IN_QUEUE":
            position = _count(body.get("queue_position"))
            if position is not None:
                own["queue_position"] = position
            return Running(progress=None, poll_after=self.poll_interval, state=own)
        if status == "IN_PROGRESS":
            return Running(
                progress=_progress(body.get("logs")), poll_after=self.poll_interval, state=own
            )
        if status == "COMPLETED":
            failure = _failure(body)
            if failure is not None:
                return Failed(message=failure, code="upstream_failed")
            return Running(progress=None, poll_after=0.0, state={**own, "phase": "result"})
        raise MalformedResponse(f"fal answered an unknown status {status!r}")

    def parse_result(self, response: HttpResponse, state: Mapping[str, Any]) -> PollOutcome:
        if response.status == 200:
            body = response.json()
            if not isinstance(body, dict):
                raise MalformedResponse("fal answered a result that is not a JSON object")
            failure = _failure(body)
            if failure is not None:
                return Failed(message=failure, code="upstream_failed")
            outputs = read_fal_output(body)
            if not outputs.artifacts:
                return Failed(
                    message="fal: the request completed without any output file",
                    code="upstream_no_output",
                )
            return Succeeded(artifacts=outputs.artifacts, result=outputs.result)
        if response.status != 429 and _request_failed(response):
            # The stored answer of a request that failed (a model's 422, a runner's error).
            return Failed(
                message=_clip(
                    f"fal: the request failed with HTTP {response.status}{_detail(response)}"
                ),
                code="upstream_failed",
            )
        return self._poll_error(response, state)

    # -- cancel and errors ----------------------------------------------------------

    def build_cancel(
        self, job: JobRequest, channel: ChannelConfig, upstream_id: str
    ) -> HttpRequest:
        return HttpRequest(
            "PUT", f"{_request_url(channel, upstream_id)}/cancel", headers=_headers(channel)
        )

    def map_error(self, response: HttpResponse) -> Failed:
        status = response.status
        message = _clip(f"fal answered HTTP {status}{_detail(response)}")
        return status_failure(
            message,
            status=status,
            retry_after=retry_after_seconds(response.header("Retry-After")),
            codes=_OWN_CODES,
        )

    def _poll_error(self, response: HttpResponse, state: Mapping[str, Any]) -> PollOutcome:
        if retryable_status(response.status):
            wait = retry_after_seconds(response.header("Retry-After"))
            return Running(
                poll_after=wait if wait is not None else self.poll_interval, state=dict(state)
            )
        return self.map_error(response)


def _headers(channel: ChannelConfig) -> dict[str, str]:
    return {"Authorization": f"Key {channel.credential}", "Accept": "application/json"}


def _request_url(channel: ChannelConfig, upstream_id: str) -> str:
    app = parse_app(channel.upstream_model)
    return f"{channel.base_url}/{app.queue_path}/requests/{quote(upstream_id, safe='')}"


def _trusted(url: Any, channel: ChannelConfig) -> str | None:
    """A URL fal gave us, if it is on the channel's own origin (the key goes with it)."""
    if not isinstance(url, str):
        return None
    a, b = urlsplit(url), urlsplit(channel.base_url)
    same = (a.scheme, a.netloc) == (b.scheme, b.netloc) and a.path.startswith(b.path)
    return url if same else None


def _nonempty(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _polls(state: Mapping[str, Any]) -> int:
    return _count(state.get("polls")) or 0


def _progress(logs: Any) -> int | None:
    """A percentage from the newest log line that shows one (``42%`` or ``step 3/10``)."""
    if not isinstance(logs, list):
        return None
    for entry in reversed(logs):
        message = entry.get("message") if isinstance(entry, dict) else entry
        if not isinstance(message, str):
            continue
        percents = [float(p) for p in _PERCENT.findall(message) if float(p) <= 100]
        if percents:
            return min(99, int(percents[-1]))
        fractions = [(int(n), int(d)) for n, d in _FRACTION.findall(message)]
        fractions = [(n, d) for n, d in fractions if d > 0 and n <= d]
        if fractions:
            done, total = fractions[-1]
            return min(99, 100 * done // total)
    return None


def _failure(body: Mapping[str, Any]) -> str | None:
    """The failure a 200 answer reports (``error``/``error_type``, or only a ``detail``)."""
    error, error_type = body.get("error"), body.get("error_type")
    if error or error_type:
        text = error if isinstance(error, str) and error else _detail_of(body.get("detail"))
        text = text or "the request failed"
        kind = f" [{error_type}]" if isinstance(error_type, str) and error_type else ""
        return _clip(f"fal: {text}{kind}")
    if "detail" in body and not any(key in body for key in FILE_KEYS):
        detail = _detail_of(body["detail"])
        if detail:
            return _clip(f"fal: {detail}")
    return None


def _request_failed(response: HttpResponse) -> bool:
    if response.header("X-Fal-Error-Type"):
        return True
    try:
        body = response.json()
    except MalformedResponse:
        return False
    if not isinstance(body, dict):
        return False
    return bool(body.get("error_type")) or (
        response.status == 422 and isinstance(body.get("detail"), list | str)
    )


def _detail(response: HttpResponse) -> str:
    """``": <what fal said>"`` for a message, or nothing."""
    try:
        body = response.json()
    except MalformedResponse:
        body = None
    text = ""
    kind = response.header("X-Fal-Error-Type")
    if isinstance(body, dict):
        text = _detail_of(body.get("detail")) or _detail_of(body.get("error"))
        if isinstance(body.get("error_type"), str) and body["error_type"]:
            kind = body["error_type"]
    suffix = f" [{kind}]" if kind else ""
    return f": {text}{suffix}" if text else (f":{suffix}" if suffix else "")


def _detail_of(detail: Any) -> str:
    """fal's ``detail``: a string, or a list of ``{loc, msg, type}`` (FastAPI style)."""
    if isinstance(detail, str):
        return detail
    if not isinstance(detail, list):
        return ""
    parts = []
    for item in detail[:_DETAIL_ITEMS]:
        if not isinstance(item, dict):
            continue
        loc = item.get("loc")
        where = ".".join(str(x) for x in loc if x != "body") if isinstance(loc, list) else ""
        msg = str(item.get("msg") or "invalid")
        kind = f" ({item['type']})" if isinstance(item.get("type"), str) else ""
        parts.append(f"{where}: {msg}{kind}" if where else f"{msg}{kind}")
    more = len(detail) - _DETAIL_ITEMS
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def _clip(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
