"""MiniMax (Hailuo) video generation as pure translation (no I/O).

Wire format (platform.minimax.io API reference — "Image-to-Video Task", "Query Video
Generation Task Status", "Retrieve File", "Error Codes"):

- submit: ``POST /v1/video_generation`` ``{model, prompt, first_frame_image, duration
  (int), resolution ("768P"), prompt_optimizer, callback_url}``; ``Authorization: Bearer``;
  answers ``{"task_id", "base_resp": {"status_code", "status_msg"}}``;
- query: ``GET /v1/query/video_generation?task_id=`` → ``{task_id, status: Preparing |
  Queueing | Processing | Success | Fail, file_id, video_width, video_height, base_resp}``;
- file: ``GET /v1/files/retrieve?file_id=`` → ``{"file": {file_id, bytes, created_at,
  filename, purpose, download_url}, "base_resp"}`` (the URL expires after hours);
- errors ride in ``base_resp.status_code`` with HTTP 200: 0 ok, 1000/1001/1024/1033
  transient, 1002 rate limit, 1004 authentication, 1008 insufficient balance, 1026
  sensitive input, 1027 sensitive output, 2013 invalid parameters;
- ``callback_url``: MiniMax first POSTs ``{"challenge": ...}``, which the receiver must echo
  within 3 s; then each status change, shaped like the query answer.

A job is polled in two phases: the query until ``Success``, then ``files/retrieve`` for the
download URL (state ``{"phase": "retrieve", "file_id": ...}``, polled at once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
from apiinone.providers.mapping import apply_mapping, check_mapping

__all__ = [
    "DEFAULT_PARAMS",
    "MiniMaxOptions",
    "MiniMaxVideoTranslator",
    "base_resp_failure",
    "mapping_options",
]

# Our catalog's names → MiniMax's, applied under the channel's own mapping (which wins).
DEFAULT_PARAMS: Mapping[str, Any] = {
    "image": "first_frame_image",
    "duration": {"to": "duration", "transform": "int"},
    "resolution": "resolution",
}
_WAITING = frozenset({"preparing", "queueing", "processing"})
_TRANSIENT = frozenset({1000, 1001, 1024, 1033})
_CONTENT = frozenset({1026, 1027})
_AUTH = frozenset({1004})
_MESSAGE_LIMIT = 500


@dataclass(frozen=True, slots=True)
class MiniMaxOptions:
    """A channel's options beyond the parameter mapping: ``poll_interval`` (first wait,
    seconds), ``callbacks`` (send ``callback_url`` when the gateway has one), ``group_id``
    (sent as ``GroupId`` to ``files/retrieve``, for accounts that still need it).

    ``callbacks`` is off by default: MiniMax verifies a callback URL by POSTing a
    ``challenge`` that must be echoed within 3 s, and a receiver that does not echo it
    risks the submission; polling alone always finishes the task."""

    poll_interval: float
    callbacks: bool
    group_id: str | None

    @classmethod
    def read(cls, options: Mapping[str, Any]) -> MiniMaxOptions:
        check_mapping(options)
        interval = options.get("poll_interval", 5.0)
        if not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0:
            raise ValueError("minimax option poll_interval must be a positive number")
        callbacks = options.get("callbacks", False)
        if not isinstance(callbacks, bool):
            raise ValueError("minimax option callbacks must be true or false")
        group_id = options.get("group_id")
        if group_id is not None and (not isinstance(group_id, str) or not group_id):
            raise ValueError("minimax option group_id must be a non-empty string")
        return cls(
            poll_interval=float(interval),
            callbacks=callbacks,
            group_id=group_id,
        )


def mapping_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The channel's mapping options with :data:`DEFAULT_PARAMS` under its ``params``."""
    own = options.get("params", {})
    return {**options, "params": {**DEFAULT_PARAMS, **(own if isinstance(own, Mapping) else {})}}


