"""Every resource of the sync client against the sandbox of the session server."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from apiinone import Client, PermissionDeniedError, Task
from tests.client.conftest import FAST_RETRIES
from tests.conftest import Account
from tests.support.server import Server
from tests.support.tasks import image_of, png

PNG = b"\x89PNG\r\n\x1a\n"


def test_account_usage_and_webhook_secret(client: Client, account: Account) -> None:
    info = client.account.get()
    assert info["account_id"] == account.id and info["balance"] == 5000 and info["held"] == 0
    assert info["email"] == account.email and info["key"]["mode"] == "live"
    page = client.account.usage(limit=1)
    assert len(page["items"]) == 1 and page["has_more"] and page["next_cursor"]
    rows = list(client.account.iter_usage(limit=1))
    assert sum(r["amount"] for r in rows) == 5000
    assert {r["kind"] for r in rows} == {"bonus", "grant"}
    secret = client.account.webhook_secret()
    assert secret.startswith("whsec_") and secret == info["webhook_secret"]
    rotated = client.account.rotate_webhook_secret()
    assert rotated != secret and client.account.webhook_secret() == rotated


def test_keys_lifecycle(client: Client, server: Server) -> None:
    created = client.keys.create("ci", rate_limit_per_minute=30, allowed_models=["flux-2"])
    assert created["key"].startswith("aio_") and created["allowed_models"] == ["flux-2"]
    assert created["id"] in {k["id"] for k in client.keys.list()}
    updated = client.keys.update(created["id"], name="ci-2", spend_cap=100)
    assert updated["name"] == "ci-2" and updated["spend_cap"] == 100
    with Client(api_key=created["key"], base_url=server.url) as limited:
        assert limited.models.list() and {m["slug"] for m in limited.models.list()} == {"flux-2"}
        with pytest.raises(PermissionDeniedError):
            limited.keys.list()  # a restricted key cannot manage keys
    rotated = client.keys.rotate(created["id"])
    assert rotated["key"] != created["key"] and rotated["replaces"]["id"] == created["id"]
    revoked = client.keys.revoke(rotated["id"])
    assert revoked["status"] == "revoked"


def test_models_and_quotes(client: Client) -> None:
    models = client.models.list()
    assert {"flux-2", "gemini", "kling-3", "suno", "elevenlabs-v3"} <= {m["slug"] for m in models}
    images = client.models.list(kind="image")
    assert images and all(m["kind"] == "image" for m in images)
    flux = client.models.get("flux-2")
    assert flux["endpoint"] == "/api/v1/images/generations"
    assert "prompt" in flux["parameters"]["properties"] and flux["price"]["range"] == [5, 24]
    quote = client.quotes.create(
        "/api/v1/images/generations",
        {"model": "flux-2", "prompt": "a garden", "type": "flex", "resolution": "2K"},
    )
    assert quote["credits"] == 24 and quote["pricing"] == "fixed"
    chat = client.quotes.create(
        "/api/v1/chat/completions",
        {"model": "gemini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10},
    )
    assert chat["pricing"] == "tokens" and chat["credits"] >= 1
    assert client.account.get()["balance"] == 5000  # nothing charged


def test_uploads_from_path_bytes_file_and_url(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "square.png"
    path.write_bytes(png())
    first = client.uploads.create(path)
    assert first["content_type"] == "image/png" and first["name"] == "square.png"
    assert client.uploads.get(first["id"]) == first
    from_bytes = client.uploads.create(png(), name="b.png")
    from_file = client.uploads.create(io.BytesIO(png()), name="c.png")
    fetched = client.uploads.create(url=first["url"])
    assert len({first["id"], from_bytes["id"], from_file["id"], fetched["id"]}) == 4
    assert fetched["size"] == first["size"]
    with pytest.raises(ValueError):
        client.uploads.create()


def test_images_videos_and_speech(client: Client, tmp_path: Path) -> None:
    image = client.images.generate(model="flux-2", prompt="A lighthouse", aspect_ratio="16:9")
    assert isinstance(image, Task) and image.status == "IN_PROGRESS"
    assert image.estimated_credits == 5
    [saved] = image.wait().download(tmp_path / "lighthouse.png")
    picture = image_of(saved.read_bytes())
    assert abs(picture.width / picture.height - 16 / 9) < 0.01

    video = client.videos.generate(
        model="seedance-1-5-pro", prompt="A paper boat", resolution="480p", duration=4
    ).wait()
    assert video.succeeded and video.response[0].endswith(".mp4")
    assert video.consumed_credits == video.estimated_credits > 0

    speech = client.speech.create("Hello from the client.", voice="narrator").wait()
    assert speech.data["request"]["dialogue"] == [
        {"text": "Hello from the client.", "voice": "narrator"}
    ]
    [mp3] = speech.download(tmp_path)
    assert mp3.parent == tmp_path and mp3.suffix == ".mp3" and mp3.stat().st_size > 1000
    dialogue = client.speech.create(dialogue=[{"text": "One."}, {"text": "Two."}]).wait()
    assert dialogue.succeeded
    with pytest.raises(ValueError):
        client.speech.create()


def test_music_suno_family(client: Client, tmp_path: Path) -> None:
    song = client.music.generate(gpt_description_prompt="a song about the sea").wait()
    clips = song.result["clips"] if song.result else []
    assert len(clips) == 2
    feed = client.music.feed(song.id)
    assert feed["type"] == "SUCCESS" and len(feed["response_data"]) == 2
    files = song.download(tmp_path / "sea.mp3")
    assert [p.name for p in files] == ["sea-1.mp3", "sea-2.jpg", "sea-3.mp3", "sea-4.jpg"]

    extended = client.music.extend(origin_task_id=song.id, extend_audio_index=0).wait()
    assert extended.succeeded
    cover = client.music.cover(task_id=song.id).wait()
    assert client.music.cover_status(cover.id)["status"] == "SUCCESS"
    lyrics = client.music.timestamped_lyrics(task_id=song.id, audio_id=clips[0]["id"])
    assert lyrics["task_id"]

    audio = client.uploads.create(files[0])
    upload_cover = client.music.upload_cover(audio_id=audio["id"]).wait()
    assert client.music.upload_cover_status(upload_cover.id)["status"] == "SUCCESS"

    minimax = client.music.generate(model="minimax-music", prompt="calm piano").wait()
    assert minimax.succeeded and minimax.consumed_credits == 30


def test_tools_take_urls_or_local_files(client: Client, tmp_path: Path) -> None:
    local = tmp_path / "in.png"
    local.write_bytes(png(96, 64))
    url = client.uploads.create(local)["url"]
    removed = client.tools.remove_bg(local).wait()
    [out] = removed.download(tmp_path / "cut.png")
    assert image_of(out.read_bytes()).mode == "RGBA"
    assert client.tools.upscale_image(url, scale=2).wait().succeeded
    assert client.tools.face_swap(url, local).wait().succeeded

    clip = client.videos.generate(
        model="seedance-1-5-pro", prompt="waves", resolution="480p", duration=4
    ).wait()
    assert client.tools.video_bg_remover(clip.response[0]).wait().succeeded
    assert client.tools.upscale_video(clip.response[0], scale=2).wait().succeeded


def test_tasks_resource(client: Client) -> None:
    done = client.images.generate(model="flux-2", prompt="first").wait()
    client.images.generate(model="flux-2", prompt="second").wait()
    page = client.tasks.list(limit=1)
    assert len(page["items"]) == 1 and page["has_more"]
    assert [t["status"] for t in client.tasks.iter(page_size=1)] == ["SUCCESS", "SUCCESS"]
    assert [t["task_id"] for t in client.tasks.list(status="SUCCESS", model="flux-2")["items"]][
        -1
    ] == done.id
    fetched = client.tasks.get(done.id)
    assert fetched.data == done.data and client.task(done.id).id == done.id
    assert client.tasks.wait(done.id).succeeded
    assert [e["status"] for e in client.tasks.events(done.id)] == ["SUCCESS"]
    assert client.tasks.webhooks(done.id) == []
    slow = client.images.generate(model="flux-2", prompt="slow sandbox:delay=30")
    assert client.tasks.cancel(slow.id).status == "CANCELED"


def test_chat_completions(client: Client) -> None:
    messages = [{"role": "user", "content": "Hello"}]
    reply = client.chat.completions.create(model="gemini", messages=messages, max_tokens=50)
    assert reply["object"] == "chat.completion" and reply["credits_consumed"] >= 1
    assert reply["choices"][0]["message"]["content"]
    with client.chat.completions.create(model="gemini", messages=messages, stream=True) as stream:
        chunks = list(stream)
    assert chunks[0]["object"] == "chat.completion.chunk"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == reply["choices"][0]["message"]["content"]
    streamed = client.chat.completions.create(model="gemini", messages=messages, stream=True)
    assert "".join(streamed.text()) == text


def test_admin_and_health(server: Server, make_account: Callable[..., Account]) -> None:
    with Client(api_key=server.admin_key, base_url=server.url, retry=FAST_RETRIES) as admin:  # type: ignore[attr-defined]
        assert admin.health() == {"status": "ok"} and admin.ready()["status"] == "ready"
        created = admin.admin.create_account("sdk-admin@example.com", name="SDK")
        account_id = created["id"]
        assert created["key"]["key"].startswith("aio_")
        assert admin.admin.adjust_credits(account_id, 50, reason="sdk test")["balance"] == 150
        assert admin.admin.get_account(account_id)["live"]["balance"] == 150
        found = admin.admin.list_accounts(search="sdk-admin@")["items"]
        assert [a["id"] for a in found] == [account_id]
        key = admin.admin.create_key(account_id, "second", spend_cap=10)
        assert len(admin.admin.list_keys(account_id)) == 2
        assert admin.admin.revoke_key(key["id"])["status"] == "revoked"
        assert admin.admin.set_disabled(account_id, True)["disabled"] is True
        assert "sandbox_mode" in admin.admin.channels()
    with (
        Client(api_key=make_account().key, base_url=server.url) as user,
        pytest.raises(PermissionDeniedError),
    ):
        user.admin.channels()
