"""Request validation: every failure names its field; accepted bodies are normalised."""

from __future__ import annotations

import pytest

from apiinone.catalog import Catalog, ValidatedRequest, validate_request
from apiinone.errors import InvalidRequest, NotFound

IMAGES = "/api/v1/images/generations"
VIDEOS = "/api/v1/videos/generations"
MUSIC = "/api/v1/audio/music"
SPEECH = "/api/v1/audio/speech"
CHAT = "/api/v1/chat/completions"
URL = "https://example.com/a.png"


def ok(catalog: Catalog, path: str, body: object) -> ValidatedRequest:
    return validate_request(catalog, path, body)


def fails(catalog: Catalog, path: str, body: object) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        validate_request(catalog, path, body)
    return info.value


def test_defaults_are_filled_and_model_is_not_a_param(catalog: Catalog) -> None:
    v = ok(catalog, IMAGES, {"model": "flux-2", "prompt": "a pond"})
    assert v.model.slug == "flux-2" and v.variant is None
    assert v.params == {
        "prompt": "a pond",
        "aspect_ratio": "1:1",
        "type": "pro",
        "resolution": "1K",
    }
    kling = ok(catalog, VIDEOS + "/", {"model": "kling-3", "prompt": "a dog"})
    assert kling.params["duration"] == 5 and kling.params["sound"] is True


def test_callback_url_is_kept(catalog: Catalog) -> None:
    hook = "https://hooks.example.com/done"
    v = ok(catalog, IMAGES, {"model": "flux-2", "prompt": "a pond", "callback_url": hook})
    assert v.params["callback_url"] == hook


def test_variant_from_the_model_field(catalog: Catalog) -> None:
    v = ok(catalog, IMAGES, {"model": "imagen4-fast", "prompt": "a cat"})
    assert (v.model.slug, v.variant) == ("imagen-4", "imagen4-fast")
    v = ok(catalog, MUSIC, {"model": "suno-v4-5", "prompt": "la la", "style": "folk"})
    assert (v.model.slug, v.variant) == ("suno", "chirp-v4-5")


def test_body_must_be_an_object(catalog: Catalog) -> None:
    assert fails(catalog, IMAGES, ["flux-2"]).param is None


def test_unknown_model_is_not_found_and_lists_the_endpoints_models(catalog: Catalog) -> None:
    with pytest.raises(NotFound) as info:
        validate_request(catalog, IMAGES, {"model": "dall-e-9", "prompt": "a cat"})
    err = info.value
    assert err.param == "model" and err.status == 404
    assert err.message.startswith("Unknown model 'dall-e-9'. Models on this endpoint: flux-2, ")


def test_model_of_another_endpoint_names_the_right_one(catalog: Catalog) -> None:
    err = fails(catalog, IMAGES, {"model": "kling-3", "prompt": "a cat"})
    assert err.param == "model" and VIDEOS in err.message


@pytest.mark.parametrize("value", [None, 3])
def test_model_missing_or_not_a_string(catalog: Catalog, value: object) -> None:
    body = {"prompt": "a cat"} if value is None else {"model": value, "prompt": "a cat"}
    assert fails(catalog, IMAGES, body).param == "model"


def test_tools_need_no_model_field(catalog: Catalog) -> None:
    v = ok(catalog, "/api/v1/images/tools/remove-bg", {"image": URL})
    assert v.model.slug == "bg-remover"
    v = ok(catalog, "/api/v1/images/tools/remove-bg", {"model": "bg-remover", "image": URL})
    assert v.model.slug == "bg-remover"


def test_unknown_field_lists_allowed_ones(catalog: Catalog) -> None:
    err = fails(catalog, IMAGES, {"model": "flux-2", "prompt": "a cat", "steps": 30})
    assert err.param == "steps"
    assert "Allowed fields: model, prompt, aspect_ratio, type, resolution" in err.message


