"""WaveSpeedAI predictions as pure translation (no I/O).

Wire format (https://wavespeed.ai/docs — "How to Submit Task", "How to Get Result",
"Webhooks"; WaveSpeedAI/wavespeed-python ``api/client.py``):

- submit: ``POST /api/v3/{model-id}`` (the id has slashes: ``bytedance/seedream-v4.5``,
  ``bytedance/seedream-v4.5/edit``) with the model's input as the JSON body;
  ``Authorization: Bearer <key>``; a ``webhook`` query parameter names a URL that gets the
  finished prediction POSTed to it;
- every answer is an envelope ``{"code": 200, "message": "success", "data": {...}}``; the
  prediction in ``data``: ``id, model, status, urls{get}, outputs, error, created_at,
  has_nsfw_contents, timings{inference}``; status ``created | processing | completed |
  failed``; a failed prediction still answers HTTP 200 (``data.status = "failed"``,
  ``data.error``), and a refused request may too, with ``code`` other than 200;
- poll: ``GET /api/v3/predictions/{id}/result`` (what the official SDK polls);
- errors: HTTP 401 (key), 429 (rate limit), 5xx; the SDK retries 429 and 5xx only.

No cancel endpoint is documented, so :meth:`WaveSpeedTranslator.build_cancel` sends none.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from apiinone.providers.base import (
    Artifact,
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
    HttpFailed,
    HttpRequest,
    HttpResponse,
    MalformedResponse,
    retry_after_seconds,
)
from apiinone.providers.image_led import without_image_led
from apiinone.providers.mapping import apply_mapping, check_mapping
from apiinone.providers.replicate.outputs import content_type_for

__all__ = ["WaveSpeedOptions", "WaveSpeedTranslator", "check_model_id"]

_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_MODEL_ID = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})+")
_DATA_URI = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)", re.DOTALL)
_RUNNING = frozenset({"created", "processing"})
_MESSAGE_LIMIT = 500
_OWN_CODES: Mapping[int, str] = {402: "upstream_insufficient_balance"}
_EXTENSIONS: Mapping[str, str] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
}


def check_model_id(text: str) -> str:
    """A WaveSpeed model id: ``owner/name`` with optional further path segments."""
    if not _MODEL_ID.fullmatch(text) or any(part in (".", "..") for part in text.split("/")):
        raise ValueError(
            f"not a WaveSpeed model id: {text!r} (expected owner/name[/task], "
            "e.g. bytedance/seedream-v4.5/edit)"
        )
    return text


@dataclass(frozen=True, slots=True)
class WaveSpeedOptions:
    """A channel's options beyond the parameter mapping (``params``, ``defaults``,
    ``passthrough``): ``poll_interval`` is the first wait before a poll, in seconds. (Which
    model id serves a variant or mode is the channel's binding: ``providers/bindings.py``.)"""

    poll_interval: float

    @classmethod
    def read(cls, options: Mapping[str, Any]) -> WaveSpeedOptions:
        check_mapping(options)
        interval = options.get("poll_interval", 1.0)
        if not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0:
            raise ValueError("wavespeed option poll_interval must be a positive number")
        return cls(poll_interval=float(interval))


@dataclass(frozen=True, slots=True)
class WaveSpeedTranslator:
    """Pure: every method is a function of its arguments. ``first_poll`` comes from the
    channel's ``poll_interval`` option (see :func:`apiinone.providers.wavespeed.build`)."""

    first_poll: float = 1.0
    poll_growth: float = 1.5
    max_poll: float = 10.0

    # -- submit ---------------------------------------------------------------------

    def model_for(self, job: JobRequest, channel: ChannelConfig) -> str:
        return check_model_id(channel.upstream_model)

    def build_submit(self, job: JobRequest, channel: ChannelConfig) -> HttpRequest:
        model = self.model_for(job, channel)
        url = f"{channel.base_url}/api/v3/{model}"
        params = {"webhook": job.webhook_url} if job.webhook_url else None
        body = without_image_led(model, apply_mapping(job.params, channel.options))
        return HttpRequest("POST", url, headers=_headers(channel), json=body, params=params)

    def parse_submit(self, job: JobRequest, response: HttpResponse) -> Outcome:
        if response.status != 200:
            return self.map_error(response)
        envelope = response.json()
        refused = _refused(envelope)
        if refused is not None:
            return refused
        prediction = _prediction(envelope)
        if prediction["status"] in ("completed", "failed"):  # sync mode, or refused at once
            outcome = self.parse_prediction(job, prediction, None)
            if not isinstance(outcome, Running):
                return outcome
        # Anything else was created upstream: poll it, never submit it again.
        return Submitted(
            upstream_id=prediction["id"], poll_after=self.first_poll, state={"polls": 0}
        )

    # -- poll -----------------------------------------------------------------------

    def build_poll(
        self,
        job: JobRequest,
        channel: ChannelConfig,
        upstream_id: str,
        state: Mapping[str, Any] | None,
    ) -> HttpRequest:
        url = f"{channel.base_url}/api/v3/predictions/{quote(upstream_id, safe='')}/result"
        return HttpRequest("GET", url, headers=_headers(channel))

    def parse_poll(
        self, job: JobRequest, response: HttpResponse, state: Mapping[str, Any] | None
    ) -> PollOutcome:
        if retryable_status(response.status):
            wait = retry_after_seconds(response.header("Retry-After"))
            return Running(
                poll_after=wait if wait is not None else self._interval(state),
                state=dict(state or {}),
            )
        if response.status != 200:
            return self.map_error(response)
        envelope = response.json()
        refused = _refused(envelope)
        if refused is not None:
            if refused.retryable:  # a throttled or failing poll: the task goes on
                return Running(poll_after=self._interval(state), state=dict(state or {}))
            return refused
        return self.parse_prediction(job, _prediction(envelope), state)

    def parse_prediction(
        self, job: JobRequest, prediction: Mapping[str, Any], state: Mapping[str, Any] | None
    ) -> PollOutcome:
        """A prediction (``data`` of a poll, or a webhook's body) as an outcome."""
        status = prediction.get("status")
        if status in _RUNNING:
            polls = _count(state, "polls") + 1
            return Running(
                progress=None,  # WaveSpeed reports no progress
                poll_after=self._interval(state),
                state={**(state or {}), "polls": polls},
            )
        if status == "completed":
            return _succeeded(prediction)
        if status == "failed":
            error = prediction.get("error")
            text = error if isinstance(error, str) and error else "the prediction failed"
            return Failed(message=_clip(f"WaveSpeed: {text}"), code="upstream_failed")
        raise MalformedResponse(f"WaveSpeed answered an unknown prediction status {status!r}")

    # -- cancel and errors ----------------------------------------------------------

    def build_cancel(
        self, job: JobRequest, channel: ChannelConfig, upstream_id: str
    ) -> HttpRequest | None:
        return None  # WaveSpeed documents no cancel endpoint

    def map_error(self, response: HttpResponse) -> Failed:
        return _failure(
            response.status,
            f"WaveSpeed answered HTTP {response.status}{_detail(response)}",
            status=response.status,
            retry_after=retry_after_seconds(response.header("Retry-After")),
        )

    def _interval(self, state: Mapping[str, Any] | None) -> float:
        return min(self.max_poll, self.first_poll * self.poll_growth ** _count(state, "polls"))


def _headers(channel: ChannelConfig) -> dict[str, str]:
    return {"Authorization": f"Bearer {channel.credential}", "Accept": "application/json"}


def _refused(envelope: Any) -> HttpFailed | None:
    """An HTTP 200 whose envelope says the request was refused (``code`` != 200)."""
    if not isinstance(envelope, dict):
        raise MalformedResponse("WaveSpeed answered something that is not an envelope")
    code = envelope.get("code")
    if code is None or code == 200:
        return None
    if not isinstance(code, int) or isinstance(code, bool):
        raise MalformedResponse(f"WaveSpeed answered a non-numeric code {code!r}")
    message = envelope.get("message")
    detail = f": {message}" if isinstance(message, str) and message else ""
    return _failure(code, f"WaveSpeed refused the request (code {code}){detail}", status=200)


def _prediction(envelope: Any) -> dict[str, Any]:
    data = envelope.get("data") if isinstance(envelope, dict) else None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("id"), str)
        or not data["id"]
        or not isinstance(data.get("status"), str)
    ):
        raise MalformedResponse("WaveSpeed answered an envelope without a prediction")
    return data


