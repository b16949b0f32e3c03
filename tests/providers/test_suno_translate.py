"""Suno reseller translation on recorded payloads: no network, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest

from apiinone.providers.base import Failed, JobRequest, Running, Submitted, Succeeded
from apiinone.providers.http import ChannelConfig, HttpFailed, HttpResponse, MalformedResponse
from apiinone.providers.suno import DEFAULT_MODELS, SunoTranslator, build
from apiinone.providers.suno.options import UNROUTABLE_CALLBACK

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "suno"
BASE = "https://api.reseller.test"
HOOK = "https://gw.test/hooks/tasks/task_1/abc"
T = SunoTranslator(poll_seconds=7.0)
MUSIC = "/api/v1/audio/music"


def fixture(name: str) -> Any:
    return orjson.loads((FIXTURES / f"{name}.json").read_bytes())


def response(status: int, body: Any, **headers: str) -> HttpResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return HttpResponse(status=status, headers=headers, body=raw)


def channel(upstream: str = "suno", **options: Any) -> ChannelConfig:
    return ChannelConfig(
        name="suno-main/suno",
        base_url=BASE,
        credential="sk-secret",
        upstream_model=upstream,
        options=options,
    )


def job(
    endpoint: str = MUSIC,
    *,
    model: str = "suno",
    variant: str | None = "chirp-v4-5",
    parent: Mapping[str, Any] | None = None,
    hook: str | None = HOOK,
    **params: Any,
) -> JobRequest:
    return JobRequest(
        task_id="task_1",
        model=model,
        variant=variant,
        endpoint=endpoint,
        kind="music",
        params=params,
        parent=parent,
        webhook_url=hook,
    )


def parent(**clip_extra: Any) -> dict[str, Any]:
    clips = [
        {
            "id": f"task_0-{i + 1}",
            "title": "Harbour Light",
            "tags": "folk, acoustic",
            "duration": 182.4,
            "upstream_id": f"audio-{i}",
            "upstream_task_id": "up-task-0",
            **clip_extra,
        }
        for i in range(2)
    ]
    return {
        "task_id": "task_0",
        "model": "suno",
        "params": {"gpt_description_prompt": "a folk song"},
        "result": {"clips": clips},
        "response": [],
    }


# -- models and callbacks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("chirp-v4-0", "V4"),
        ("chirp-v4-5", "V4_5"),
        ("chirp-v4-5-plus", "V4_5PLUS"),
        ("chirp-v5", "V5"),
        ("chirp-v5-5", "V5_5"),
    ],
)
def test_variants_map_to_reseller_models(variant: str, expected: str) -> None:
    body = T.build_body(job(variant=variant, gpt_description_prompt="x"), channel())
    assert body["model"] == expected == DEFAULT_MODELS[variant]


def test_the_model_table_is_overridable_and_the_channel_model_is_a_fallback() -> None:
    overridden = channel(models={"chirp-v4-5": "V4_5ALL"})
    assert T.build_body(job(gpt_description_prompt="x"), overridden)["model"] == "V4_5ALL"
    no_variant = job(variant=None, gpt_description_prompt="x")
    assert T.build_body(no_variant, channel("V5"))["model"] == "V5"
    unknown = job(variant="chirp-v9", gpt_description_prompt="x")
    for upstream in ("V5", "suno"):  # a variant is never sent as the channel's model
        refused = T.refusal(unknown, channel(upstream))
        assert isinstance(refused, Failed) and refused.code == "not_configured"
        assert "options.models" in refused.message


def test_retired_v3_5_is_never_sent() -> None:
    """The resellers list V4, V4_5, V4_5PLUS, V4_5ALL, V5 and V5_5: chirp-v3-5 goes out as
    no model (refused before sending), unless the channel names one for it."""
    old = job(variant="chirp-v3-5", gpt_description_prompt="x")
    refused = T.refusal(old, channel("V4_5"))
    assert isinstance(refused, Failed) and refused.code == "not_configured"
    assert T.build_body(old, channel("V4_5", models={"chirp-v3-5": "V4"}))["model"] == "V4"


def test_callback_url_prefers_the_task_hook_then_options_then_our_domain() -> None:
    def callback(hook: str | None, **options: Any) -> Any:
        return T.build_body(job(hook=hook, gpt_description_prompt="x"), channel(**options))[
            "callBackUrl"
        ]

    assert callback(HOOK, callback_url="https://cb.test/x") == HOOK
    assert callback(None, callback_url="https://cb.test/x") == "https://cb.test/x"
    assert callback(None, public_base_url="https://gw.test/") == "https://gw.test/hooks/unused/suno"
    assert callback(None) == UNROUTABLE_CALLBACK
    lyrics = job(
        "/api/v1/audio/music/timestamped-lyrics",
        parent=parent(),
        task_id="task_0",
        audio_id="task_0-1",
    )
    assert "callBackUrl" not in T.build_body(lyrics, channel())  # not a field of that route


# -- generate -------------------------------------------------------------------------


def test_inspiration_mode_sends_the_description_as_prompt() -> None:
    req = T.build_submit(
        job(gpt_description_prompt="a folk song", make_instrumental=True, tags="metal"),
        channel(),
    )
    assert (req.method, req.url) == ("POST", f"{BASE}/api/v1/generate")
    assert req.headers["Authorization"] == "Bearer sk-secret"
    assert "sk-secret" not in repr(req)
    assert req.json == {
        "customMode": False,
        "instrumental": True,
        "model": "V4_5",
        "callBackUrl": HOOK,
        "prompt": "a folk song",
        "negativeTags": "metal",
    }


def test_custom_mode_sends_lyrics_style_title_and_tuning() -> None:
    body = T.build_body(
        job(
            prompt="[Verse]\nSalt on the window",
            style="folk",
            title="Harbour",
            tags="metal",
            gender="female",
            style_weight=0.6,
            weirdness_constraint=0.2,
            audio_weight=0.5,
            make_instrumental=False,
            gpt_description_prompt="ignored in custom mode",
        ),
        channel(),
    )
    assert body == {
        "customMode": True,
        "instrumental": False,
        "model": "V4_5",
        "callBackUrl": HOOK,
        "prompt": "[Verse]\nSalt on the window",
        "style": "folk",
        "title": "Harbour",
        "negativeTags": "metal",
        "vocalGender": "f",
        "styleWeight": 0.6,
        "weirdnessConstraint": 0.2,
        "audioWeight": 0.5,
    }


def test_custom_mode_without_a_title_takes_the_first_sung_line() -> None:
    body = T.build_body(job(prompt="[Intro]\n\nSalt on the window\nmore", style="folk"), channel())
    assert body["title"] == "Salt on the window"
    assert T.build_body(job(style="ambient", make_instrumental=True), channel())["title"] == (
        "Untitled"
    )


# -- extend, upload-cover, cover art, lyrics ------------------------------------------


def test_extend_uses_the_upstream_audio_id_and_the_sources_model() -> None:
    extend = job(
        "/api/v1/audio/music/extend",
        model="suno-extend",
        parent=parent(upstream_model="V4_5PLUS"),
        origin_task_id="task_0",
        extend_audio_index=1,
        custom_mode=False,
        extensionStartTime=60,
    )
    req = T.build_submit(extend, channel())
    assert req.url == f"{BASE}/api/v1/generate/extend"
    assert req.json == {
        "audioId": "audio-1",
        "defaultParamFlag": False,
        "model": "V4_5PLUS",
        "callBackUrl": HOOK,
        "continueAt": 60,
    }


def test_extend_in_custom_mode_inherits_style_and_title_and_starts_at_the_end() -> None:
    body = T.build_body(
        job(
            "/api/v1/audio/music/extend",
            parent=parent(),
            origin_task_id="task_0",
            extend_audio_index=0,
            custom_mode=True,
            prompt="[Bridge]\nand the tide comes home",
        ),
        channel(),
    )
    assert body["defaultParamFlag"] is True and body["model"] == "V4_5"
    assert (body["style"], body["title"], body["continueAt"]) == (
        "folk, acoustic",
        "Harbour Light",
        182,
    )
    assert body["prompt"] == "[Bridge]\nand the tide comes home"


@pytest.mark.parametrize(
    "endpoint",
    [
        "/api/v1/audio/music/extend",
        "/api/v1/audio/music/cover/generate",
        "/api/v1/audio/music/timestamped-lyrics",
    ],
)
def test_a_parent_without_reseller_ids_is_refused_before_sending(endpoint: str) -> None:
    sandbox_parent = parent(upstream_id=None, upstream_task_id=None)
    refused = T.refusal(
        job(
            endpoint,
            parent=sandbox_parent,
            origin_task_id="task_0",
            extend_audio_index=0,
            task_id="task_0",
            audio_id="task_0-1",
        ),
        channel(),
    )
    assert isinstance(refused, Failed) and refused.code == "invalid_reference"
    assert not refused.retryable and "task_0" in refused.message


def test_upload_cover_makes_the_gateway_path_absolute() -> None:
    upload = job(
        "/api/v1/audio/music/upload-cover/generate",
        model="suno-upload-cover",
        variant="chirp-v5",
        parent={"audio_url": "/files/f_123/song.mp3"},
        audio_id="f_123",
        custom_mode=True,
        prompt="[Verse]\nNew words",
        style="jazz",
    )
    req = T.build_submit(upload, channel(public_base_url="https://gw.example/"))
    assert req.url == f"{BASE}/api/v1/generate/upload-cover"
    assert req.json == {
        "uploadUrl": "https://gw.example/files/f_123/song.mp3",
        "customMode": True,
        "instrumental": False,
        "model": "V5",
        "callBackUrl": HOOK,
        "prompt": "[Verse]\nNew words",
        "style": "jazz",
        "title": "New words",
    }
    refused = T.refusal(upload, channel())
    assert isinstance(refused, Failed) and refused.code == "not_configured"
    assert "public_base_url" in refused.message


def test_cover_art_and_lyrics_send_the_parents_upstream_ids() -> None:
    cover = T.build_submit(
        job("/api/v1/audio/music/cover/generate", variant=None, parent=parent(), task_id="t0"),
        channel(),
    )
    assert cover.url == f"{BASE}/api/v1/suno/cover/generate"
    assert cover.json == {"taskId": "up-task-0", "callBackUrl": HOOK}
    lyrics = T.build_submit(
        job(
            "/api/v1/audio/music/timestamped-lyrics",
            variant=None,
            parent=parent(),
            task_id="task_0",
            audio_id="task_0-2",
        ),
        channel(),
    )
    assert lyrics.url == f"{BASE}/api/v1/generate/get-timestamped-lyrics"
    assert lyrics.json == {"taskId": "up-task-0", "audioId": "audio-1"}


def test_the_route_falls_back_to_the_model_slug() -> None:
    req = T.build_submit(
        job("audio/music/extend-v2", model="suno-extend", parent=parent(), extend_audio_index=0),
        channel(),
    )
    assert req.url.endswith("/api/v1/generate/extend")
    refused = T.refusal(job("/api/v1/images/generations", model="flux-2"), channel())
    assert isinstance(refused, Failed) and refused.code == "unsupported"


# -- submission answers ---------------------------------------------------------------


def test_an_accepted_task_is_polled() -> None:
    outcome = T.parse_submit(job(), response(200, fixture("submit_ok")))
    assert outcome == Submitted(upstream_id="7f3c0a9e51b24d6c8e2f4a1b9c0d3e5f", poll_after=7.0)


@pytest.mark.parametrize(
    ("name", "status", "code", "retryable"),
    [
        ("submit_430", 200, "upstream_rate_limited", True),
        ("submit_429", 200, "upstream_rate_limited", True),
        ("submit_455", 200, "upstream_unavailable", True),
        ("submit_400", 200, "upstream_rejected", False),
        ("submit_401", 401, "upstream_auth_failed", False),
        ("submit_401", 200, "upstream_auth_failed", False),
    ],
)
def test_envelope_failures_inside_http_200(
    name: str, status: int, code: str, retryable: bool
) -> None:
    outcome = T.parse_submit(job(), response(status, fixture(name)))
    assert isinstance(outcome, HttpFailed)
    assert (outcome.code, outcome.retryable) == (code, retryable)
    assert fixture(name)["msg"] in outcome.message


def test_http_errors_without_an_envelope() -> None:
    down = T.parse_submit(job(), response(502, b"<html>Bad Gateway</html>", **{"Retry-After": "3"}))
    assert isinstance(down, HttpFailed) and down.retryable and down.retry_after == 3.0
    gone = T.parse_submit(job(), response(404, b"not found"))
    assert isinstance(gone, HttpFailed) and gone.code == "upstream_not_found"
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(200, b"<html>"))
    with pytest.raises(MalformedResponse):
        T.parse_submit(job(), response(200, {"code": 200, "msg": "success", "data": {}}))


def test_a_second_cover_request_polls_the_existing_cover() -> None:
    cover = job("/api/v1/audio/music/cover/generate", variant=None)
    outcome = T.parse_submit(cover, response(200, fixture("cover_exists")))
    assert isinstance(outcome, Submitted)
    assert outcome.upstream_id == "21aee3c3c2a01fa5e030b3799fa4dd56"
    music = T.parse_submit(job(), response(200, fixture("cover_exists")))
    assert isinstance(music, Failed) and music.code == "upstream_rejected"


def test_lyrics_answer_at_once_in_our_shape() -> None:
    lyrics = job("/api/v1/audio/music/timestamped-lyrics", variant=None)
    outcome = T.parse_submit(lyrics, response(200, fixture("lyrics_ok")))
    assert isinstance(outcome, Succeeded) and outcome.artifacts == ()
    result = dict(outcome.result or {})
    assert result["waveform"] == [0, 1, 0.5, 0.75]
    assert result["text"] == "[Verse]\nSalt on the window\n[Chorus]\nLight"
    assert result["lyricParams"] == [
        {"text": "[Verse]", "metadata": {"style": "verse"}, "type": "segment_break"},
        {"text": "Salt", "start": 1.36, "end": 1.79, "type": "lyric"},
        {"text": "on", "start": 1.8, "end": 1.95, "type": "lyric"},
        {"text": "the", "start": 1.96, "end": 2.1, "type": "lyric"},
        {"text": "window", "start": 2.11, "end": 2.8, "type": "lyric"},
        {"text": "[Chorus]", "metadata": {"style": "chorus"}, "type": "segment_break"},
        {"text": "Light", "start": 11.23, "end": 14.89, "type": "lyric"},
    ]
    failed = T.parse_submit(lyrics, response(200, {"code": 404, "msg": "no lyrics", "data": None}))
    assert isinstance(failed, Failed) and failed.code == "upstream_not_found"


# -- polls ----------------------------------------------------------------------------


def test_polls_go_to_the_record_routes() -> None:
    music = T.build_poll(job(), channel(), "up-1", None)
    assert (music.method, music.url) == ("GET", f"{BASE}/api/v1/generate/record-info")
    assert music.params == {"taskId": "up-1"}
    assert music.headers["Authorization"] == "Bearer sk-secret"
    cover = T.build_poll(job("/api/v1/audio/music/cover/generate"), channel(), "up-2", None)
    assert cover.url == f"{BASE}/api/v1/suno/cover/record-info"
    assert T.build_cancel(job(), channel(), "up-1") is None


@pytest.mark.parametrize(
    ("name", "progress"),
    [("record_pending", 10), ("record_text_success", 40), ("record_first_success", 70)],
)
def test_running_stages_give_progress(name: str, progress: int) -> None:
    outcome = T.parse_poll(job(), response(200, fixture(name)), None)
    assert outcome == Running(progress=progress, poll_after=7.0)


@pytest.mark.parametrize("name", ["record_success", "record_callback_exception"])
def test_success_gives_every_clips_audio_and_cover(name: str) -> None:
    outcome = T.parse_poll(job(), response(200, fixture(name)), None)
    assert isinstance(outcome, Succeeded)
    kinds = [(a.content_type, a.name) for a in outcome.artifacts]
    assert kinds == [
        ("audio/mpeg", "clip-1.mp3"),
        ("image/jpeg", "cover-1.jpg"),
        ("audio/mpeg", "clip-2.mp3"),
        ("image/jpeg", "cover-2.jpg"),
    ]
    a1 = "e231b7c4-5a1d-4f0e-9b2c-8d7e6f5a4c3b"
    assert outcome.artifacts[0].url == f"https://cdn.reseller.test/{a1}.mp3"
    clips = (outcome.result or {})["clips"]
    assert clips[0] == {
        "id": "task_1-1",
        "title": "Harbour Light",
        "tags": "folk, acoustic",
        "duration": 182.4,
        "model_name": "chirp-auk",
        "audio_url": "artifact:0",
        "image_url": "artifact:1",
        "status": "complete",
        "upstream_id": a1,
        "upstream_task_id": "7f3c0a9e51b24d6c8e2f4a1b9c0d3e5f",
        "upstream_model": "V4_5",
    }
    assert (clips[1]["id"], clips[1]["audio_url"], clips[1]["image_url"]) == (
        "task_1-2",
        "artifact:2",
        "artifact:3",
    )


def test_the_snake_case_variant_of_the_docs_is_read_too() -> None:
    outcome = T.parse_poll(job(), response(200, fixture("record_success_snake_case")), None)
    assert isinstance(outcome, Succeeded) and len(outcome.artifacts) == 4
    assert (outcome.result or {})["clips"][0]["model_name"] == "chirp-v3-5"


def test_success_without_audio_is_unreadable() -> None:
    body = fixture("record_first_success")
    body["data"]["status"] = "SUCCESS"
    with pytest.raises(MalformedResponse):
        T.parse_poll(job(), response(200, body), None)


@pytest.mark.parametrize(
    ("name", "code", "text"),
    [
        ("record_sensitive", "upstream_content_refused", "sensitive words"),
        ("record_audio_failed", "upstream_failed", "Audio generation failed"),
    ],
)
def test_failed_tasks_carry_the_resellers_message(name: str, code: str, text: str) -> None:
    outcome = T.parse_poll(job(), response(200, fixture(name)), None)
    assert isinstance(outcome, Failed) and not outcome.retryable
    assert outcome.code == code and text in outcome.message


def test_a_running_state_we_do_not_know_keeps_polling() -> None:
    body = fixture("record_pending")
    body["data"]["status"] = "GENERATING"
    assert T.parse_poll(job(), response(200, body), None) == Running(progress=None, poll_after=7.0)
    body["data"]["status"] = "CALLBACK_EXCEPTION"  # without clips: a failure
    assert isinstance(T.parse_poll(job(), response(200, body), None), Failed)


def test_poll_errors_retry_or_fail() -> None:
    throttled = T.parse_poll(job(), response(200, fixture("submit_430")), None)
    assert throttled == Running(poll_after=14.0)
    down = T.parse_poll(job(), response(503, b"", **{"Retry-After": "60"}), None)
    assert down == Running(poll_after=60.0)
    lost = T.parse_poll(job(), response(200, {"code": 404, "msg": "no task", "data": None}), None)
    assert isinstance(lost, Failed) and lost.code == "upstream_not_found"
    with pytest.raises(MalformedResponse):
        T.parse_poll(job(), response(200, {"code": 200, "msg": "ok", "data": {}}), None)


def test_cover_details() -> None:
    cover = job("/api/v1/audio/music/cover/generate", variant=None)
    pending = T.parse_poll(cover, response(200, fixture("cover_record_pending")), None)
    assert isinstance(pending, Running)
    done = T.parse_poll(cover, response(200, fixture("cover_record_success")), None)
    assert isinstance(done, Succeeded)
    assert [(a.content_type, a.name) for a in done.artifacts] == [
        ("image/png", "cover-1.png"),
        ("image/png", "cover-2.png"),
    ]
    assert done.result == {"images": ["artifact:0", "artifact:1"]}
    failed = T.parse_poll(cover, response(200, fixture("cover_record_failed")), None)
    assert isinstance(failed, Failed) and "Cover generation failed" in failed.message
    with_status = fixture("cover_record_pending")
    with_status["data"]["status"] = "GENERATE_COVER_FAILED"
    assert isinstance(T.parse_poll(cover, response(200, with_status), None), Failed)


# -- build ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"models": {"chirp-v5": 5}},
        {"public_base_url": "gw.example"},
        {"callback_url": 3},
        {"poll_seconds": 0},
        {"timeout": True},
    ],
)
def test_build_refuses_malformed_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="suno option"):
        build(channel(**options))
    with pytest.raises(ValueError, match="base_url"):
        build(ChannelConfig(name="x", base_url="ftp://x", credential="k", upstream_model="s"))


def test_build_uses_the_poll_interval() -> None:
    provider = build(channel(poll_seconds=0.5, timeout=5))
    assert isinstance(provider.translator, SunoTranslator)
    assert provider.translator.poll_seconds == 0.5
    assert "sk-secret" not in repr(provider)


def test_exports_are_explicit_and_real() -> None:
    import apiinone.providers.suno as suno

    assert sorted(suno.__all__) == suno.__all__
    assert all(hasattr(suno, name) for name in suno.__all__)
