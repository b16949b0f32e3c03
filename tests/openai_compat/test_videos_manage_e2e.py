"""OpenAI Videos beyond create, through the official SDK: list (cursor pages), delete,
thumbnail and spritesheet, remix; only the key's account sees its videos."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import openai
import pytest
from PIL import Image

from tests.conftest import Account
from tests.openai_compat.support import is_mp4, ledger_of, sdk, tasks_of, validate
from tests.support.server import Server

# The Sora resource is marked deprecated in the SDK; the warning is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HANG = "sandbox:timeout"  # the task never ends: listed, never encoded


def _mp4_size(data: bytes, tmp_path: Path) -> tuple[int, int]:
    path = tmp_path / "video.mp4"
    path.write_bytes(data)
    frames = imageio_ffmpeg.read_frames(str(path))
    meta: dict[str, Any] = next(frames)
    frames.close()
    width, height = meta["size"]
    return int(width), int(height)


def _blobs(server: Server) -> set[Path]:
    return {p for p in (server.data_dir / "blobs").rglob("*") if p.is_file()}


def test_list_pages_through_the_accounts_videos_only(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc, other = make_account(credits=100_000), make_account(credits=10_000)
    client = sdk(server, acc.key)
    made = [
        client.videos.create(model="wan2.7-t2v", prompt=f"clip {i} {HANG}", seconds="4").id
        for i in range(5)
    ]
    with server.client(acc.key) as c:  # the OneKeyModel route makes videos too
        r = c.post(
            "/v1/video/generations",
            json={"model": "wan2.7-t2v", "prompt": f"native {HANG}", "duration": 5},
        )
        assert r.status_code == 200, r.text
        made.append(r.json()["id"])
    assert client.images.generate(model="flux-2", prompt="not a video").data
    foreign = sdk(server, other.key).videos.create(model="wan2.7-t2v", prompt=HANG).id

    # The native task list (newest first) is the independent record of the order.
    newest_first = [t["task_id"] for t in tasks_of(server, acc.key) if t["task_id"] in made]
    assert sorted(newest_first) == sorted(made) and len(made) == 6

    first = client.videos.list(limit=4)
    assert [v.id for v in first.data] == newest_first[:4] and first.has_more is True
    assert first.last_id == newest_first[3]
    second = first.get_next_page()
    assert [v.id for v in second.data] == newest_first[4:] and second.has_more is False
    assert [v.id for v in client.videos.list(limit=2)] == newest_first  # auto-pagination
    oldest_first = [v.id for v in client.videos.list(limit=3, order="asc")]
    assert oldest_first == newest_first[::-1]
    after = client.videos.list(after=newest_first[1], limit=2, order="desc")
    assert [v.id for v in after.data] == newest_first[2:4]

    with server.client(acc.key) as c:
        raw = c.get("/v1/videos", params={"limit": 2})
        assert raw.status_code == 200, raw.text
        page = raw.json()
        validate(page, "video_list")
        for video in page["data"]:
            validate(video, "video")
        assert page["first_id"] == newest_first[0] and page["last_id"] == newest_first[1]
        empty = c.get("/v1/videos", params={"limit": 0}).json()
        assert empty["data"] == [] and empty["first_id"] is None and empty["has_more"] is True
        assert c.get("/v1/videos", params={"limit": 101}).status_code == 400
        assert c.get("/v1/videos", params={"order": "up"}).status_code == 400
        nope = c.get("/v1/videos", params={"after": foreign})
        assert nope.status_code == 404 and nope.json()["error"]["param"] == "after"
    assert foreign not in newest_first
    assert [v.id for v in sdk(server, other.key).videos.list()] == [foreign]


def test_delete_removes_the_files_and_keeps_task_and_ledger(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc, other = make_account(credits=10_000), make_account(credits=10_000)
    client = sdk(server, acc.key)
    video = client.videos.create_and_poll(model="wan2.7-t2v", prompt="a lighthouse", seconds="4")
    assert video.status == "completed", video
    assert is_mp4(client.videos.download_content(video.id).read())
    with server.client(acc.key) as c:
        task = c.get(f"/api/v1/tasks/{video.id}").json()["data"]
    file_url = task["response"][0]
    file_id = file_url.split("/")[-2]
    video_blob = server.data_dir / "blobs" / "f" / file_id[:2] / file_id
    assert video_blob.is_file()
    before = _blobs(server)
    client.videos.download_content(video.id, variant="thumbnail").read()  # cut once, kept
    client.videos.download_content(video.id, variant="spritesheet").read()
    stills = _blobs(server) - before
    assert len(stills) == 2

    with pytest.raises(openai.NotFoundError):  # another account's id is not there
        sdk(server, other.key).videos.delete(video.id)
    running = client.videos.create(model="wan2.7-t2v", prompt=HANG)
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.delete(running.id)
    assert caught.value.param == "video_id"

    ledger = ledger_of(server, acc.key)
    with server.client(acc.key) as c:
        raw = c.delete(f"/v1/videos/{video.id}")
    assert raw.status_code == 200, raw.text
    validate(raw.json(), "video_deleted")
    assert raw.json() == {"id": video.id, "object": "video.deleted", "deleted": True}

    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)
    with pytest.raises(openai.NotFoundError):
        client.videos.download_content(video.id)
    with pytest.raises(openai.NotFoundError):
        client.videos.download_content(video.id, variant="thumbnail")
    with pytest.raises(openai.NotFoundError):
        client.videos.delete(video.id)
    assert video.id not in [v.id for v in client.videos.list()]
    with server.client(acc.key) as c:
        assert c.get(file_url).status_code == 404  # the file itself is gone
        kept = c.get(f"/api/v1/tasks/{video.id}")
    assert not video_blob.exists() and not any(p.exists() for p in stills)
    assert kept.status_code == 200
    assert kept.json()["data"]["consumed_credits"] == task["consumed_credits"] > 0
    assert ledger_of(server, acc.key) == ledger


def test_thumbnail_and_spritesheet_are_jpegs_of_the_video(
    server: Server, make_account: Callable[..., Account], tmp_path: Path
) -> None:
    acc = make_account(credits=10_000)
    client = sdk(server, acc.key)
    video = client.videos.create_and_poll(
        model="wan2.7-t2v", prompt="a red kite", seconds="4", size="1280x720"
    )
    assert video.status == "completed", video
    width, height = _mp4_size(client.videos.download_content(video.id).read(), tmp_path)

    thumb = client.videos.download_content(video.id, variant="thumbnail")
    data = thumb.read()
    assert data[:2] == b"\xff\xd8" and thumb.response.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (width, height)

    assert client.videos.download_content(video.id, variant="thumbnail").read() == data
    sheet = client.videos.download_content(video.id, variant="spritesheet").read()
    assert sheet[:2] == b"\xff\xd8"
    cell_height = round(256 * height / width / 2) * 2  # scale=256:-2 keeps the shape, even
    with Image.open(io.BytesIO(sheet)) as image:
        assert image.format == "JPEG" and image.size == (3 * 256, 3 * cell_height)
        image.load()
        last_cell = image.crop((512, 2 * cell_height, 768, 3 * cell_height))
        assert last_cell.getextrema() != ((0, 0), (0, 0), (0, 0))  # nine frames, none blank

    with server.client(acc.key) as c:
        r = c.get(f"/v1/videos/{video.id}/content", params={"variant": "poster"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "variant"
        task = c.get(f"/api/v1/tasks/{video.id}").json()["data"]
    assert len(task["response"]) == 1  # the kept stills are not results of the task


def test_remix_runs_the_model_from_the_originals_first_frame(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc, other = make_account(credits=10_000), make_account(credits=10_000)
    client = sdk(server, acc.key)
    original = client.videos.create_and_poll(
        model="kling-3", prompt="a paper boat", seconds="4", size="1280x720"
    )
    assert original.status == "completed", original
    ledger = ledger_of(server, acc.key)

    remix = client.videos.remix(original.id, prompt="the boat sails into a storm")
    assert remix.remixed_from_video_id == original.id and remix.model == "kling-3"
    assert remix.status in ("queued", "in_progress") and remix.id != original.id
    done = client.videos.poll(remix.id)
    assert done.status == "completed", done
    assert client.videos.retrieve(remix.id).remixed_from_video_id == original.id
    assert done.prompt == "the boat sails into a storm"
    assert done.seconds == original.seconds and done.size == original.size
    with server.client(acc.key) as c:
        task = c.get(f"/api/v1/tasks/{remix.id}").json()["data"]
        frame = c.get(task["request"]["image"])
    assert frame.status_code == 200 and frame.content[:2] == b"\xff\xd8"
    assert task["request"]["duration"] == 4 and task["request"]["aspect_ratio"] == "16:9"
    charged = [row for row in ledger_of(server, acc.key) if row not in ledger]
    assert {row["task_id"] for row in charged} == {remix.id}, charged
    assert task["consumed_credits"] == 60 * 4  # a new kling-3 video, charged once
    assert sum(-int(row["amount"]) for row in charged) == task["consumed_credits"], charged

    with pytest.raises(openai.NotFoundError):
        sdk(server, other.key).videos.remix(original.id, prompt="mine now")
    text_only = client.videos.create_and_poll(model="wan2.7-t2v", prompt="fog", seconds="4")
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.remix(text_only.id, prompt="more fog")
    assert caught.value.param == "video_id" and "wan2.7-t2v" in caught.value.message
    running = client.videos.create(model="kling-3", prompt=HANG, seconds="4")
    with pytest.raises(openai.BadRequestError):
        client.videos.remix(running.id, prompt="too soon")
    with server.client(acc.key) as c:
        empty = c.post(f"/v1/videos/{original.id}/remix", json={"prompt": ""})
    assert empty.status_code == 400 and empty.json()["error"]["param"] == "prompt"


def test_edit_extend_and_characters_say_they_are_not_offered(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    client = sdk(server, acc.key)
    calls = (
        lambda: client.videos.edit(prompt="bluer", video=("a.mp4", b"x", "video/mp4")),
        lambda: client.videos.extend(
            prompt="longer", seconds="4", video=("a.mp4", b"x", "video/mp4")
        ),
        lambda: client.videos.create_character(name="cat", video=("cat.mp4", b"x", "video/mp4")),
    )
    for call in calls:
        with pytest.raises(openai.BadRequestError) as caught:
            call()
        assert "not offered" in caught.value.message and "remix" in caught.value.message
    with server.client(acc.key) as c:
        assert c.post("/v1/videos/whatever", json={}).status_code == 404
    assert len(tasks_of(server, acc.key)) == 0