@pytest.mark.parametrize(
    ("path", "body", "param", "message"),
    [
        (IMAGES, {"model": "flux-2", "prompt": 123}, "prompt", "'prompt' must be a string"),
        (
            IMAGES,
            {"model": "flux-2", "prompt": "abc", "resolution": "4K"},
            "resolution",
            "'resolution' must be one of 1K, 2K",
        ),
        (IMAGES, {"model": "flux-2", "prompt": "ab"}, "prompt", "3 to 5000 characters"),
        (IMAGES, {"model": "cogview-4", "prompt": "a" * 1001}, "prompt", "1000 characters"),
        (
            IMAGES,
            {"model": "flux-2", "prompt": "abc", "input_urls": [URL] * 9},
            "input_urls",
            "at most 8 items",
        ),
        (
            VIDEOS,
            {"model": "kling-3", "prompt": "a", "duration": 2},
            "duration",
            "between 3 and 15",
        ),
        (VIDEOS, {"model": "kling-3", "prompt": "a", "duration": "1e1"}, "duration", "integer"),
        (
            VIDEOS,
            {"model": "kling-3", "prompt": "a", "duration": "\u0661\u0660"},
            "duration",
            "integer",
        ),
        (VIDEOS, {"model": "kling-3", "prompt": "a", "sound": "yes"}, "sound", "boolean"),
        (
            IMAGES,
            {"model": "imagen-4", "prompt": "abc", "num_images": True},
            "num_images",
            "integer",
        ),
        (
            "/api/v1/images/tools/face-swap",
            {"image": URL, "face_image": URL, "target_index": True},
            "target_index",
            "integer",
        ),
        (VIDEOS, {"model": "hailuo-2-3", "prompt": "a"}, "image", "'image' is required"),
        (
            VIDEOS,
            {"model": "hailuo-2-3", "prompt": "a", "image": URL, "duration": 7},
            "duration",
            "must be one of 6, 10",
        ),
        (IMAGES, {"model": "flux-2", "prompt": None}, "prompt", "must be a string"),
        (SPEECH, {"model": "elevenlabs-v3", "dialogue": []}, "dialogue", "at least 1"),
        (
            SPEECH,
            {"model": "elevenlabs-v3", "dialogue": [{"text": "hi"}, {"voice": "narrator"}]},
            "dialogue[1].text",
            "'dialogue[1].text' is required",
        ),
        (
            SPEECH,
            {"model": "elevenlabs-v3", "dialogue": [{"text": "hi", "speed": 2}]},
            "dialogue[0].speed",
            "Unknown field",
        ),
        (
            SPEECH,
            {"model": "elevenlabs-v3", "dialogue": [{"text": "hi"}], "stability": 1.5},
            "stability",
            "one of 0.0, 0.5, 1.0",
        ),
        (
            VIDEOS,
            {"model": "kling-3", "multi_shots": True, "multi_prompt": [{"prompt": "a"}]},
            "multi_prompt[0].duration",
            "is required",
        ),
        (CHAT, {"model": "gemini", "messages": [{"role": "robot"}]}, "messages[0].role", "one of"),
        (
            CHAT,
            {"model": "gemini", "messages": [{"role": "user", "content": 5}]},
            "messages[0].content",
            "a string or an array",
        ),
        (
            CHAT,
            {"model": "gemini", "messages": [{"role": "user"}], "temperature": float("nan")},
            "temperature",
            "number",
        ),
        (
            "/api/v1/audio/music/extend",
            {"origin_task_id": "t", "extend_audio_index": 0, "extensionStartTime": 0},
            "extensionStartTime",
            "greater than 0",
        ),
    ],
)
def test_each_failure_names_its_param(
    catalog: Catalog, path: str, body: dict[str, object], param: str, message: str
) -> None:
    err = fails(catalog, path, body)
    assert err.param == param
    assert message in err.message


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a.png",
        "javascript:alert(1)",
        "http://",
        "https://exa mple.com/a.png",
        "https://example.com/" + "a" * 2048,
        "//example.com/a.png",
        "https://[::1/a.png",
    ],
)
def test_urls_are_http_and_bounded(catalog: Catalog, url: str) -> None:
    err = fails(catalog, IMAGES, {"model": "flux-2", "prompt": "abc", "input_urls": [URL, url]})
    assert err.param == "input_urls[1]" and "http or https URL" in err.message


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        (IMAGES, {"model": "hunyuan-image-3", "prompt": "abc", "type": "edit"}, "images"),
        (IMAGES, {"model": "seedream/4.5-edit", "prompt": "abc"}, "image_urls"),
        (IMAGES, {"model": "grok-imagine/upscale"}, "task_id"),
        (IMAGES, {"model": "grok-imagine"}, "prompt"),
        (VIDEOS, {"model": "kling-3"}, "prompt"),
        (VIDEOS, {"model": "kling-3", "multi_shots": True}, "multi_prompt"),
        (
            "/api/v1/audio/music/extend",
            {"origin_task_id": "t", "extend_audio_index": 1, "custom_mode": True},
            "prompt",
        ),
        (MUSIC, {"model": "suno", "title": "Song"}, "gpt_description_prompt"),
    ],
)
def test_conditionally_required_fields(
    catalog: Catalog, path: str, body: dict[str, object], param: str
) -> None:
    err = fails(catalog, path, body)
    assert err.param == param


