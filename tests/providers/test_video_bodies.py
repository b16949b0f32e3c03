"""fal and WaveSpeed video bodies as the endpoints publish them: what an image-to-video
endpoint takes from its image is left out, and each app gets its duration type.

fal's Kling 3, PixVerse 5.6, Vidu Q3 and Wan 2.6 image-to-video apps and WaveSpeed's Vidu Q3
image-to-video have no ``aspect_ratio`` (Vidu: nor ``style``); the catalog fills those with
defaults, so a body built naively carries them and the fixture schema (which marks them
``false``) refuses it. The text-to-video siblings keep them.
"""

from __future__ import annotations

from typing import Any

import pytest

from apiinone.providers.base import JobRequest
from apiinone.providers.fal import FalTranslator
from apiinone.providers.http import ChannelConfig
from apiinone.providers.wavespeed import WaveSpeedTranslator
from tests.fakes.schemas import violations

IMAGE = "https://example.com/first-frame.png"
VIDEO_PARAMS: dict[str, Any] = {
    "prompt": "a lighthouse at dusk",
    "duration": 5,
    "aspect_ratio": "9:16",
    "style": "anime",
}


def _channel(upstream: str, params: dict[str, str]) -> ChannelConfig:
    return ChannelConfig(
        name="matrix/video",
        base_url="https://upstream.example",
        credential="key_id:key_secret",
        upstream_model=upstream,
        options={"params": params},
    )


def _job(model: str, **params: Any) -> JobRequest:
    return JobRequest(
        task_id="task_i2v",
        model=model,
        variant=None,
        endpoint="videos",
        kind="video",
        params=params,
    )


@pytest.mark.parametrize(
    ("upstream", "image_field", "dropped"),
    [
        ("fal-ai/kling-video/v3/standard/image-to-video", "start_image_url", ["aspect_ratio"]),
        ("fal-ai/kling-video/v3/pro/image-to-video", "start_image_url", ["aspect_ratio"]),
        ("fal-ai/pixverse/v5.6/image-to-video", "image_url", ["aspect_ratio"]),
        ("fal-ai/vidu/q3/image-to-video", "image_url", ["aspect_ratio", "style"]),
        ("wan/v2.6/image-to-video", "image_url", ["aspect_ratio"]),
    ],
)
def test_fal_image_to_video_drops_what_the_image_sets(
    upstream: str, image_field: str, dropped: list[str]
) -> None:
    params = {k: v for k, v in VIDEO_PARAMS.items() if k in ("prompt", "duration", *dropped)}
    request = FalTranslator().build_submit(
        _job("video", image=IMAGE, **params), _channel(upstream, {"image": image_field})
    )
    body = request.json
    assert isinstance(body, dict)
    assert body[image_field] == IMAGE
    assert body["prompt"] == "a lighthouse at dusk"
    assert [name for name in dropped if name in body] == []
    assert violations("fal", upstream, body) == []


def test_fal_text_to_video_keeps_its_aspect_ratio() -> None:
    upstream = "fal-ai/kling-video/v3/standard/text-to-video"
    request = FalTranslator().build_submit(
        _job("kling-3", prompt="a lighthouse at dusk", duration=5, aspect_ratio="9:16"),
        _channel(upstream, {}),
    )
    assert isinstance(request.json, dict)
    assert request.json["aspect_ratio"] == "9:16"
    assert violations("fal", upstream, request.json) == []


def test_wavespeed_vidu_image_to_video_drops_style_and_aspect_ratio() -> None:
    upstream = "vidu/q3/image-to-video"
    request = WaveSpeedTranslator().build_submit(
        _job("vidu-q3", image=IMAGE, **VIDEO_PARAMS), _channel(upstream, {})
    )
    body = request.json
    assert isinstance(body, dict)
    assert request.url.endswith("/api/v3/vidu/q3/image-to-video")
    assert body["image"] == IMAGE
    assert "aspect_ratio" not in body and "style" not in body
    assert violations("wavespeed", upstream, body) == []


def test_wavespeed_vidu_text_to_video_keeps_style_and_aspect_ratio() -> None:
    upstream = "vidu/q3/text-to-video"
    params = {**VIDEO_PARAMS, "style": "general"}
    request = WaveSpeedTranslator().build_submit(_job("vidu-q3", **params), _channel(upstream, {}))
    assert isinstance(request.json, dict)
    assert request.json["aspect_ratio"] == "9:16" and request.json["style"] == "general"
    assert violations("wavespeed", upstream, request.json) == []


def test_fal_vidu_takes_its_duration_as_an_integer_where_wan_takes_a_string() -> None:
    vidu = "fal-ai/vidu/q3/text-to-video"
    request = FalTranslator().build_submit(
        _job("vidu-q3", prompt="a lighthouse at dusk", duration=16), _channel(vidu, {})
    )
    assert isinstance(request.json, dict)
    assert request.json["duration"] == 16
    assert violations("fal", vidu, request.json) == []

    wan = "wan/v2.6/text-to-video"
    request = FalTranslator().build_submit(
        _job("wan-2-6", prompt="a lighthouse at dusk", duration=15), _channel(wan, {})
    )
    assert isinstance(request.json, dict)
    assert request.json["duration"] == "15"
    assert violations("fal", wan, request.json) == []
