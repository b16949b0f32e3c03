"""Task handles: wait (SSE, polling fallback, progress bar), events, download, cancel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from apiinone import Client, TaskCanceled, TaskFailed, TaskTimeout
from apiinone.client import TaskError
from tests.client.conftest import FAST_RETRIES
from tests.client.support import flaky_proxy
from tests.conftest import Account
from tests.support.server import Server


def test_wait_follows_events_to_success(client: Client) -> None:
    task = client.images.generate(model="flux-2", prompt="A quiet harbour")
    assert not task.done and task.phase == "queued"
    assert task.wait(timeout=30) is task
    assert task.succeeded and task.progress == 100 and task.consumed_credits == 5
    assert task.response[0].startswith(client.base_url + "/files/")
    assert repr(task) == f"<Task {task.id} flux-2 SUCCESS>"
    assert task.to_dict()["status"] == "SUCCESS"


def test_events_yield_each_change_then_the_end(client: Client) -> None:
    task = client.music.generate(gpt_description_prompt="a waltz")
    events = list(task.events(timeout=30))
    assert events[-1]["status"] == "SUCCESS" and events[-1]["phase"] == "completed"
    assert all(e["status"] == "IN_PROGRESS" for e in events[:-1])
    assert len({(e["phase"], e["progress"], e["updated_at"]) for e in events}) == len(events)
    assert task.succeeded  # the handle follows its events
    assert list(task.events()) == [task.to_dict()]  # an ended task: its state, once


def test_wait_draws_a_progress_bar(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    client.images.generate(model="flux-2", prompt="A progress bar").wait(progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "flux-2" in captured.err and "100%" in captured.err


def test_failed_and_canceled_tasks_raise(client: Client) -> None:
    failing = client.images.generate(model="flux-2", prompt="boom sandbox:fail")
    with pytest.raises(TaskFailed) as failed:
        failing.wait(timeout=30)
    assert "sandbox:fail" in str(failed.value) and failed.value.task_id == failing.id
    assert failed.value.task["consumed_credits"] == 0
    assert not isinstance(failed.value, TaskCanceled)

    slow = client.images.generate(model="flux-2", prompt="slow sandbox:delay=60")
    assert slow.cancel().status == "CANCELED"
    with pytest.raises(TaskCanceled):
        slow.wait()
    with pytest.raises(TaskCanceled):
        slow.download("never.png")
    assert client.account.get()["held"] == 0


def test_wait_timeout_leaves_the_task_running(client: Client) -> None:
    task = client.images.generate(model="flux-2", prompt="slow sandbox:delay=60")
    started = time.monotonic()
    with pytest.raises(TaskTimeout) as caught:
        task.wait(timeout=0.5)
    assert time.monotonic() - started < 5
    assert caught.value.task_id == task.id
    assert task.refresh().status == "IN_PROGRESS"
    task.cancel()


def test_download_names(client: Client, tmp_path: Path) -> None:
    song = client.music.generate(gpt_description_prompt="a short hymn")
    with pytest.raises(TaskError, match="not finished"):
        song.download(tmp_path)
    song.wait()
    into_dir = song.download(tmp_path)
    assert sorted(p.name for p in into_dir) == [
        "cover-1.jpg",
        "cover-2.jpg",
        "track-1.mp3",
        "track-2.mp3",
    ]
    [first] = song.download(tmp_path / "hymn.mp3", index=0)
    assert first == tmp_path / "hymn.mp3" and first.read_bytes() == into_dir[0].read_bytes()
    [second] = song.download(str(tmp_path / "sub") + "/", index=2)
    assert second == tmp_path / "sub" / "track-2.mp3"
    with pytest.raises(TaskError, match="4 result files"):
        song.download(tmp_path / "x.mp3", index=9)
    assert not list(tmp_path.glob(".*.part"))


def test_wait_falls_back_to_polling_without_events(server: Server, account: Account) -> None:
    with flaky_proxy(
        server.url, "404", match=lambda method, path: path.endswith("/events")
    ) as proxy:
        with Client(api_key=account.key, base_url=proxy.url, retry=FAST_RETRIES) as client:
            task = client.images.generate(model="flux-2", prompt="polled")
            task.wait(timeout=30, poll_interval=0.1)
        assert task.succeeded
        paths = [s.path for s in proxy.seen]
        assert paths.count(f"/api/v1/tasks/{task.id}/events") == 1
        assert paths.count(f"/api/v1/tasks/{task.id}") >= 1