def test_conditions_that_do_not_hold_require_nothing(catalog: Catalog) -> None:
    ok(catalog, IMAGES, {"model": "hunyuan-image-3", "prompt": "abc"})
    ok(catalog, IMAGES, {"model": "seedream-4-5", "prompt": "abc"})
    ok(catalog, IMAGES, {"model": "grok-imagine/upscale", "task_id": "task_1"})
    shots = [{"prompt": "a", "duration": "5"}, {"prompt": "b", "duration": 5}]
    v = ok(catalog, VIDEOS, {"model": "kling-3", "multi_shots": True, "multi_prompt": shots})
    assert v.params["multi_prompt"] == [
        {"prompt": "a", "duration": 5},
        {"prompt": "b", "duration": 5},
    ]
    ok(catalog, MUSIC, {"model": "suno", "gpt_description_prompt": "a happy song"})


def test_numbers_are_normalised(catalog: Catalog) -> None:
    kling = ok(catalog, VIDEOS, {"model": "kling-3", "prompt": "a", "duration": "10"})
    assert kling.params["duration"] == 10
    assert (
        ok(catalog, VIDEOS, {"model": "kling-3", "prompt": "a", "duration": 7.0}).params["duration"]
        == 7
    )
    hailuo = {"model": "hailuo-2.3", "prompt": "a", "image": URL, "duration": 10}
    assert ok(catalog, VIDEOS, hailuo).params["duration"] == "10"
    pixverse = ok(catalog, VIDEOS, {"model": "pixverse-5.6", "prompt": "a", "duration": "8"})
    assert pixverse.params["duration"] == 8
    seedance = ok(catalog, VIDEOS, {"model": "seedance", "prompt": "a", "duration": 4})
    assert seedance.params["duration"] == "4"
    err = fails(catalog, IMAGES, {"model": "hunyuan-image-3", "prompt": "abc", "seed": "5"})
    assert err.param == "seed"


def test_chat_accepts_openai_bodies_and_treats_null_as_absent(catalog: Catalog) -> None:
    body = {
        "model": "gemini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1"}]},
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
        ],
        "temperature": None,
        "stop": ["END"],
        "tools": [
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
        ],
        "tool_choice": "auto",
        "response_format": {"type": "json_object"},
    }
    v = ok(catalog, CHAT, body)
    assert "temperature" not in v.params
    assert v.params["stream"] is False and v.params["reasoning_effort"] == "high"
    err = fails(catalog, CHAT, {"model": "deepseek-chat", "messages": [], "include_thoughts": True})
    assert err.param == "include_thoughts"
    assert fails(catalog, CHAT, {"model": "deepseek-chat", "messages": []}).param == "messages"