@dataclass(frozen=True, slots=True)
class MiniMaxVideoTranslator:
    """Pure: every method is a function of its arguments. ``first_poll`` comes from the
    channel's ``poll_interval`` option (see :func:`apiinone.providers.minimax.build`)."""

    first_poll: float = 5.0
    poll_growth: float = 1.3
    max_poll: float = 30.0

    # -- submit ---------------------------------------------------------------------

    def build_body(self, job: JobRequest, channel: ChannelConfig) -> dict[str, Any]:
        options = MiniMaxOptions.read(channel.options)
        body = apply_mapping(job.params, mapping_options(channel.options))
        body["model"] = channel.upstream_model  # the binding chose it for the variant
        if job.webhook_url and options.callbacks:
            body["callback_url"] = job.webhook_url
        return body

    def build_submit(self, job: JobRequest, channel: ChannelConfig) -> HttpRequest:
        url = f"{channel.base_url}/v1/video_generation"
        return HttpRequest(
            "POST", url, headers=_headers(channel), json=self.build_body(job, channel)
        )

    def parse_submit(self, job: JobRequest, response: HttpResponse) -> Outcome:
        if response.status != 200:
            return self.map_error(response)
        body = _object(response)
        refused = _refused(body, response.status)
        if refused is not None:
            return refused
        task_id = body.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise MalformedResponse("MiniMax accepted a task without a task_id")
        return Submitted(
            upstream_id=task_id, poll_after=self.first_poll, state={"phase": "query", "polls": 0}
        )

    # -- poll -----------------------------------------------------------------------

    def build_poll(
        self,
        job: JobRequest,
        channel: ChannelConfig,
        upstream_id: str,
        state: Mapping[str, Any] | None,
    ) -> HttpRequest:
        file_id = _retrieving(state)
        if file_id is None:
            url = f"{channel.base_url}/v1/query/video_generation"
            return HttpRequest(
                "GET", url, headers=_headers(channel), params={"task_id": upstream_id}
            )
        params = {"file_id": file_id}
        group_id = MiniMaxOptions.read(channel.options).group_id
        if group_id is not None:
            params["GroupId"] = group_id
        url = f"{channel.base_url}/v1/files/retrieve"
        return HttpRequest("GET", url, headers=_headers(channel), params=params)

    def parse_poll(
        self, job: JobRequest, response: HttpResponse, state: Mapping[str, Any] | None
    ) -> PollOutcome:
        own = dict(state or {"phase": "query", "polls": 0})
        if retryable_status(response.status):
            wait = retry_after_seconds(response.header("Retry-After"))
            return Running(poll_after=wait if wait is not None else self._interval(own), state=own)
        if response.status != 200:
            return self.map_error(response)
        body = _object(response)
        refused = _refused(body, response.status)
        if refused is not None:
            if refused.retryable:  # throttled or a hiccup: ask again later
                return Running(poll_after=self._interval(own), state=own)
            return refused
        if _retrieving(own) is not None:
            return _downloaded(body)
        return self.parse_query(job, body, own)

    def parse_query(
        self, job: JobRequest, body: Mapping[str, Any], state: Mapping[str, Any] | None
    ) -> PollOutcome:
        """A query answer (or a callback's body) as an outcome."""
        status = body.get("status")
        if not isinstance(status, str):
            raise MalformedResponse("MiniMax answered a query without a status")
        kind = status.lower()
        if kind in _WAITING:
            polls = _polls(state) + 1
            return Running(
                progress=None,
                poll_after=self._interval(state),
                state={**(state or {}), "phase": "query", "polls": polls, "status": status},
            )
        if kind == "success":
            file_id = body.get("file_id")
            if isinstance(file_id, int) and not isinstance(file_id, bool):
                file_id = str(file_id)
            if not isinstance(file_id, str) or not file_id:
                raise MalformedResponse("MiniMax reported Success without a file_id")
            return Running(poll_after=0, state={"phase": "retrieve", "file_id": file_id})
        if kind in ("fail", "failed"):
            return _generation_failed(body)
        raise MalformedResponse(f"MiniMax answered an unknown task status {status!r}")

    # -- cancel and errors ----------------------------------------------------------

    def build_cancel(
        self, job: JobRequest, channel: ChannelConfig, upstream_id: str
    ) -> HttpRequest | None:
        return None  # MiniMax documents no way to cancel a video task

    def map_error(self, response: HttpResponse) -> Failed:
        status = response.status
        message = _clip(f"MiniMax answered HTTP {status}{_detail(response)}")
        retry_after = retry_after_seconds(response.header("Retry-After"))
        return status_failure(message, status=status, retry_after=retry_after)

    def _interval(self, state: Mapping[str, Any] | None) -> float:
        return min(self.max_poll, self.first_poll * self.poll_growth ** _polls(state))


