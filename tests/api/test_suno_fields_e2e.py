"""Suno's routes take the names its pages use (``taskId``, ``workId`` for ``task_id``), hold
the docs' length limits with a 400 naming the field before any charge, and price an extend
that names no model by its source song's tier."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.support.server import Server
from tests.support.tasks import create, run, wait

MUSIC = "/api/v1/audio/music"
EXTEND = "/api/v1/audio/music/extend"
COVER = "/api/v1/audio/music/cover/generate"
LYRICS = "/api/v1/audio/music/timestamped-lyrics"


@pytest.fixture
def user(server: Server, make_account: Callable[..., Account]) -> Iterator[httpx.Client]:
    with server.client(make_account(credits=1000).key) as client:
        yield client


def _ledger(client: httpx.Client) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/v1/usage").json()["data"]["items"]
    return items


def _song(client: httpx.Client, model: str = "chirp-v5") -> dict[str, Any]:
    song = run(client, MUSIC, {"model": model, "prompt": "Verse: rain", "style": "folk"})
    assert song["status"] == "SUCCESS", song
    return song


def _refused(client: httpx.Client, path: str, body: dict[str, Any], param: str) -> None:
    before = _ledger(client)
    r = client.post(path, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param
    assert _ledger(client) == before  # no hold, no ledger row


def test_task_id_aliases_on_cover_lyrics_and_status_routes(user: httpx.Client) -> None:
    song = _song(user)
    feed = user.get("/api/v1/audio/music/feed", params={"workId": song["task_id"]})
    assert feed.status_code == 200 and feed.json()["data"]["task_id"] == song["task_id"]
    clip = feed.json()["data"]["response_data"][0]["id"]

    cover = create(user, COVER, {"taskId": song["task_id"]})
    cover_task = user.get(f"/api/v1/tasks/{cover}").json()["data"]
    assert cover_task["request"]["task_id"] == song["task_id"] and cover_task["warnings"] == []
    wait(user, cover)
    status = user.get("/api/v1/audio/music/cover/status", params={"taskId": cover}).json()
    assert status["data"]["taskId"] == cover and status["data"]["status"] == "SUCCESS"

    lyrics = user.post(LYRICS, json={"workId": song["task_id"], "audio_id": clip})
    assert lyrics.status_code in (200, 202), lyrics.text
    assert lyrics.json()["data"]["task_id"]

    both = user.get(
        "/api/v1/audio/music/feed", params={"task_id": song["task_id"], "taskId": cover}
    )
    assert both.status_code == 400 and both.json()["error"]["param"] == "task_id"
    none = user.get("/api/v1/audio/music/feed")
    assert none.status_code == 400 and none.json()["error"]["param"] == "task_id"


@pytest.mark.parametrize(
    ("model", "field", "length"),
    [("chirp-v3-5", "prompt", 3001), ("chirp-v4-0", "prompt", 3001), ("chirp-v4-0", "style", 201)],
)
def test_early_versions_take_shorter_lyrics_and_styles(
    user: httpx.Client, model: str, field: str, length: int
) -> None:
    body = {"model": model, "prompt": "la", "style": "folk", field: "a" * length}
    _refused(user, MUSIC, body, field)
    later = user.post(MUSIC, json={**body, "model": "chirp-v4-5"})
    assert later.status_code == 202, later.text


def test_inspiration_prompt_and_title_limits(user: httpx.Client) -> None:
    long_idea = {"model": "suno", "gpt_description_prompt": "a" * 401}
    _refused(user, MUSIC, long_idea, "gpt_description_prompt")
    _refused(user, MUSIC, {"model": "suno", "prompt": "la", "title": "t" * 81}, "title")


def test_extension_start_lies_inside_the_source_clip(user: httpx.Client) -> None:
    song = _song(user)
    feed = user.get("/api/v1/audio/music/feed", params={"task_id": song["task_id"]}).json()
    duration = feed["data"]["response_data"][1]["duration"]
    base = {"origin_task_id": song["task_id"], "extend_audio_index": 1, "custom_mode": True}
    base["prompt"] = "Bridge: more rain"
    _refused(user, EXTEND, {**base, "extensionStartTime": duration}, "extensionStartTime")
    _refused(user, EXTEND, {**base, "extensionStartTime": duration + 30}, "extensionStartTime")
    _refused(user, EXTEND, {**base, "extensionStartTime": 0}, "extensionStartTime")
    inside = user.post(EXTEND, json={**base, "extensionStartTime": duration / 2})
    assert inside.status_code == 202, inside.text


def test_extend_prompt_limit_follows_the_source_tier(user: httpx.Client) -> None:
    early = _song(user, "chirp-v3-5")
    body = {
        "origin_task_id": early["task_id"],
        "extend_audio_index": 0,
        "custom_mode": True,
        "prompt": "a" * 3001,
    }
    _refused(user, EXTEND, body, "prompt")
    later = _song(user, "chirp-v5")
    r = user.post(EXTEND, json={**body, "origin_task_id": later["task_id"]})
    assert r.status_code == 202, r.text


@pytest.mark.parametrize(("source", "asked", "price"), [
    ("chirp-v5", None, 12),
    ("chirp-v4-0", None, 8),
    ("chirp-v3-5", None, 5),
    ("chirp-v5", "chirp-v4-0", 8),
])  # fmt: skip
def test_extend_is_priced_by_the_source_tier(
    user: httpx.Client, source: str, asked: str | None, price: int
) -> None:
    song = _song(user, source)
    body: dict[str, Any] = {"origin_task_id": song["task_id"], "extend_audio_index": 0}
    if asked is not None:
        body["model"] = asked
    r = user.post(EXTEND, json=body)
    assert r.status_code == 202, r.text
    task_id = r.json()["data"]["task_id"]
    assert r.json()["data"]["estimated_credits"] == price
    holds = [
        row
        for row in user.get("/api/v1/usage", params={"task_id": task_id}).json()["data"]["items"]
        if row["kind"] == "hold"
    ]
    assert [row["amount"] for row in holds] == [-price]
    quote = user.post("/api/v1/quotes", json={"path": EXTEND, "body": body})
    assert quote.json()["data"]["credits"] == price


@pytest.mark.parametrize(("seconds", "accepted"), [(3.0, False), (61.5, False), (8.0, True)])
def test_upload_cover_takes_6_to_60_seconds(
    user: httpx.Client, seconds: float, accepted: bool
) -> None:
    from apiinone.media import make_audio

    mp3 = make_audio("hum", seed=2, duration=seconds, fmt="mp3")  # measured by ffmpeg
    up = user.post("/api/v1/uploads", files={"file": ("hum.mp3", mp3, "audio/mpeg")})
    assert up.status_code in (200, 201), up.text
    body = {
        "audio_id": up.json()["data"]["id"],
        "custom_mode": True,
        "prompt": "la la",
        "style": "folk",  # custom mode needs one (the resellers refuse it without)
    }
    if accepted:
        r = user.post("/api/v1/audio/music/upload-cover/generate", json=body)
        assert r.status_code == 202, r.text
    else:
        _refused(user, "/api/v1/audio/music/upload-cover/generate", body, "audio_id")


def test_upload_cover_of_something_not_audio_is_400(user: httpx.Client) -> None:
    from apiinone.media import make_image

    png = make_image("not audio", seed=1, width=64, height=64, fmt="png")
    up = user.post("/api/v1/uploads", files={"file": ("x.png", png, "image/png")})
    assert up.status_code in (200, 201), up.text
    body = {"audio_id": up.json()["data"]["id"]}
    _refused(user, "/api/v1/audio/music/upload-cover/generate", body, "audio_id")