def _succeeded(prediction: Mapping[str, Any]) -> PollOutcome:
    outputs = prediction.get("outputs")
    if not isinstance(outputs, list) or not outputs:
        return Failed(
            message="WaveSpeed: the prediction completed without outputs",
            code="upstream_no_output",
        )
    flags = prediction.get("has_nsfw_contents")
    nsfw: Sequence[Any] = flags if isinstance(flags, list) else []
    artifacts: list[Artifact] = []
    texts: list[Any] = []
    for index, item in enumerate(outputs):
        meta = {"nsfw": nsfw[index]} if index < len(nsfw) and isinstance(nsfw[index], bool) else {}
        artifact = _artifact(item, len(artifacts), meta)
        if artifact is None:
            texts.append(item)
        else:
            artifacts.append(artifact)
    result = {"outputs": texts} if texts else None
    return Succeeded(artifacts=tuple(artifacts), result=result)


def _artifact(item: Any, index: int, meta: Mapping[str, Any]) -> Artifact | None:
    if not isinstance(item, str):
        return None
    if item.startswith(("https://", "http://")):
        content_type, ext = content_type_for(item)
        name = f"output-{index}.{ext}"
        return Artifact(content_type=content_type, name=name, url=item, meta=meta)
    match = _DATA_URI.fullmatch(item)  # enable_base64_output
    if match is None:
        return None
    try:
        data = base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedResponse("WaveSpeed answered an output that is not valid base64") from exc
    content_type = match["type"].lower()
    ext = _EXTENSIONS.get(content_type, "bin")
    return Artifact(content_type=content_type, name=f"output-{index}.{ext}", data=data, meta=meta)


def _failure(
    code: int, message: str, *, status: int, retry_after: float | None = None
) -> HttpFailed:
    """A failure from an HTTP status, or from an envelope's HTTP-like ``code``."""
    return status_failure(
        _clip(message), status=status, retry_after=retry_after, codes=_OWN_CODES, rung=code
    )


def _count(state: Mapping[str, Any] | None, key: str) -> int:
    value = (state or {}).get(key, 0)
    return value if isinstance(value, int) and value >= 0 else 0


def _detail(response: HttpResponse) -> str:
    try:
        body = response.json()
    except MalformedResponse:
        return ""
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return f": {value}"
    return ""


def _clip(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
