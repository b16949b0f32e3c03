"""WaveSpeedAI translation on recorded payloads: no network, no clock."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest

from apiinone.providers.base import Failed, JobRequest, Running, Submitted, Succeeded
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpResponse, MalformedResponse
from apiinone.providers.mapping import MappingError
from apiinone.providers.wavespeed import WaveSpeedTranslator, build
from apiinone.providers.wavespeed.translate import check_model_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wavespeed"
BASE = "https://api.wavespeed.ai"
PREDICTION = "4e4a2b5c1f8d4c6b9a0e7d3f2c1b0a98"
T = WaveSpeedTranslator()


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((FIXTURES / f"{name}.json").read_bytes())
    return data


def response(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return HttpResponse(status=status, headers=headers, body=raw)


def channel(model: str = "bytedance/seedream-v4.5", **options: Any) -> ChannelConfig:
    return ChannelConfig(
        name="wavespeed/seedream-4-5",
        base_url=BASE,
        credential="ws_secret",
        upstream_model=model,
        options=options,
    )


def job(variant: str | None = None, webhook: str | None = None, **params: Any) -> JobRequest:
    return JobRequest(
        task_id="task_123",
        model="seedream-4-5",
        variant=variant,
        endpoint="images/generations",
        kind="image",
        params=params or {"prompt": "a lighthouse"},
        webhook_url=webhook,
    )


# -- submit ---------------------------------------------------------------------------


def test_submit_posts_the_mapped_input_to_the_model_path() -> None:
    params = {"prompt": "a cat", "aspect_ratio": "1:1", "callback_url": "https://c.test/h"}
    req = T.build_submit(job(**params), channel(params={"aspect_ratio": ""}))
    assert (req.method, req.url) == ("POST", f"{BASE}/api/v3/bytedance/seedream-v4.5")
    assert req.headers["Authorization"] == "Bearer ws_secret"
    assert req.json == {"prompt": "a cat"}  # callback_url is ours, aspect_ratio dropped
    assert req.params is None


def test_submit_renames_converts_and_defaults_through_the_channel_mapping() -> None:
    options: dict[str, Any] = {
        "params": {
            "image_urls": "images",
            "quality": {"to": "size", "values": {"basic": "2048*2048", "high": "4096*4096"}},
        },
        "defaults": {"enable_sync_mode": False},
    }
    req = T.build_submit(
        job(prompt="edit it", image_urls=["https://x.test/a.png"], quality="high"),
        channel(**options),
    )
    assert req.json == {
        "enable_sync_mode": False,
        "prompt": "edit it",
        "images": ["https://x.test/a.png"],
        "size": "4096*4096",
    }


def test_a_webhook_url_goes_in_the_query() -> None:
    req = T.build_submit(job(webhook="https://gw.test/hooks/abc"), channel())
    assert req.params == {"webhook": "https://gw.test/hooks/abc"}


def test_the_channel_model_id_is_the_url_whatever_the_variant() -> None:
    """The binding picked the id for the variant (providers/bindings.py); the translator
    posts to the id it is given."""
    ch = channel(model="bytedance/seedream-v4.5/edit")
    assert T.build_submit(job("seedream/4.5-edit"), ch).url.endswith("/seedream-v4.5/edit")


def test_created_is_submitted_with_a_poll_counter() -> None:
    outcome = WaveSpeedTranslator(first_poll=0.25).parse_submit(
        job(), response(200, fixture("submit_created"))
    )
    assert outcome == Submitted(upstream_id=PREDICTION, poll_after=0.25, state={"polls": 0})


def test_a_sync_answer_that_already_completed_succeeds_at_once() -> None:
    outcome = T.parse_submit(job(), response(200, fixture("result_completed")))
    assert isinstance(outcome, Succeeded) and len(outcome.artifacts) == 2


def test_any_other_status_with_an_id_is_polled_never_resubmitted() -> None:
    body = fixture("submit_created")
    body["data"]["status"] = "queued"
    outcome = T.parse_submit(job(), response(200, body))
    assert isinstance(outcome, Submitted) and outcome.upstream_id == PREDICTION


def test_a_refusal_with_http_200_is_a_failure() -> None:
    outcome = T.parse_submit(job(), response(200, fixture("refused_code_400")))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_rejected", False, 200)
    assert "size: must be between" in outcome.message


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (401, "upstream_auth_failed", False),
        (402, "upstream_insufficient_balance", False),
        (404, "upstream_not_found", False),
        (400, "upstream_rejected", False),
        (429, "upstream_rate_limited", True),
        (503, "upstream_unavailable", True),
    ],
)
def test_http_errors(status: int, code: str, retryable: bool) -> None:
    body = {**fixture("error_401"), "code": status}
    outcome = T.parse_submit(job(), response(status, body, **{"Retry-After": "7"}))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == (code, retryable, status)
    assert outcome.retry_after == (7.0 if retryable else None)


def test_a_submit_answer_that_is_not_an_envelope_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(200, b"<html>oops"))
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(200, {"code": 200, "data": {"status": "created"}}))


# -- poll -----------------------------------------------------------------------------


def test_poll_reads_the_result_endpoint() -> None:
    req = T.build_poll(job(), channel(), PREDICTION, {"polls": 2})
    assert (req.method, req.url) == ("GET", f"{BASE}/api/v3/predictions/{PREDICTION}/result")
    assert req.headers["Authorization"] == "Bearer ws_secret"


@pytest.mark.parametrize("name", ["submit_created", "result_processing"])
def test_created_and_processing_are_running_with_a_growing_wait(name: str) -> None:
    first = T.parse_poll(job(), response(200, fixture(name)), {"polls": 0})
    later = T.parse_poll(job(), response(200, fixture(name)), {"polls": 5})
    assert isinstance(first, Running) and isinstance(later, Running)
    assert first.progress is None and first.state == {"polls": 1}
    assert first.poll_after == 1.0 < later.poll_after <= T.max_poll


def test_completed_gives_one_artifact_per_output_url() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("result_completed")), {"polls": 3})
    assert isinstance(outcome, Succeeded) and outcome.result is None
    png, jpeg = outcome.artifacts
    assert (png.content_type, png.name, png.meta) == ("image/png", "output-0.png", {"nsfw": False})
    assert (jpeg.content_type, jpeg.name, jpeg.meta) == (
        "image/jpeg",
        "output-1.jpeg",
        {"nsfw": True},
    )
    assert png.url is not None and png.url.endswith("/1.png")


def test_base64_outputs_become_bytes() -> None:
    raw = b"\x89PNG\r\n\x1a\nfake"
    body = fixture("result_completed")
    body["data"]["outputs"] = ["data:image/png;base64," + base64.b64encode(raw).decode()]
    outcome = T.parse_poll(job(), response(200, body), None)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert (art.data, art.url, art.content_type, art.name) == (
        raw,
        None,
        "image/png",
        "output-0.png",
    )


def test_text_outputs_are_kept_as_the_result() -> None:
    body = fixture("result_completed")
    body["data"]["outputs"] = ["A lighthouse on a cliff at dusk."]
    outcome = T.parse_poll(job(), response(200, body), None)
    assert isinstance(outcome, Succeeded)
    assert outcome.artifacts == () and outcome.result == {"outputs": [body["data"]["outputs"][0]]}


def test_completed_without_outputs_fails() -> None:
    body = fixture("result_completed")
    body["data"]["outputs"] = []
    outcome = T.parse_poll(job(), response(200, body), None)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_no_output"


def test_failed_arrives_with_http_200() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("result_failed")), {"polls": 1})
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_failed", False)
    assert outcome.message == "WaveSpeed: The input image could not be downloaded"


def test_a_throttled_or_failing_poll_keeps_the_task() -> None:
    throttled = T.parse_poll(job(), response(429, {}, **{"Retry-After": "3"}), {"polls": 2})
    assert throttled == Running(poll_after=3.0, state={"polls": 2})
    down = T.parse_poll(job(), response(502, b"bad gateway"), {"polls": 0})
    assert isinstance(down, Running) and down.poll_after == 1.0
    refused_5xx = T.parse_poll(job(), response(200, {"code": 500, "message": "busy"}), None)
    assert isinstance(refused_5xx, Running)


def test_a_lost_prediction_fails_the_task() -> None:
    outcome = T.parse_poll(job(), response(404, {"code": 404, "message": "not found"}), None)
    assert isinstance(outcome, HttpFailed) and outcome.code == "upstream_not_found"


def test_an_unknown_status_is_malformed() -> None:
    body = fixture("result_processing")
    body["data"]["status"] = "exploded"
    with pytest.raises(MalformedResponse):
        T.parse_poll(job(), response(200, body), None)


def test_the_webhook_body_is_a_bare_prediction() -> None:
    outcome = T.parse_prediction(job(), fixture("webhook_completed"), None)
    assert isinstance(outcome, Succeeded)
    assert [a.name for a in outcome.artifacts] == ["output-0.png"]


def test_there_is_no_cancel() -> None:
    assert T.build_cancel(job(), channel(), PREDICTION) is None


# -- channel checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["bytedance/seedream-v4.5", "bytedance/seedream-v4.5/edit", "wavespeed-ai/flux-dev"]
)
def test_model_ids(model: str) -> None:
    assert check_model_id(model) == model


@pytest.mark.parametrize("model", ["seedream", "a/../b", "/x/y", "a/b/", "a b/c", "a/b?x=1"])
def test_bad_model_ids(model: str) -> None:
    with pytest.raises(ValueError, match="not a WaveSpeed model id"):
        check_model_id(model)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"poll_interval": 0}, ValueError),
        ({"poll_interval": True}, ValueError),
        ({"timeout": -1}, ValueError),
        ({"params": {"image": {"to": "x", "transform": "rot13"}}}, MappingError),
    ],
)
def test_build_refuses_bad_channels(options: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        build(channel(**options))


def test_build_refuses_a_bad_base_url_and_model() -> None:
    with pytest.raises(ValueError, match="base_url"):
        build(ChannelConfig(name="c", base_url="ftp://x", credential="k", upstream_model="a/b"))
    with pytest.raises(ValueError, match="model id"):
        build(ChannelConfig(name="c", base_url=BASE, credential="k", upstream_model="nope"))


def test_the_credential_is_not_in_the_repr() -> None:
    provider = build(channel())
    assert "ws_secret" not in repr(provider)
    assert "ws_secret" not in repr(T.build_submit(job(), channel()))
