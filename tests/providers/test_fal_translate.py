"""fal translation on recorded payloads: no network, no clock."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest

from apiinone.providers.base import Failed, JobRequest, Running, Submitted, Succeeded
from apiinone.providers.fal import (
    FalTranslator,
    FalWebhook,
    FalWebhookError,
    build,
    parse_app,
    parse_fal_webhook,
)
from apiinone.providers.fal.outputs import read_fal_output
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpResponse, MalformedResponse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fal"
BASE = "https://queue.fal.run"
KLING = "fal-ai/kling-video/v3/standard/text-to-video"
RID = "764cabcf-b745-4b3e-ae38-1200304cf45b"
T = FalTranslator()
PARAMS: dict[str, Any] = {
    "params": {
        "aspect_ratio": {"to": "image_size", "values": {"16:9": "landscape_16_9"}},
        "resolution": "",
    }
}


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((FIXTURES / f"{name}.json").read_bytes())
    return data


def response(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return HttpResponse(status=status, headers=headers, body=raw)


def channel(model: str = "fal-ai/flux-2-pro", base: str = BASE, **options: Any) -> ChannelConfig:
    return ChannelConfig(
        name="fal-main/flux-2",
        base_url=base,
        credential="fal_key_id:fal_key_secret",
        upstream_model=model,
        options=options,
    )


def job(webhook_url: str | None = None, **params: Any) -> JobRequest:
    return JobRequest(
        task_id="task_123",
        model="flux-2",
        variant=None,
        endpoint="images/generations",
        kind="image",
        params=params or {"prompt": "a lighthouse"},
        webhook_url=webhook_url,
    )


RESULT = {"phase": "result", "response_url": f"{BASE}/fal-ai/kling-video/requests/{RID}"}


# -- bodies -----------------------------------------------------------------------------


def test_durations_go_out_as_the_string_enums_fal_declares() -> None:
    """wan/v2.6/text-to-video takes duration "5" | "10" | "15" and the Kling 3 apps take
    "3".."15", also per multi_prompt shot: an integer is a 422 (tests/fixtures/fal/schemas)."""
    wan = T.build_submit(job(prompt="waves", duration=10), channel("wan/v2.6/text-to-video"))
    assert wan.json == {"prompt": "waves", "duration": "10"}
    shots = [{"prompt": "a", "duration": 2}, {"prompt": "b", "duration": 3.0}]
    kling = T.build_submit(job(multi_prompt=shots, duration=5, sound=True), channel(KLING))
    assert kling.json is not None
    assert kling.json["multi_prompt"] == [
        {"prompt": "a", "duration": "2"},
        {"prompt": "b", "duration": "3"},
    ]
    assert kling.json["duration"] == "5" and kling.json["sound"] is True
    mapped = channel(KLING, params={"duration": {"to": "duration", "transform": "str"}})
    assert T.build_submit(job(duration=7), mapped).json == {"duration": "7"}


# -- endpoint ids -----------------------------------------------------------------------


def test_endpoint_ids_and_their_queue_paths() -> None:
    app = parse_app(KLING)
    assert (app.owner, app.app, app.path) == ("fal-ai", "kling-video", "v3/standard/text-to-video")
    assert app.endpoint == KLING and app.queue_path == "fal-ai/kling-video"
    flux = parse_app("fal-ai/flux-2-pro")
    assert flux.path is None and flux.queue_path == flux.endpoint == "fal-ai/flux-2-pro"
    workflow = parse_app("workflows/someone/my-flow/run")
    assert workflow.queue_path == "workflows/someone/my-flow" and workflow.path == "run"


@pytest.mark.parametrize("bad", ["flux", "", "fal-ai/", "fal-ai/flux 2", "../x/y", "a/b?c=1"])
def test_malformed_endpoint_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a fal endpoint id"):
        parse_app(bad)


# -- submit -----------------------------------------------------------------------------


def test_submit_posts_the_mapped_input_with_the_key_header() -> None:
    params = {
        "prompt": "a cat",
        "aspect_ratio": "16:9",
        "resolution": "1K",
        "callback_url": "https://client.test/hook",
    }
    req = T.build_submit(job(**params), channel(**PARAMS))
    assert (req.method, req.url) == ("POST", f"{BASE}/fal-ai/flux-2-pro")
    assert req.headers["Authorization"] == "Key fal_key_id:fal_key_secret"
    assert req.json == {"prompt": "a cat", "image_size": "landscape_16_9"}
    assert req.params is None  # no webhook: no query string
    assert "fal_key_secret" not in repr(req)


def test_submit_asks_for_the_webhook_and_keeps_the_sub_path() -> None:
    req = T.build_submit(job("https://gw.test/hooks/fal/task_123"), channel(KLING))
    assert req.url == f"{BASE}/{KLING}"
    assert req.params == {"fal_webhook": "https://gw.test/hooks/fal/task_123"}


def test_the_submit_answer_keeps_the_urls_and_the_queue_position() -> None:
    outcome = T.parse_submit(job(), response(200, fixture("submit")))
    assert isinstance(outcome, Submitted)
    assert outcome.upstream_id == RID and outcome.poll_after == 2.0
    assert outcome.state == {
        "phase": "status",
        "status_url": f"{BASE}/fal-ai/kling-video/requests/{RID}/status",
        "response_url": f"{BASE}/fal-ai/kling-video/requests/{RID}",
        "cancel_url": f"{BASE}/fal-ai/kling-video/requests/{RID}/cancel",
        "queue_position": 3,
    }


@pytest.mark.parametrize("body", [b"<html>oops", b"[]", b'{"status": "IN_QUEUE"}'])
def test_an_unreadable_submit_answer_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(200, body))


def test_a_refused_submission_carries_the_detail() -> None:
    outcome = T.parse_submit(job(), response(422, fixture("error_422")))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == ("upstream_failed", False, 422)
    assert outcome.message.startswith("fal answered HTTP 422: image_size: Input should be")
    assert outcome.message.endswith("(enum)")
    assert "wide" not in outcome.message  # the echoed input stays out


@pytest.mark.parametrize(
    ("status", "code", "retryable", "retry_after"),
    [
        (429, "upstream_rate_limited", True, 7.0),
        (500, "upstream_unavailable", True, None),
        (503, "upstream_unavailable", True, 7.0),
        (401, "upstream_auth_failed", False, None),
        (403, "upstream_auth_failed", False, None),
        (404, "upstream_not_found", False, None),
        (422, "upstream_failed", False, None),
        (400, "upstream_rejected", False, None),
    ],
)
def test_map_error(status: int, code: str, retryable: bool, retry_after: float | None) -> None:
    headers = {"Retry-After": "7"} if retry_after else {}
    failed = T.map_error(response(status, {"detail": "nope"}, **headers))
    assert isinstance(failed, HttpFailed)
    assert (failed.code, failed.retryable, failed.status) == (code, retryable, status)
    assert failed.retry_after == retry_after
    assert failed.message == f"fal answered HTTP {status}: nope"


def test_map_error_names_the_error_type() -> None:
    failed = T.map_error(
        response(504, fixture("result_error"), **{"X-Fal-Error-Type": "internal_error"})
    )
    assert failed.message.endswith("Internal error while generating the video [internal_error]")


# -- poll: status -----------------------------------------------------------------------


def test_status_polls_go_to_the_status_url_with_logs() -> None:
    state = T.parse_submit(job(), response(200, fixture("submit")))
    assert isinstance(state, Submitted)
    req = T.build_poll(job(), channel(KLING), RID, state.state)
    assert (req.method, req.url) == ("GET", f"{BASE}/fal-ai/kling-video/requests/{RID}/status")
    assert req.params == {"logs": "1"}
    assert req.headers["Authorization"] == "Key fal_key_id:fal_key_secret"


def test_without_urls_the_owner_and_app_path_is_used() -> None:
    req = T.build_poll(job(), channel(KLING), RID, None)
    assert req.url == f"{BASE}/fal-ai/kling-video/requests/{RID}/status"
    req = T.build_poll(job(), channel(KLING), RID, {"phase": "result"})
    assert req.url == f"{BASE}/fal-ai/kling-video/requests/{RID}" and req.params is None
    cancel = T.build_cancel(job(), channel(KLING), RID)
    assert (cancel.method, cancel.url) == (
        "PUT",
        f"{BASE}/fal-ai/kling-video/requests/{RID}/cancel",
    )


def test_urls_on_another_origin_never_get_the_key() -> None:
    proxy = channel(KLING, base="https://fal-proxy.internal/queue")
    state = {"phase": "status", "status_url": f"{BASE}/fal-ai/kling-video/requests/{RID}/status"}
    req = T.build_poll(job(), proxy, RID, state)
    assert req.url == f"https://fal-proxy.internal/queue/fal-ai/kling-video/requests/{RID}/status"


def test_in_queue_is_running_with_its_position() -> None:
    outcome = T.parse_poll(job(), response(202, fixture("status_in_queue")), {"phase": "status"})
    assert outcome == Running(
        progress=None, poll_after=2.0, state={"phase": "status", "polls": 1, "queue_position": 1}
    )


def test_in_progress_reads_progress_from_the_newest_log_line_that_has_one() -> None:
    state = {"phase": "status", "polls": 2, "queue_position": 0}
    outcome = T.parse_poll(job(), response(202, fixture("status_in_progress")), state)
    assert outcome == Running(progress=40, poll_after=2.0, state={"phase": "status", "polls": 3})


@pytest.mark.parametrize(
    ("messages", "progress"),
    [
        (["step 3/10"], 30),
        (["Loading weights", "nothing to see"], None),
        (["100%|##########| 30/30"], 99),  # never 100 until the result is in
        (["written 2024/05"], None),
        ([], None),
    ],
)
def test_progress_from_logs(messages: list[str], progress: int | None) -> None:
    body = {"status": "IN_PROGRESS", "logs": [{"message": m} for m in messages]}
    outcome = T.parse_poll(job(), response(202, body), None)
    assert isinstance(outcome, Running) and outcome.progress == progress


def test_completed_moves_to_the_result_phase_at_once() -> None:
    state = {"phase": "status", "response_url": RESULT["response_url"], "polls": 4}
    outcome = T.parse_poll(job(), response(200, fixture("status_completed")), state)
    assert isinstance(outcome, Running) and outcome.poll_after == 0
    assert outcome.state == {**state, "phase": "result", "polls": 5}
    req = T.build_poll(job(), channel(KLING), RID, outcome.state)
    assert (req.method, req.url, req.params) == ("GET", RESULT["response_url"], None)


def test_completed_with_an_error_is_a_failure() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("status_completed_error")), None)
    assert outcome == Failed(message="fal: Request timed out [request_timeout]")


def test_an_unknown_status_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        T.parse_poll(job(), response(200, {"status": "EXPLODED"}), None)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_busy_upstream_keeps_polling(status: int) -> None:
    for state in ({"phase": "status", "polls": 1}, RESULT):
        outcome = T.parse_poll(job(), response(status, b"busy", **{"Retry-After": "3"}), state)
        assert outcome == Running(poll_after=3.0, state=state)
    outcome = T.parse_poll(job(), response(status, b"busy"), None)
    assert outcome == Running(poll_after=2.0, state={})


@pytest.mark.parametrize(
    ("status", "code"), [(404, "upstream_not_found"), (401, "upstream_auth_failed")]
)
def test_a_lost_request_or_key_fails_the_poll(status: int, code: str) -> None:
    outcome = T.parse_poll(job(), response(status, {"detail": "Request not found"}), None)
    assert isinstance(outcome, HttpFailed) and (outcome.code, outcome.retryable) == (code, False)


# -- poll: result -----------------------------------------------------------------------


def test_an_image_result() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("result_image")), RESULT)
    assert isinstance(outcome, Succeeded)
    first, second = outcome.artifacts
    assert (first.content_type, first.name) == ("image/png", "output-0.png")
    assert first.url == "https://v3.fal.media/files/penguin/Xq1c2F7bX_aZ9kLmN0pQr.png"
    assert dict(first.meta) == {"width": 1024, "height": 768, "file_size": 1824075}
    assert (second.content_type, second.name) == ("image/jpeg", "output-1.jpeg")
    assert outcome.result is not None
    assert [i["url"] for i in outcome.result["images"]] == ["artifact:0", "artifact:1"]
    assert outcome.result["seed"] == 196619188014358660
    assert outcome.result["images"][0]["width"] == 1024


def test_a_video_result() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("result_video")), RESULT)
    assert isinstance(outcome, Succeeded)
    (video,) = outcome.artifacts
    assert (video.content_type, video.name) == ("video/mp4", "output-0.mp4")
    assert outcome.result == {
        "video": {
            "url": "artifact:0",
            "content_type": "video/mp4",
            "file_name": "output.mp4",
            "file_size": 4815162,
        }
    }


def test_an_audio_file_result() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("result_audio")), RESULT)
    assert isinstance(outcome, Succeeded)
    (audio,) = outcome.artifacts
    assert (audio.content_type, audio.name) == ("audio/mpeg", "output-0.mp3")
    assert outcome.result == {
        "audio_file": {**fixture("result_audio")["audio_file"], "url": "artifact:0"},
        "duration": 3.4,
    }


def test_types_come_from_the_extension_when_fal_gives_none() -> None:
    outputs = read_fal_output(
        {"image": {"url": "https://v3.fal.media/files/x/pic.webp"}, "audio": "https://x/a.wav"}
    )
    assert [(a.content_type, a.name) for a in outputs.artifacts] == [
        ("image/webp", "output-0.webp"),
        ("audio/wav", "output-1.wav"),
    ]
    assert outputs.result == {"image": {"url": "artifact:0"}, "audio": {"url": "artifact:1"}}


def test_a_data_uri_becomes_bytes() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    outputs = read_fal_output({"images": [{"url": uri, "width": 8}]})
    (art,) = outputs.artifacts
    assert (art.data, art.url, art.content_type, art.name) == (
        png,
        None,
        "image/png",
        "output-0.png",
    )
    with pytest.raises(MalformedResponse):
        read_fal_output({"image": {"url": "data:image/png;base64,@@@"}})


@pytest.mark.parametrize(
    ("status", "body", "headers", "message"),
    [
        (
            500,
            fixture("result_error"),
            {"X-Fal-Error-Type": "internal_error"},
            "fal: the request failed with HTTP 500: Internal error while generating the video "
            "[internal_error]",
        ),
        (
            504,
            {"detail": "Request timed out"},
            {"X-Fal-Error-Type": "request_timeout"},
            "fal: the request failed with HTTP 504: Request timed out [request_timeout]",
        ),
        (
            422,
            {
                "detail": [
                    {
                        "loc": ["body", "prompt"],
                        "msg": "flagged",
                        "type": "content_policy_violation",
                    }
                ]
            },
            {},
            "fal: the request failed with HTTP 422: prompt: flagged (content_policy_violation)",
        ),
        (
            200,
            {"error": "Out of memory", "error_type": "runner_disconnected"},
            {},
            "fal: Out of memory [runner_disconnected]",
        ),
        (200, {"detail": "No face found in the image"}, {}, "fal: No face found in the image"),
    ],
)
def test_failed_results(status: int, body: Any, headers: dict[str, str], message: str) -> None:
    outcome = T.parse_poll(job(), response(status, body, **headers), RESULT)
    assert isinstance(outcome, Failed) and not isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.message) == ("upstream_failed", False, message)


def test_a_result_without_files_is_a_failure() -> None:
    outcome = T.parse_poll(job(), response(200, {"seed": 1, "images": []}), RESULT)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_no_output"


def test_a_result_that_is_not_an_object_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        T.parse_poll(job(), response(200, [1, 2]), RESULT)


# -- webhooks ---------------------------------------------------------------------------


def test_webhook_bodies() -> None:
    ok = parse_fal_webhook(orjson.dumps(fixture("webhook_ok")))
    assert ok == FalWebhook("123e4567-e89b-12d3-a456-426614174000", "OK")
    request_id, status = parse_fal_webhook(orjson.dumps(fixture("webhook_error")))
    assert (request_id, status) == ("123e4567-e89b-12d3-a456-426614174000", "ERROR")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"status": "OK"}',
        b'{"request_id": "", "status": "OK"}',
        b'{"request_id": "r1", "status": "COMPLETED"}',
        b'{"request_id": 7, "status": "OK"}',
    ],
)
def test_bodies_that_are_not_webhooks(body: bytes) -> None:
    with pytest.raises(FalWebhookError):
        parse_fal_webhook(body)


# -- build ------------------------------------------------------------------------------


def test_build_reads_the_options() -> None:
    provider = build(channel(KLING, poll_interval=0.5, timeout=5, **PARAMS))
    assert provider.translator == FalTranslator(poll_interval=0.5)
    assert "fal_key_secret" not in repr(provider)


@pytest.mark.parametrize(
    ("model", "base", "options"),
    [
        ("fal-ai", BASE, {}),
        ("fal-ai/flux-2-pro", "queue.fal.run", {}),
        ("fal-ai/flux-2-pro", BASE, {"poll_interval": 0}),
        ("fal-ai/flux-2-pro", BASE, {"timeout": "60"}),
        ("fal-ai/flux-2-pro", BASE, {"params": {"aspect_ratio": {"transform": "shout"}}}),
    ],
)
def test_build_refuses_a_bad_channel(model: str, base: str, options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(channel(model, base=base, **options))
