"""Replicate translation on recorded payloads: no network, no clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from apiinone.providers.base import Failed, JobRequest, Running, Submitted, Succeeded
from apiinone.providers.http import (
    ChannelConfig,
    HttpFailed,
    HttpResponse,
    MalformedResponse,
    retry_after_seconds,
)
from apiinone.providers.replicate import ReplicateTranslator, build
from apiinone.providers.replicate.outputs import content_type_for, read_outputs
from apiinone.providers.replicate.translate import parse_model_ref

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "replicate"
VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
BASE = "https://api.replicate.com"
T = ReplicateTranslator()


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((FIXTURES / f"{name}.json").read_bytes())
    return data


def response(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return HttpResponse(status=status, headers=headers, body=raw)


def channel(model: str = "black-forest-labs/flux-schnell", **options: Any) -> ChannelConfig:
    return ChannelConfig(
        name="replicate-main/flux",
        base_url=BASE,
        credential="r8_secret",
        upstream_model=model,
        options=options,
    )


def job(**params: Any) -> JobRequest:
    return JobRequest(
        task_id="task_123",
        model="flux-2",
        variant=None,
        endpoint="images/generations",
        kind="image",
        params=params or {"prompt": "a lighthouse"},
    )


# -- submit ---------------------------------------------------------------------------


def test_official_model_posts_to_the_models_endpoint() -> None:
    req = T.build_submit(job(prompt="a cat", size="1:1"), channel())
    assert req.method == "POST"
    assert req.url == f"{BASE}/v1/models/black-forest-labs/flux-schnell/predictions"
    assert req.headers["Authorization"] == "Bearer r8_secret"
    assert req.json == {"input": {"prompt": "a cat", "size": "1:1"}}
    assert "Prefer" not in req.headers  # async mode: never hold a worker for 60 s


@pytest.mark.parametrize("model", [f"owner/name:{VERSION}", VERSION])
def test_a_version_posts_to_predictions_with_the_version_id(model: str) -> None:
    req = T.build_submit(job(), channel(model))
    assert req.url == f"{BASE}/v1/predictions"
    assert req.json == {"version": VERSION, "input": {"prompt": "a lighthouse"}}


def test_input_is_renamed_dropped_and_defaulted_by_channel_options() -> None:
    params = {
        "prompt": "a cat",
        "size": "1024x1024",
        "n": 2,
        "style": None,
        "callback_url": "https://example.com/hook",
    }
    ch = channel(
        input_map={"size": "", "n": "num_outputs"},
        input_defaults={"output_format": "png", "num_outputs": 1},
    )
    body = T.build_submit(job(**params), ch).json
    assert body == {"input": {"prompt": "a cat", "num_outputs": 2, "output_format": "png"}}


def test_the_credential_is_not_in_the_request_repr() -> None:
    req = T.build_submit(job(), channel())
    assert "r8_secret" not in repr(req)
    assert "r8_secret" not in repr(channel())


def test_created_prediction_is_submitted_with_its_get_url_and_our_task_id() -> None:
    outcome = T.parse_submit(job(), response(201, fixture("prediction_created")))
    assert outcome == Submitted(
        upstream_id="gm3qorzdhgbfurvjtvhg6dckhu",
        poll_after=1.0,
        state={
            "task_id": "task_123",
            "polls": 0,
            "get": f"{BASE}/v1/predictions/gm3qorzdhgbfurvjtvhg6dckhu",
        },
    )


def test_a_create_that_is_already_done_is_terminal() -> None:
    outcome = T.parse_submit(job(), response(201, fixture("prediction_succeeded_url")))
    assert isinstance(outcome, Succeeded)
    failed = T.parse_submit(job(), response(201, fixture("prediction_failed")))
    assert isinstance(failed, Failed) and failed.code == "upstream_failed"


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (429, "upstream_rate_limited", True),
        (500, "upstream_unavailable", True),
        (503, "upstream_unavailable", True),
        (401, "upstream_auth_failed", False),
        (403, "upstream_auth_failed", False),
        (404, "upstream_not_found", False),
        (422, "upstream_rejected", False),
        (402, "upstream_rejected", False),
    ],
)
def test_submit_errors(status: int, code: str, retryable: bool) -> None:
    outcome = T.parse_submit(job(), response(status, {"title": "t", "detail": "why"}))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == (code, retryable, status)
    assert outcome.message == f"Replicate answered HTTP {status}: why"


def test_429_carries_retry_after_and_the_documented_detail() -> None:
    outcome = T.map_error(response(429, fixture("error_429"), **{"Retry-After": "30"}))
    assert isinstance(outcome, HttpFailed)
    assert outcome.retry_after == 30.0
    assert "throttled" in outcome.message


def test_422_problem_detail_is_the_message() -> None:
    outcome = T.map_error(response(422, fixture("error_422")))
    assert outcome.retryable is False
    assert "aspect_ratio must be one of" in outcome.message


def test_an_error_page_that_is_not_json_still_maps_by_status() -> None:
    outcome = T.map_error(response(502, b"<html>Bad gateway</html>"))
    assert outcome.retryable and outcome.message == "Replicate answered HTTP 502"


@pytest.mark.parametrize(
    "body", [b"<html>", b"[]", b'{"status": "starting"}', b'{"id": "", "status": "x"}']
)
def test_a_created_answer_that_is_not_a_prediction_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(201, body))


# -- poll -----------------------------------------------------------------------------


def test_poll_uses_the_get_url_only_on_the_channels_origin() -> None:
    own = {"get": f"{BASE}/v1/predictions/abc"}
    assert T.build_poll(job(), channel(), "abc", own).url == f"{BASE}/v1/predictions/abc"
    evil = {"get": "https://evil.example/v1/predictions/abc"}
    req = T.build_poll(job(), channel(), "abc", evil)
    assert req.url == f"{BASE}/v1/predictions/abc"
    assert req.method == "GET" and req.headers["Authorization"] == "Bearer r8_secret"
    assert T.build_poll(job(), channel(), "a/b", None).url == f"{BASE}/v1/predictions/a%2Fb"


def test_processing_reports_progress_from_the_last_percentage_in_logs() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("prediction_processing")), {"polls": 0})
    assert outcome == Running(progress=50, poll_after=1.5, state={"polls": 1})


def test_starting_has_no_progress() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("prediction_created")), None)
    assert isinstance(outcome, Running) and outcome.progress is None


def test_poll_interval_grows_by_half_up_to_ten_seconds() -> None:
    state: dict[str, Any] = {"get": "x", "task_id": "task_123", "polls": 0}
    waits = []
    for _ in range(9):
        outcome = T.parse_poll(job(), response(200, fixture("prediction_processing")), state)
        assert isinstance(outcome, Running) and outcome.state is not None
        waits.append(outcome.poll_after)
        state = dict(outcome.state)
    assert waits[:3] == [1.5, 2.25, 3.375]
    assert waits[-1] == 10.0 and max(waits) == 10.0
    assert state == {"get": "x", "task_id": "task_123", "polls": 9}


def test_succeeded_with_a_url_is_one_artifact() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("prediction_succeeded_url")), None)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert art.url == "https://replicate.delivery/xezq/abc123/out-0.webp"
    assert (art.content_type, art.name, art.data) == ("image/webp", "output-0.webp", None)
    assert outcome.result is None


def test_succeeded_with_a_list_is_one_artifact_each() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("prediction_succeeded_list")), None)
    assert isinstance(outcome, Succeeded)
    assert [a.name for a in outcome.artifacts] == ["output-0.png", "output-1.png"]
    assert {a.content_type for a in outcome.artifacts} == {"image/png"}
    assert outcome.result is None


def test_succeeded_with_text_is_a_result() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("prediction_succeeded_text")), None)
    assert outcome == Succeeded(artifacts=(), result={"output": ["Hi", " there", "!"]})


def test_mixed_output_keeps_values_and_points_at_artifacts() -> None:
    out = read_outputs({"audio": "https://x.test/a/song.mp3?sig=1", "lyrics": "la la", "n": 1})
    assert out.result == {"output": {"audio": "artifact:0", "lyrics": "la la", "n": 1}}
    assert out.artifacts[0].content_type == "audio/mpeg"
    assert out.artifacts[0].name == "output-0.mp3"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://r.test/out.PNG", ("image/png", "png")),
        ("https://r.test/clip.mp4?x=1#f", ("video/mp4", "mp4")),
        ("https://r.test/a%20b.jpeg", ("image/jpeg", "jpeg")),
        ("https://r.test/noext", ("application/octet-stream", "bin")),
        ("https://r.test/dir.v2/file", ("application/octet-stream", "bin")),
    ],
)
def test_content_type_from_the_url(url: str, expected: tuple[str, str]) -> None:
    assert content_type_for(url) == expected


def test_failed_carries_the_error_text() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("prediction_failed")), None)
    assert outcome == Failed(
        message="Replicate: CUDA out of memory. Tried to allocate 2.00 GiB",
        code="upstream_failed",
    )


def test_canceled_and_aborted() -> None:
    canceled = T.parse_poll(job(), response(200, fixture("prediction_canceled")), None)
    assert isinstance(canceled, Failed) and canceled.code == "upstream_canceled"
    aborted = T.parse_prediction(
        job(), {**fixture("prediction_canceled"), "status": "aborted"}, None
    )
    assert isinstance(aborted, Failed) and aborted.code == "upstream_aborted"


def test_succeeded_with_null_output_has_expired() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("prediction_expired")), None)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_output_expired"
    assert not outcome.retryable


def test_a_created_prediction_with_an_unknown_status_is_still_submitted() -> None:
    created = {**fixture("prediction_created"), "status": "queued"}
    assert isinstance(T.parse_submit(job(), response(201, created)), Submitted)


def test_unknown_status_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        T.parse_prediction(job(), {**fixture("prediction_created"), "status": "teleported"}, None)


def test_poll_429_and_5xx_keep_running_and_honour_retry_after() -> None:
    throttled = T.parse_poll(job(), response(429, {}, **{"retry-after": "7"}), {"polls": 2})
    assert throttled == Running(poll_after=7.0)
    down = T.parse_poll(job(), response(503, b"down"), {"polls": 2})
    assert down == Running(poll_after=2.25)


def test_poll_4xx_fails_without_retry() -> None:
    outcome = T.parse_poll(job(), response(404, {"detail": "Not found."}), None)
    assert isinstance(outcome, Failed) and not outcome.retryable
    assert outcome.code == "upstream_not_found"


def test_cancel_request() -> None:
    req = T.build_cancel(job(), channel(), "abc")
    assert req is not None and req.method == "POST"
    assert req.url == f"{BASE}/v1/predictions/abc/cancel"


# -- references, options, helpers ----------------------------------------------------


@pytest.mark.parametrize("bad", ["flux", "a/b/c", "a/b:123", f"{VERSION}x", "/name", ""])
def test_bad_model_references_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Replicate model"):
        parse_model_ref(bad)


def test_build_checks_the_channel_at_load() -> None:
    assert build(channel()).name == "replicate-main/flux"
    with pytest.raises(ValueError):
        build(channel("not a model"))
    with pytest.raises(ValueError):
        build(channel(input_map={"size": 3}))
    with pytest.raises(ValueError):
        build(channel(timeout=0))


def test_retry_after_forms() -> None:
    from datetime import UTC, datetime

    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 01 Jan 2025 12:00:05 GMT", now=now) == 5.0
    assert retry_after_seconds("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("-4") == 0.0
    assert retry_after_seconds("inf") == 3600.0
    assert retry_after_seconds("nan") is None