def base_resp_failure(code: int, message: str, *, status: int | None = 200) -> HttpFailed:
    """What a non-zero ``base_resp.status_code`` means for us."""
    text = _clip(f"MiniMax refused the request ({code}{': ' + message if message else ''})")
    if code == 1002:
        return HttpFailed(message=text, code="upstream_rate_limited", retryable=True, status=status)
    if code in _TRANSIENT:
        return HttpFailed(message=text, code="upstream_unavailable", retryable=True, status=status)
    if code in _AUTH:
        kind = "upstream_auth_failed"
    elif code == 1008:
        kind = "upstream_insufficient_balance"
    elif code in _CONTENT:
        kind = "upstream_content_rejected"
    else:  # 2013 invalid parameters, and codes we do not know
        kind = "upstream_rejected"
    return HttpFailed(message=text, code=kind, retryable=False, status=status)


def _headers(channel: ChannelConfig) -> dict[str, str]:
    return {"Authorization": f"Bearer {channel.credential}", "Accept": "application/json"}


def _object(response: HttpResponse) -> dict[str, Any]:
    body = response.json()
    if not isinstance(body, dict):
        raise MalformedResponse("MiniMax answered something that is not a JSON object")
    return body


def _base_resp(body: Mapping[str, Any]) -> tuple[int, str]:
    base = body.get("base_resp")
    if base is None:
        return 0, ""
    code = base.get("status_code") if isinstance(base, dict) else None
    if not isinstance(code, int) or isinstance(code, bool):
        raise MalformedResponse("MiniMax answered a base_resp without a numeric status_code")
    msg = base.get("status_msg")
    return code, msg if isinstance(msg, str) else ""


def _refused(body: Mapping[str, Any], status: int) -> HttpFailed | None:
    code, message = _base_resp(body)
    if code == 0:
        return None
    # A failed task's query answer may carry why (1027: sensitive output); the task status
    # says it failed, so that one is read by parse_query, not refused here.
    if body.get("status") in ("Fail", "fail", "failed"):
        return None
    return base_resp_failure(code, message, status=status)


def _generation_failed(body: Mapping[str, Any]) -> Failed:
    code, message = _base_resp(body)
    error = body.get("error_message")
    detail = error if isinstance(error, str) and error else message
    if code in _CONTENT:
        return Failed(
            message=_clip(f"MiniMax: the video was blocked as sensitive ({code}: {detail})"),
            code="upstream_content_rejected",
        )
    text = f"MiniMax: the video generation failed{': ' + detail if detail else ''}"
    if code != 0:
        text += f" ({code})"
    return Failed(message=_clip(text), code="upstream_failed")


def _downloaded(body: Mapping[str, Any]) -> Succeeded:
    file = body.get("file")
    if not isinstance(file, dict):
        raise MalformedResponse("MiniMax answered a file query without a file")
    url = file.get("download_url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise MalformedResponse("MiniMax answered a file without a download_url")
    meta = {key: file[key] for key in ("file_id", "filename", "bytes") if key in file}
    return Succeeded(
        artifacts=(Artifact(content_type="video/mp4", name="output-0.mp4", url=url, meta=meta),)
    )


def _retrieving(state: Mapping[str, Any] | None) -> str | None:
    if not state or state.get("phase") != "retrieve":
        return None
    file_id = state.get("file_id")
    return file_id if isinstance(file_id, str) and file_id else None


def _polls(state: Mapping[str, Any] | None) -> int:
    value = (state or {}).get("polls", 0)
    return value if isinstance(value, int) and value >= 0 else 0


def _detail(response: HttpResponse) -> str:
    try:
        body = response.json()
    except MalformedResponse:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return f": {error['message']}"
    base = body.get("base_resp")
    if isinstance(base, dict) and isinstance(base.get("status_msg"), str):
        return f": {base['status_msg']} ({base.get('status_code')})"
    return ""


def _clip(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
