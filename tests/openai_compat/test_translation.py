"""OpenAI bodies onto native ones: quality, counts, durations, speech; task outcomes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from apiinone.catalog import Catalog, ModelSpec, load_catalog
from apiinone.errors import InvalidRequest, ServiceUnavailable, UpstreamError
from apiinone.openai_compat.bodies import (
    ImageGenerationCreate,
    SpeechCreate,
    VideoCreate,
    parse_body,
)
from apiinone.openai_compat.images import image_bodies
from apiinone.openai_compat.jobs import outcome
from apiinone.openai_compat.speech import speech_body
from apiinone.openai_compat.videos import video_body


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(None)


def model(catalog: Catalog, slug: str) -> ModelSpec:
    resolved = catalog.get(slug)
    assert resolved is not None
    return resolved.model


def images(catalog: Catalog, slug: str, **fields: Any) -> list[dict[str, Any]]:
    req = parse_body(ImageGenerationCreate, {"model": slug, "prompt": "a cat", **fields})
    return image_bodies(model(catalog, slug), slug, req)


def test_n_becomes_num_images_split_by_the_maximum(catalog: Catalog) -> None:
    bodies = images(catalog, "imagen-4", n=10)
    assert [b["num_images"] for b in bodies] == [4, 4, 2]
    assert [b["n"] for b in images(catalog, "wan2.7-image", n=5)] == [4, 1]
    flux = images(catalog, "flux-2", n=3)
    assert len(flux) == 3 and all("n" not in b and "num_images" not in b for b in flux)


def test_quality_style_and_unknown_fields(catalog: Catalog) -> None:
    assert images(catalog, "gpt-image-1.5-official", quality="hd")[0]["quality"] == "high"
    assert images(catalog, "gpt-image-1.5-official", quality="standard")[0]["quality"] == "medium"
    assert images(catalog, "cogview-4", quality="high")[0]["quality"] == "hd"
    assert images(catalog, "seedream-4-5", quality="low")[0]["quality"] == "basic"
    assert "quality" not in images(catalog, "gpt-image-1.5-official", quality="auto")[0]
    assert images(catalog, "ideogram-v3", style="realistic")[0]["style"] == "Realistic"
    dropped = images(catalog, "flux-2", style="vivid", user="u1", quality="hd", background="x")[0]
    assert dropped == {"model": "flux-2", "prompt": "a cat"}
    assert images(catalog, "ideogram-v4", output_format="jpeg")[0]["output_format"] == "jpeg"


def test_video_seconds_and_defaults(catalog: Catalog) -> None:
    def body(slug: str, **fields: Any) -> dict[str, Any]:
        req = parse_body(VideoCreate, {"model": slug, "prompt": "a cat", **fields})
        return video_body(model(catalog, slug), slug, req, with_reference=False)

    assert body("kling-3", seconds="12") == {
        "model": "kling-3",
        "prompt": "a cat",
        "aspect_ratio": "9:16",  # OpenAI's default size, 720x1280
        "duration": 12,
    }
    assert body("hailuo-2-3")["duration"] == "6"  # string enum, 4 s is nearest to 6
    assert body("seedance-1-5-pro", seconds="8")["duration"] == "8"
    assert body("wan2.7-t2v", seconds=8)["duration"] == 10
    assert body("vidu-q3", seconds="12")["duration"] == 12
    req = parse_body(VideoCreate, {"model": "wan2.7-t2v", "prompt": "x"})
    with pytest.raises(InvalidRequest) as caught:
        video_body(model(catalog, "wan2.7-t2v"), "wan2.7-t2v", req, with_reference=True)
    assert caught.value.param == "input_reference"


def test_speech_body(catalog: Catalog) -> None:
    spec = model(catalog, "elevenlabs-v3")
    req = parse_body(SpeechCreate, {"model": "elevenlabs-v3", "input": "Hi", "voice": {"id": "v1"}})
    assert speech_body(spec, "elevenlabs-v3", req) == {
        "model": "elevenlabs-v3",
        "dialogue": [{"text": "Hi", "voice": "v1"}],
    }
    slow = parse_body(
        SpeechCreate, {"model": "elevenlabs-v3", "input": "Hi", "voice": "a", "speed": 2}
    )
    with pytest.raises(InvalidRequest) as caught:
        speech_body(spec, "elevenlabs-v3", slow)
    assert caught.value.param == "speed"


def test_body_errors_name_the_field() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_body(ImageGenerationCreate, {"model": "flux-2"})
    assert caught.value.param == "prompt" and "required" in caught.value.message
    with pytest.raises(InvalidRequest) as caught:
        parse_body(ImageGenerationCreate, {"prompt": "x", "response_format": "png"})
    assert caught.value.param == "response_format"
    with pytest.raises(InvalidRequest) as caught:
        parse_body(SpeechCreate, {"model": "m", "input": "x", "voice": 3})
    assert caught.value.param == "voice"


def row(task_id: str, status: str, message: str | None = None) -> Any:
    return SimpleNamespace(id=task_id, status=status, error_message=message)


def test_outcomes() -> None:
    done = row("task_a", "completed")
    assert outcome([done, row("task_b", "failed", "nope")], 120) == [done]
    with pytest.raises(UpstreamError) as failed:
        outcome([row("task_a", "failed", "The provider refused")], 120)
    assert "The provider refused" in failed.value.message and "task_a" in failed.value.message
    with pytest.raises(ServiceUnavailable) as waiting:
        outcome([done, row("task_b", "processing")], 120)
    assert "task_b" in waiting.value.message and "GET /api/v1/tasks" in waiting.value.message
    assert waiting.value.status == 503
