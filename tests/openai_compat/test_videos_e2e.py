"""OpenAI Videos through the SDK: create and poll, download the MP4, errors."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from tests.conftest import Account
from tests.openai_compat.support import is_mp4, sdk, validate
from tests.support.server import Server
from tests.support.tasks import png

# The Sora resource is marked deprecated in the SDK; the warning is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_create_and_poll_then_download(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    client = sdk(server, acc.key)
    video = client.videos.create_and_poll(
        model="kling-3", prompt="a paper boat on a river", seconds="4", size="1280x720"
    )
    assert video.status == "completed", video
    assert video.object == "video" and video.model == "kling-3"
    assert video.seconds == "4" and video.size == "1280x720" and video.progress == 100
    assert video.completed_at is not None and video.expires_at is not None
    assert video.error is None and video.prompt == "a paper boat on a river"
    content = client.videos.download_content(video.id)
    data = content.read()
    assert is_mp4(data)
    assert content.response.headers["content-type"] == "video/mp4"
    with server.client(acc.key) as c:
        raw = c.get(f"/v1/videos/{video.id}")
        assert raw.headers["openai-poll-after-ms"] == "1000"
        validate(raw.json(), "video")
        task = c.get(f"/api/v1/tasks/{video.id}").json()["data"]
    assert task["request"]["duration"] == 4 and task["request"]["aspect_ratio"] == "16:9"
    assert task["consumed_credits"] == 60 * 4  # std with sound, per second


def test_create_answers_a_queued_video(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    with server.client(acc.key) as c:
        r = c.post(
            "/v1/videos",
            json={"model": "wan-2-6", "prompt": "a slow pan over hills", "seconds": "8"},
        )
    assert r.status_code == 200, r.text
    assert r.headers["openai-poll-after-ms"] == "1000"
    body = r.json()
    validate(body, "video")
    assert body["status"] in ("queued", "in_progress") and body["completed_at"] is None
    # 8 s → the nearest duration wan-2-6 allows (10); default size 720x1280 → portrait.
    assert body["seconds"] == "10" and body["size"] == "720x1280"


def test_multipart_with_input_reference(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    client = sdk(server, acc.key)
    video = client.videos.create(
        model="kling-3",
        prompt="the frame comes alive",
        seconds="4",
        input_reference=("frame.png", png(64, 36), "image/png"),
    )
    video = client.videos.poll(video.id)
    assert video.status == "completed", video
    with server.client(acc.key) as c:
        task = c.get(f"/api/v1/tasks/{video.id}").json()["data"]
    assert "/files/" in task["request"]["image"]


def test_failure_shows_in_the_video(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=1000)
    client = sdk(server, acc.key)
    video = client.videos.create_and_poll(model="kling-3", prompt="boom sandbox:fail", seconds="4")
    assert video.status == "failed"
    assert video.error is not None and video.error.message
    with pytest.raises(openai.BadRequestError):
        client.videos.download_content(video.id)


def test_errors(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=1000)
    client = sdk(server, acc.key)
    with pytest.raises(openai.NotFoundError) as caught:
        client.videos.create(model="sora-2", prompt="a cat")
    assert caught.value.param == "model" and "kling-3" in caught.value.message
    validate(caught.value.response.json(), "error_response")
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(
            model="wan2.7-t2v",
            prompt="a cat",
            input_reference=("frame.png", png(), "image/png"),
        )
    assert caught.value.param == "input_reference"
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve("task_doesnotexist")
    image = client.images.generate(model="flux-2", prompt="not a video")
    assert image.data
    with server.client(acc.key) as c:
        image_task = c.get("/api/v1/tasks").json()["data"]["items"][0]["task_id"]
        assert c.get(f"/v1/videos/{image_task}").status_code == 404
        r = c.get(f"/v1/videos/{image_task}/content", params={"variant": "thumbnail"})
        assert r.status_code == 404 and r.json()["error"]["param"] == "video_id"
        r = c.get(f"/v1/videos/{image_task}/content", params={"variant": "gif"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "variant"
