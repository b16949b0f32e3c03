"""Where the upstreams take less than a field alone would allow, the catalog says so: the
client gets a 400 naming the field before any credit is held (fal ideogram/v4 has no webp,
fal-ai/kling-image/o1 needs reference images, eleven_v3 takes stability 0.0/0.5/1.0 only,
MiniMax offers 1080P at 6 s only, the Suno resellers want a style with lyrics)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.support.server import Server

IMAGES = "/api/v1/images/generations"
VIDEOS = "/api/v1/videos/generations"
MUSIC = "/api/v1/audio/music"
UPLOAD_COVER = "/api/v1/audio/music/upload-cover/generate"


@pytest.fixture
def user(server: Server, make_account: Callable[..., Account]) -> Iterator[httpx.Client]:
    with server.client(make_account(credits=1000).key) as client:
        yield client


def _balance(client: httpx.Client) -> Any:
    return client.get("/api/v1/usage").json()["data"]["items"]


REFUSED = [
    (
        IMAGES,
        {"model": "ideogram-v4", "prompt": "a red kite", "output_format": "webp"},
        "output_format",
    ),
    (IMAGES, {"model": "kling-image-o1", "prompt": "a red kite"}, "images"),
    (IMAGES, {"model": "kling-image-o1", "prompt": "a red kite", "images": []}, "images"),
    (
        VIDEOS,
        {
            "model": "hailuo-2-3",
            "prompt": "waves",
            "image": "https://example.com/a.png",
            "resolution": "1080P",
            "duration": "10",
        },
        "duration",
    ),
    (MUSIC, {"model": "suno", "prompt": "Verse: rain on the harbour"}, "style"),
    (UPLOAD_COVER, {"audio_id": "upl_x", "custom_mode": True, "prompt": "Verse"}, "style"),
]


@pytest.mark.parametrize(("path", "body", "param"), REFUSED)
def test_what_the_upstream_refuses_is_a_400_before_any_hold(
    user: httpx.Client, path: str, body: dict[str, Any], param: str
) -> None:
    before = _balance(user)
    r = user.post(path, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param
    assert _balance(user) == before


@pytest.mark.parametrize("stability", [0.3, 0.75, 0.99])
def test_eleven_v3_stability_takes_three_values(user: httpx.Client, stability: float) -> None:
    body = {
        "model": "elevenlabs-v3",
        "dialogue": [{"text": "Hello there", "voice": "narrator"}],
        "stability": stability,
    }
    before = _balance(user)
    r = user.post("/api/v1/audio/speech", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == "stability"
    assert _balance(user) == before


def test_the_published_request_schema_shows_the_combinations(user: httpx.Client) -> None:
    hailuo = user.get("/api/v1/models/hailuo-2-3").json()["data"]["parameters"]
    refused = {
        "not": {
            "required": ["resolution", "duration"],
            "properties": {"resolution": {"const": "1080P"}, "duration": {"const": "10"}},
        }
    }
    assert refused in hailuo["allOf"]
    suno = user.get("/api/v1/models/suno").json()["data"]["parameters"]
    assert {"if": {"required": ["prompt"]}, "then": {"required": ["style"]}} in suno["allOf"]
    speech = user.get("/api/v1/models/elevenlabs-v3").json()["data"]["parameters"]
    assert speech["properties"]["stability"]["enum"] == [0.0, 0.5, 1.0]
