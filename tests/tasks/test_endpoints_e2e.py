"""Every async endpoint through HTTP: create → SUCCESS → download a real, decodable file of
the right kind and size (sandbox provider, real files)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import pytest

from apiinone.media import audio_info
from tests.support.server import Server
from tests.support.tasks import create, download, image_of, png, run, upload, wait

IMAGES = "/api/v1/images/generations"
VIDEOS = "/api/v1/videos/generations"


def video_meta(data: bytes) -> tuple[tuple[int, int], float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        path.write_bytes(data)
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        reader.close()
    return tuple(meta["size"]), float(meta["duration"])  # type: ignore[return-value]


@pytest.fixture(scope="module")
def user(server: Server, admin: httpx.Client) -> Any:
    email = "media-user@example.com"
    r = admin.post("/api/v1/admin/accounts", json={"email": email})
    data = r.json()["data"]
    admin.post(
        f"/api/v1/admin/accounts/{data['id']}/credits",
        json={"amount": 100_000, "reason": "media tests"},
    )
    with server.client(data["key"]["key"]) as client:
        yield client


@pytest.fixture(scope="module")
def inputs(user: httpx.Client) -> dict[str, str]:
    image = upload(user, "scene.png", png(96, 64), "image/png")["url"]
    face = upload(user, "face.png", png(40, 40, (200, 150, 120)), "image/png")["url"]
    video_task = run(
        user, VIDEOS, {"model": "kling-3", "prompt": "waves", "duration": 3, "aspect_ratio": "1:1"}
    )
    return {"image": image, "face": face, "video": video_task["response"][0]}


@pytest.mark.parametrize(
    ("body", "size", "mime"),
    [
        ({"model": "flux-2", "prompt": "a fox", "aspect_ratio": "16:9"}, (1024, 576), "image/png"),
        ({"model": "flux-2", "prompt": "a fox", "resolution": "2K"}, (2048, 2048), "image/png"),
        (
            {"model": "ideogram-v4", "prompt": "a logo", "size": "9:16", "output_format": "jpeg"},
            (576, 1024),
            "image/jpeg",
        ),
        ({"model": "imagen4-fast", "prompt": "a lake"}, (1024, 1024), "image/png"),
        ({"model": "cogview-4", "prompt": "a lamp", "size": "768*1344"}, (768, 1344), "image/png"),
        (
            {"model": "gpt-image-1.5", "prompt": "a book", "aspect_ratio": "3:2"},
            (1024, 682),
            "image/png",
        ),
    ],
)
def test_image_generation(
    user: httpx.Client, body: dict[str, Any], size: tuple[int, int], mime: str
) -> None:
    task = run(user, IMAGES, body)
    assert task["status"] == "SUCCESS", task
    assert task["phase"] == "completed" and task["progress"] == 100
    data, content_type = download(task["response"][0])
    assert content_type == mime
    image = image_of(data)
    assert image.size == size


def test_every_image_model_runs(user: httpx.Client, inputs: dict[str, str]) -> None:
    models = [
        m for m in user.get("/api/v1/models").json()["data"]["items"] if m["endpoint"] == IMAGES
    ]
    assert len(models) >= 12
    extras = {
        "hunyuan-image-3": {},
        "seedream-4-5": {},
        "kling-image-o1": {"images": [inputs["image"]]},
    }
    ids = [
        create(
            user,
            IMAGES,
            {"model": m["slug"], "prompt": "a quiet harbour", **extras.get(m["slug"], {})},
        )
        for m in models
    ]
    for task_id in ids:
        task = wait(user, task_id)
        assert task["status"] == "SUCCESS", task
        data, _ = download(task["response"][0])
        assert image_of(data).width >= 256


def test_video_generation_duration_and_size(user: httpx.Client) -> None:
    task = run(
        user,
        VIDEOS,
        {
            "model": "kling-3",
            "prompt": "a dog running",
            "duration": 4,
            "aspect_ratio": "9:16",
            "sound": True,
        },
    )
    assert task["status"] == "SUCCESS", task
    data, content_type = download(task["response"][0])
    assert content_type == "video/mp4"
    size, duration = video_meta(data)
    assert size == (720, 1280)
    assert abs(duration - 4.0) < 0.15


def test_image_to_video_fetches_its_input(user: httpx.Client, inputs: dict[str, str]) -> None:
    task = run(
        user,
        VIDEOS,
        {"model": "hailuo-2-3", "prompt": "pan across", "image": inputs["image"], "duration": "6"},
    )
    assert task["status"] == "SUCCESS", task
    _, duration = video_meta(download(task["response"][0])[0])
    assert abs(duration - 6.0) < 0.15


def test_music_generate_feed_extend_cover_lyrics(user: httpx.Client) -> None:
    song = run(
        user,
        "/api/v1/audio/music",
        {
            "model": "chirp-v4-5",
            "prompt": "Verse: summer nights",
            "style": "pop",
            "title": "Nights",
        },
    )
    assert song["status"] == "SUCCESS", song
    assert len(song["response"]) == 4  # two clips, each with cover art
    feed = user.get("/api/v1/audio/music/feed", params={"task_id": song["task_id"]}).json()["data"]
    assert feed["type"] == "SUCCESS" and len(feed["response_data"]) == 2
    clip = feed["response_data"][0]
    audio, mime = download(clip["audio_url"])
    assert mime == "audio/mpeg"
    assert abs(audio_info(audio).duration_seconds - clip["duration"]) < 0.2
    assert image_of(download(clip["image_url"])[0]).size == (512, 512)

    extended = run(
        user,
        "/api/v1/audio/music/extend",
        {"origin_task_id": song["task_id"], "extend_audio_index": 0},
    )
    assert extended["status"] == "SUCCESS", extended
    longer = user.get("/api/v1/audio/music/feed", params={"task_id": extended["task_id"]}).json()[
        "data"
    ]
    assert longer["response_data"][0]["duration"] > clip["duration"]

    cover = create(user, "/api/v1/audio/music/cover/generate", {"task_id": song["task_id"]})
    wait(user, cover)
    status = user.get("/api/v1/audio/music/cover/status", params={"task_id": cover}).json()
    assert status["msg"] == "success" and status["data"]["status"] == "SUCCESS"
    assert len(status["data"]["images"]) == 2
    again = user.post("/api/v1/audio/music/cover/generate", json={"task_id": song["task_id"]})
    assert again.status_code == 400  # cover art already made for this track

    lyrics = user.post(
        "/api/v1/audio/music/timestamped-lyrics",
        json={"task_id": song["task_id"], "audio_id": clip["id"]},
    )
    assert lyrics.status_code == 200, lyrics.text
    data = lyrics.json()["data"]
    assert "summer" in data["text"] and any(p["type"] == "lyric" for p in data["lyricParams"])
    missing = user.post(
        "/api/v1/audio/music/timestamped-lyrics",
        json={"task_id": song["task_id"], "audio_id": "nope"},
    )
    assert missing.status_code == 404


def test_upload_cover_and_minimax(user: httpx.Client) -> None:
    wav = audio_bytes()
    uploaded = upload(user, "hum.wav", wav, "audio/wav")
    task = run(
        user,
        "/api/v1/audio/music/upload-cover/generate",
        {"audio_id": uploaded["id"], "custom_mode": True, "prompt": "la la", "style": "jazz"},
    )
    assert task["status"] == "SUCCESS", task
    status = user.get(
        "/api/v1/audio/music/upload-cover/status", params={"task_id": task["task_id"]}
    ).json()["data"]
    assert status["status"] == "SUCCESS" and len(status["response_data"]) == 2
    song = run(user, "/api/v1/audio/music", {"model": "minimax-music", "prompt": "calm piano"})
    assert song["status"] == "SUCCESS" and len(song["response"]) == 2


def audio_bytes() -> bytes:
    from apiinone.media import make_audio

    return make_audio("hum", seed=1, duration=8.0, fmt="wav")


def test_speech_length_follows_text(user: httpx.Client) -> None:
    short = run(
        user,
        "/api/v1/audio/speech",
        {"model": "elevenlabs-v3", "dialogue": [{"text": "Hi there."}]},
    )
    long = run(
        user,
        "/api/v1/audio/speech",
        {
            "model": "elevenlabs-v3",
            "dialogue": [
                {"text": "Hello, welcome to API in One. " * 4, "voice": "narrator"},
                {"text": "Thank you! Tell me more.", "voice": "user"},
            ],
        },
    )
    assert short["status"] == long["status"] == "SUCCESS"
    a, mime = download(short["response"][0])
    b, _ = download(long["response"][0])
    assert mime == "audio/mpeg"
    assert audio_info(b).duration_seconds > audio_info(a).duration_seconds + 3


def test_image_tools(user: httpx.Client, inputs: dict[str, str]) -> None:
    removed = run(user, "/api/v1/images/tools/remove-bg", {"image": inputs["image"]})
    assert removed["consumed_credits"] == 1
    cutout = image_of(download(removed["response"][0])[0])
    assert cutout.mode == "RGBA" and cutout.size == (96, 64)
    assert cutout.getpixel((0, 0))[3] == 0 and cutout.getpixel((48, 32))[3] == 255

    swapped = run(
        user,
        "/api/v1/images/tools/face-swap",
        {"image": inputs["image"], "face_image": inputs["face"], "output_format": "png"},
    )
    assert swapped["consumed_credits"] == 4
    assert image_of(download(swapped["response"][0])[0]).size == (96, 64)

    bigger = run(user, "/api/v1/images/tools/upscale", {"image": inputs["image"]})
    assert image_of(download(bigger["response"][0])[0]).size == (192, 128)


def test_video_tools(user: httpx.Client, inputs: dict[str, str]) -> None:
    source_size, source_duration = video_meta(download(inputs["video"])[0])
    cut = run(
        user,
        "/api/v1/videos/tools/bg-remover",
        {"video": inputs["video"], "background_image": inputs["image"]},
    )
    assert cut["status"] == "SUCCESS" and cut["consumed_credits"] == 10
    size, duration = video_meta(download(cut["response"][0])[0])
    assert size == source_size and abs(duration - source_duration) < 0.15
    up = run(user, "/api/v1/videos/tools/upscale", {"video": inputs["video"]})
    size, _ = video_meta(download(up["response"][0])[0])
    assert size == (source_size[0] * 2, source_size[1] * 2)


def test_input_url_that_404s_fails_and_refunds(user: httpx.Client, server: Server) -> None:
    before = user.get("/api/v1/account").json()["data"]["balance"]
    task = run(
        user, "/api/v1/images/tools/remove-bg", {"image": server.url + "/files/nothing/here.png"}
    )
    assert task["status"] == "FAILED" and task["consumed_credits"] == 0
    assert user.get("/api/v1/account").json()["data"]["balance"] == before
