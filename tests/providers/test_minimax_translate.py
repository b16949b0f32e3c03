"""MiniMax video translation on recorded payloads: no network, no clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from apiinone.providers.base import Failed, JobRequest, Running, Submitted, Succeeded
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpResponse, MalformedResponse
from apiinone.providers.minimax import MiniMaxVideoTranslator, build

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "minimax"
BASE = "https://api.minimax.io"
TASK = "106916112212032"
T = MiniMaxVideoTranslator()
IMAGE = "https://gw.test/files/up_1/cat.png"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((FIXTURES / f"{name}.json").read_bytes())
    return data


def response(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return HttpResponse(status=status, headers=headers, body=raw)


def channel(model: str = "MiniMax-Hailuo-2.3", **options: Any) -> ChannelConfig:
    return ChannelConfig(
        name="minimax/hailuo-2-3",
        base_url=BASE,
        credential="mm_secret",
        upstream_model=model,
        options=options,
    )


def job(variant: str | None = None, webhook: str | None = None, **params: Any) -> JobRequest:
    return JobRequest(
        task_id="task_123",
        model="hailuo-2-3",
        variant=variant,
        endpoint="videos/generations",
        kind="video",
        params=params
        or {"prompt": "a cat turns", "image": IMAGE, "duration": "10", "resolution": "768P"},
        webhook_url=webhook,
    )


QUERY = {"phase": "query", "polls": 0}
RETRIEVE = {"phase": "retrieve", "file_id": "205258526306433"}


# -- submit ---------------------------------------------------------------------------


def test_submit_maps_our_params_by_default() -> None:
    req = T.build_submit(job(), channel())
    assert (req.method, req.url) == ("POST", f"{BASE}/v1/video_generation")
    assert req.headers["Authorization"] == "Bearer mm_secret"
    assert req.json == {
        "model": "MiniMax-Hailuo-2.3",
        "prompt": "a cat turns",
        "first_frame_image": IMAGE,
        "duration": 10,  # our "10" is MiniMax's integer
        "resolution": "768P",
    }


def test_the_channel_mapping_wins_over_the_defaults() -> None:
    options: dict[str, Any] = {
        "params": {"resolution": {"to": "resolution", "values": {"768P": "512P"}}, "prompt": ""},
        "defaults": {"prompt_optimizer": False},
    }
    body = T.build_submit(job(), channel(**options)).json
    assert body == {
        "prompt_optimizer": False,
        "first_frame_image": IMAGE,
        "duration": 10,
        "resolution": "512P",
        "model": "MiniMax-Hailuo-2.3",
    }


def test_the_bound_model_is_sent_and_callbacks_follow_the_gateway() -> None:
    ch = channel(callbacks=True)
    body = T.build_body(job("hailuo/2-3-image-to-video-pro", "https://gw.test/h/1"), ch)
    assert body["model"] == "MiniMax-Hailuo-2.3"
    assert body["callback_url"] == "https://gw.test/h/1"
    assert "callback_url" not in T.build_body(job(), ch)  # the gateway has no public URL
    quiet = T.build_body(job(webhook="https://gw.test/h/1"), channel())  # off by default
    assert "callback_url" not in quiet


def test_a_client_callback_url_is_never_sent() -> None:
    body = T.build_submit(job(prompt="x", callback_url="https://client.test/h"), channel()).json
    assert body == {"prompt": "x", "model": "MiniMax-Hailuo-2.3"}


def test_a_task_id_is_submitted() -> None:
    outcome = MiniMaxVideoTranslator(first_poll=0.5).parse_submit(
        job(), response(200, fixture("submit_ok"))
    )
    assert outcome == Submitted(upstream_id=TASK, poll_after=0.5, state=QUERY)


@pytest.mark.parametrize(
    ("name", "code", "retryable"),
    [
        ("submit_1002", "upstream_rate_limited", True),
        ("submit_1004", "upstream_auth_failed", False),
        ("submit_1008", "upstream_insufficient_balance", False),
        ("submit_1026", "upstream_content_rejected", False),
        ("submit_2013", "upstream_rejected", False),
    ],
)
def test_base_resp_failures_arrive_with_http_200(name: str, code: str, retryable: bool) -> None:
    body = fixture(name)
    outcome = T.parse_submit(job(), response(200, body))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == (code, retryable, 200)
    status = body["base_resp"]["status_code"]
    assert f"({status}: {body['base_resp']['status_msg']}"[:40] in outcome.message


def test_an_unknown_or_transient_code() -> None:
    unknown = T.parse_submit(job(), response(200, {"base_resp": {"status_code": 2039}}))
    assert isinstance(unknown, Failed) and not unknown.retryable
    busy = T.parse_submit(job(), response(200, {"base_resp": {"status_code": 1033}}))
    assert isinstance(busy, Failed) and busy.retryable and busy.code == "upstream_unavailable"


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (401, "upstream_auth_failed", False),
        (404, "upstream_not_found", False),
        (400, "upstream_rejected", False),
        (429, "upstream_rate_limited", True),
        (500, "upstream_unavailable", True),
    ],
)
def test_http_errors(status: int, code: str, retryable: bool) -> None:
    outcome = T.parse_submit(job(), response(status, fixture("error_http_401")))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable, outcome.status) == (code, retryable, status)
    assert "login fail" in outcome.message


@pytest.mark.parametrize(
    "body", [b"<html>", [1], {"base_resp": {"status_code": 0}}, {"task_id": 7}]
)
def test_malformed_submit_answers(body: Any) -> None:
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(200, body))


# -- poll: the query phase ------------------------------------------------------------


def test_poll_queries_the_task_then_retrieves_the_file() -> None:
    query = T.build_poll(job(), channel(), TASK, QUERY)
    assert (query.method, query.url) == ("GET", f"{BASE}/v1/query/video_generation")
    assert query.params == {"task_id": TASK}
    retrieve = T.build_poll(job(), channel(), TASK, RETRIEVE)
    assert retrieve.url == f"{BASE}/v1/files/retrieve"
    assert retrieve.params == {"file_id": "205258526306433"}
    grouped = T.build_poll(job(), channel(group_id="1782"), TASK, RETRIEVE)
    assert grouped.params == {"file_id": "205258526306433", "GroupId": "1782"}
    assert retrieve.headers["Authorization"] == "Bearer mm_secret"


@pytest.mark.parametrize("name", ["query_preparing", "query_queueing", "query_processing"])
def test_waiting_states_run_with_no_progress_and_a_growing_wait(name: str) -> None:
    first = T.parse_poll(job(), response(200, fixture(name)), QUERY)
    later = T.parse_poll(job(), response(200, fixture(name)), {**QUERY, "polls": 6})
    assert isinstance(first, Running) and isinstance(later, Running)
    assert first.progress is None and first.poll_after == 5.0
    assert first.state is not None and first.state["polls"] == 1
    assert first.state["status"] == fixture(name)["status"]
    assert 5.0 < later.poll_after <= T.max_poll


def test_success_moves_to_the_retrieve_phase_at_once() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("query_success")), QUERY)
    assert outcome == Running(poll_after=0, state=RETRIEVE)


def test_a_numeric_file_id_is_accepted() -> None:
    body = {**fixture("query_success"), "file_id": 205258526306433}
    assert T.parse_poll(job(), response(200, body), QUERY) == Running(poll_after=0, state=RETRIEVE)


def test_success_without_a_file_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        T.parse_poll(job(), response(200, {**fixture("query_success"), "file_id": ""}), QUERY)


def test_fail() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("query_fail")), QUERY)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_failed", False)
    assert outcome.message.startswith("MiniMax: the video generation failed")


def test_fail_for_sensitive_output() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("query_fail_1027")), QUERY)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_content_rejected"
    assert "1027" in outcome.message


def test_a_query_refused_for_sensitive_input_fails() -> None:
    body = {**fixture("query_processing"), "base_resp": fixture("submit_1026")["base_resp"]}
    outcome = T.parse_poll(job(), response(200, body), QUERY)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_content_rejected"


def test_a_throttled_query_keeps_the_task() -> None:
    throttled = T.parse_poll(job(), response(200, fixture("submit_1002")), {**QUERY, "polls": 1})
    assert isinstance(throttled, Running) and throttled.state == {**QUERY, "polls": 1}
    http = T.parse_poll(job(), response(429, b"", **{"Retry-After": "4"}), RETRIEVE)
    assert http == Running(poll_after=4.0, state=RETRIEVE)
    down = T.parse_poll(job(), response(503, b"down"), RETRIEVE)
    assert isinstance(down, Running) and down.state == RETRIEVE


def test_an_unknown_status_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        T.parse_poll(job(), response(200, {**fixture("query_processing"), "status": "Zzz"}), QUERY)


def test_the_callback_body_reads_like_a_query() -> None:
    outcome = T.parse_query(job(), fixture("callback_success"), QUERY)
    assert outcome == Running(poll_after=0, state=RETRIEVE)
    failed = T.parse_query(job(), {"status": "failed", "base_resp": {"status_code": 0}}, QUERY)
    assert isinstance(failed, Failed)


# -- poll: the retrieve phase ---------------------------------------------------------


def test_the_download_url_is_the_artifact() -> None:
    body = fixture("retrieve_ok")
    outcome = T.parse_poll(job(), response(200, body), RETRIEVE)
    assert isinstance(outcome, Succeeded)
    (art,) = outcome.artifacts
    assert (art.content_type, art.name) == ("video/mp4", "output-0.mp4")
    assert art.url == body["file"]["download_url"]
    assert art.meta["file_id"] == 205258526306433


@pytest.mark.parametrize(
    "body",
    [
        {"base_resp": {"status_code": 0}},
        {"file": {"file_id": 1}, "base_resp": {"status_code": 0}},
        {"file": {"download_url": "ftp://x"}, "base_resp": {"status_code": 0}},
    ],
)
def test_a_file_without_a_url_is_malformed(body: Any) -> None:
    with pytest.raises(MalformedResponse):
        T.parse_poll(job(), response(200, body), RETRIEVE)


def test_a_refused_retrieve_fails() -> None:
    body = {"base_resp": {"status_code": 2013, "status_msg": "invalid params, file_id"}}
    outcome = T.parse_poll(job(), response(200, body), RETRIEVE)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_rejected"


def test_there_is_no_cancel() -> None:
    assert T.build_cancel(job(), channel(), TASK) is None


# -- channel checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"poll_interval": 0},
        {"poll_interval": "5"},
        {"callbacks": "yes"},
        {"group_id": 12},
        {"timeout": 0},
        {"params": {"image": {"to": 3}}},
    ],
)
def test_build_refuses_bad_channels(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(channel(**options))


def test_build_refuses_a_missing_model_and_a_bad_base_url() -> None:
    with pytest.raises(ValueError, match="model"):
        build(channel(model=" "))
    with pytest.raises(ValueError, match="base_url"):
        build(
            ChannelConfig(name="c", base_url="api.minimax.io", credential="k", upstream_model="m")
        )


def test_the_credential_is_not_in_the_repr() -> None:
    assert "mm_secret" not in repr(build(channel()))
    assert "mm_secret" not in repr(T.build_poll(job(), channel(), TASK, QUERY))
