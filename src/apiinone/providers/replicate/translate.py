"""Replicate predictions as pure translation (no I/O).

Wire format (https://replicate.com/docs/reference/http, replicate-python):

- create: ``POST /v1/models/{owner}/{name}/predictions`` for official models, or
  ``POST /v1/predictions`` with ``version`` (a 64-hex version id) for any version; body
  ``{"input": {...}}``; ``Authorization: Bearer <token>``; answers 201 with the prediction;
- read: ``GET /v1/predictions/{id}`` (the prediction's ``urls.get``);
  cancel: ``POST /v1/predictions/{id}/cancel``;
- a prediction: ``id, model, version, input, output, logs, error, status, created_at,
  started_at, completed_at, metrics, urls{get, cancel, stream?, web}``; status
  ``starting | processing | succeeded | failed | canceled | aborted`` (aborted: a deadline
  passed before it started); ``output`` becomes null once Replicate removes it (1 hour);
- errors are problem details (``{"title", "detail", "status"}``); 429 when throttled,
  with ``Retry-After``.

Replicate has no idempotency key: a create whose answer was lost cannot be told apart from
one never sent, so our task id stays in the job's state, never in a request.
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
from apiinone.providers.http import (
    ChannelConfig,
    HttpRequest,
    HttpResponse,
    MalformedResponse,
    retry_after_seconds,
)
from apiinone.providers.replicate.outputs import read_outputs

__all__ = ["ModelRef", "ReplicateOptions", "ReplicateTranslator", "parse_model_ref"]

_VERSION = re.compile(r"[0-9a-f]{64}")
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_MODEL = re.compile(rf"(?P<owner>{_NAME})/(?P<name>{_NAME})(?::(?P<version>[0-9a-f]{{64}}))?")
_PERCENT = re.compile(r"(\d{1,3})%")
_RUNNING = frozenset({"starting", "processing"})
_TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
_MESSAGE_LIMIT = 500


@dataclass(frozen=True, slots=True)
class ModelRef:
    """``owner/name`` (an official model) or a version, with its model when known."""

    owner: str | None
    name: str | None
    version: str | None


def parse_model_ref(text: str) -> ModelRef:
    if _VERSION.fullmatch(text):
        return ModelRef(owner=None, name=None, version=text)
    match = _MODEL.fullmatch(text)
    if match is None:
        raise ValueError(
            f"not a Replicate model: {text!r} (expected owner/name, owner/name:<version>, "
            "or a 64-hex version id)"
        )
    return ModelRef(owner=match["owner"], name=match["name"], version=match["version"])


@dataclass(frozen=True, slots=True)
class ReplicateOptions:
    """A channel's options: ``input_map`` renames our parameters to the model's (a value
    of ``""`` drops one); ``input_defaults`` fills inputs the model needs and we lack."""

    input_map: Mapping[str, str]
    input_defaults: Mapping[str, Any]

    @classmethod
    def read(cls, options: Mapping[str, Any]) -> ReplicateOptions:
        input_map = options.get("input_map", {})
        defaults = options.get("input_defaults", {})
        if not isinstance(input_map, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in input_map.items()
        ):
            raise ValueError("replicate option input_map must map parameter names to names")
        if not isinstance(defaults, Mapping) or not all(isinstance(k, str) for k in defaults):
            raise ValueError("replicate option input_defaults must be a table")
        return cls(input_map=dict(input_map), input_defaults=dict(defaults))


@dataclass(frozen=True, slots=True)
class ReplicateTranslator:
    """Pure: every method is a function of its arguments."""

    first_poll: float = 1.0
    poll_growth: float = 1.5
    max_poll: float = 10.0

    # -- submit ---------------------------------------------------------------------

    def build_input(self, job: JobRequest, channel: ChannelConfig) -> dict[str, Any]:
        options = ReplicateOptions.read(channel.options)
        out = dict(options.input_defaults)
        for key, value in job.params.items():
            if key == "callback_url" or value is None:
                continue
            target = options.input_map.get(key, key)
            if target:
                out[target] = value
        return out

    def build_submit(self, job: JobRequest, channel: ChannelConfig) -> HttpRequest:
        ref = parse_model_ref(channel.upstream_model)
        body: dict[str, Any] = {"input": self.build_input(job, channel)}
        if job.webhook_url:
            body["webhook"] = job.webhook_url
            body["webhook_events_filter"] = ["completed"]
        if ref.version is not None:
            url = f"{channel.base_url}/v1/predictions"
            body["version"] = ref.version
        else:
            url = f"{channel.base_url}/v1/models/{ref.owner}/{ref.name}/predictions"
        return HttpRequest("POST", url, headers=_headers(channel), json=body)

    def parse_submit(self, job: JobRequest, response: HttpResponse) -> Outcome:
        if response.status not in (200, 201, 202):
            return self.map_error(response)
        prediction = _prediction(response)
        if prediction["status"] in _TERMINAL:
            outcome = self.parse_prediction(job, prediction, None)
            if not isinstance(outcome, Running):
                return outcome
        # Anything else was created upstream: poll it, never submit it again.
        state: dict[str, Any] = {"task_id": job.task_id, "polls": 0}
        get = _urls(prediction).get("get")
        if isinstance(get, str):
            state["get"] = get
        return Submitted(upstream_id=prediction["id"], poll_after=self.first_poll, state=state)

    # -- poll -----------------------------------------------------------------------

    def build_poll(
        self,
        job: JobRequest,
        channel: ChannelConfig,
        upstream_id: str,
        state: Mapping[str, Any] | None,
    ) -> HttpRequest:
        url = f"{channel.base_url}/v1/predictions/{quote(upstream_id, safe='')}"
        get = (state or {}).get("get")
        if isinstance(get, str) and _same_origin(get, channel.base_url):
            url = get  # never send the token to a host the channel does not name
        return HttpRequest("GET", url, headers=_headers(channel))

    def parse_poll(
        self, job: JobRequest, response: HttpResponse, state: Mapping[str, Any] | None
    ) -> PollOutcome:
        if response.status == 200:
            return self.parse_prediction(job, _prediction(response), state)
        if retryable_status(response.status):
            wait = retry_after_seconds(response.header("Retry-After"))
            return Running(poll_after=wait if wait is not None else self._interval(state))
        return self.map_error(response)

    def parse_prediction(
        self, job: JobRequest, prediction: Mapping[str, Any], state: Mapping[str, Any] | None
    ) -> PollOutcome:
        """A prediction object (from a poll, or a webhook's body) as an outcome."""
        status = prediction.get("status")
        if status in _RUNNING:
            polls = _polls(state) + 1
            return Running(
                progress=_progress(prediction.get("logs")),
                poll_after=self._interval({"polls": polls}),
                state={**(state or {}), "polls": polls},
            )
        if status == "succeeded":
            output = prediction.get("output")
            if output is None or prediction.get("data_removed") is True:
                return Failed(
                    message="Replicate no longer holds this prediction's output "
                    "(outputs are removed an hour after they are made)",
                    code="upstream_output_expired",
                )
            outputs = read_outputs(output)
            return Succeeded(artifacts=outputs.artifacts, result=outputs.result)
        if status == "failed":
            error = prediction.get("error")
            text = error if isinstance(error, str) and error else "the prediction failed"
            return Failed(message=_clip(f"Replicate: {text}"), code="upstream_failed")
        if status == "canceled":
            return Failed(
                message="Replicate: the prediction was canceled", code="upstream_canceled"
            )
        if status == "aborted":
            return Failed(
                message="Replicate: the prediction was aborted before it started",
                code="upstream_aborted",
            )
        raise MalformedResponse(f"Replicate answered an unknown prediction status {status!r}")

    # -- cancel and errors ----------------------------------------------------------

    def build_cancel(
        self, job: JobRequest, channel: ChannelConfig, upstream_id: str
    ) -> HttpRequest:
        url = f"{channel.base_url}/v1/predictions/{quote(upstream_id, safe='')}/cancel"
        return HttpRequest("POST", url, headers=_headers(channel))

    def map_error(self, response: HttpResponse) -> Failed:
        status = response.status
        message = _clip(f"Replicate answered HTTP {status}{_detail(response)}")
        return status_failure(
            message, status=status, retry_after=retry_after_seconds(response.header("Retry-After"))
        )

    def _interval(self, state: Mapping[str, Any] | None) -> float:
        return min(self.max_poll, self.first_poll * self.poll_growth ** _polls(state))


def _headers(channel: ChannelConfig) -> dict[str, str]:
    return {"Authorization": f"Bearer {channel.credential}", "Accept": "application/json"}


def _prediction(response: HttpResponse) -> dict[str, Any]:
    body = response.json()
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("id"), str)
        or not body["id"]
        or not isinstance(body.get("status"), str)
    ):
        raise MalformedResponse("Replicate answered something that is not a prediction")
    return body


def _urls(prediction: Mapping[str, Any]) -> Mapping[str, Any]:
    urls = prediction.get("urls")
    return urls if isinstance(urls, Mapping) else {}


def _polls(state: Mapping[str, Any] | None) -> int:
    polls = (state or {}).get("polls", 0)
    return polls if isinstance(polls, int) and polls >= 0 else 0


def _progress(logs: Any) -> int | None:
    if not isinstance(logs, str):
        return None
    found = _PERCENT.findall(logs)
    return min(100, int(found[-1])) if found else None


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc) and a.path.startswith(b.path)


def _detail(response: HttpResponse) -> str:
    try:
        body = response.json()
    except MalformedResponse:
        return ""
    if isinstance(body, dict):
        for key in ("detail", "title", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return f": {value}"
    return ""


def _clip(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
