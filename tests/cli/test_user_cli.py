"""The API users' commands, run as the installed console script against the session server,
with HOME and XDG_CONFIG_HOME in a temporary directory."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import Account
from tests.support.server import BIN, Server, base_env, cli
from tests.support.tasks import image_of, png


@pytest.fixture
def account(make_account: Callable[..., Account]) -> Account:
    return make_account(credits=2000)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    env = base_env(tmp_path / "data", HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    env.pop("AIO_KEY", None)
    env["COLUMNS"] = "200"
    return env


@pytest.fixture
def logged_in(server: Server, account: Account, env: dict[str, str]) -> dict[str, str]:
    cli(["login", "--base-url", server.url, "--key", account.key], env)
    return env


def cli_all(
    env: dict[str, str], *commands: list[str], check: bool = True
) -> list[subprocess.CompletedProcess[str]]:
    """Independent commands at once (each start of the console script takes a second)."""
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda args: cli(args, env, check=check), commands))


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_login_balance_models_quote(
    server: Server, account: Account, env: dict[str, str], tmp_path: Path
) -> None:
    out = cli(["login", "--base-url", server.url + "/api/v1/", "--key", account.key], env).stdout
    assert account.email in out and "balance 2000" in out
    config = tmp_path / "home/.config/apiinone/config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert account.key in config.read_text() and f'"{server.url}"' in config.read_text()

    speech = ["--path", "/api/v1/audio/speech", "-p", 'dialogue=[{"text": "hi"}]']
    balance, as_json, table, listed, flux, kling, chat, tts = cli_all(
        env,
        ["balance"],
        ["balance", "--json"],
        ["models", "--kind", "image"],
        ["models", "--json"],
        ["quote", "a cat", "-m", "flux-2", "-p", "resolution=2K"],
        ["quote", "A cat", "-m", "kling-3", "-p", "duration=10", "--json"],
        ["quote", "hello", "-m", "gemini"],
        ["quote", *speech, "-p", "model=elevenlabs-v3"],
    )
    assert "2000 credits (0 held)" in balance.stdout
    assert json.loads(as_json.stdout) == {
        "account_id": account.id,
        "email": account.email,
        "mode": "live",
        "balance": 2000,
        "held": 0,
    }
    assert "flux-2" in table.stdout and "5-24 credits by type, resolution" in table.stdout
    assert "kling-3" not in table.stdout
    assert {"flux-2", "gemini", "suno"} <= {m["slug"] for m in json.loads(listed.stdout)}
    assert flux.stdout == "flux-2: 7 credits\n"
    quote = json.loads(kling.stdout)
    assert quote["credits"] == 600 and quote["params"]["duration"] == 10
    assert "at most" in chat.stdout
    assert tts.stdout == "elevenlabs-v3: 1 credit\n"

    cli(["logout"], env)
    assert not config.exists()
    assert _error_line(cli(["balance"], env, check=False)).startswith(
        "error: configuration_error: No API key"
    )


def test_image_and_the_tasks_commands(logged_in: dict[str, str], tmp_path: Path) -> None:
    env = logged_in
    out_png, wide = tmp_path / "out.png", tmp_path / "wide.png"
    plain, as_json, queued = cli_all(
        env,
        ["image", "A red fox", "-m", "flux-2", "-o", str(out_png)],
        ["image", "A wide fox", "-p", "aspect_ratio=16:9", "-o", str(wide), "--json"],
        ["image", "slow sandbox:delay=60", "--no-wait", "--json"],
    )
    assert f"saved {out_png}" in plain.stdout and "SUCCESS: flux-2, 5 credits" in plain.stdout
    picture = image_of(out_png.read_bytes())
    assert picture.format == "PNG" and picture.size == (1024, 1024)
    task = json.loads(as_json.stdout)
    assert task["status"] == "SUCCESS" and task["request"]["aspect_ratio"] == "16:9"
    assert image_of(wide.read_bytes()).width > image_of(wide.read_bytes()).height
    slow_id = json.loads(queued.stdout)["task_id"]

    again = tmp_path / "again.png"
    listed, table, got, shown, waited, canceled = cli_all(
        env,
        ["tasks", "list", "--json", "--limit", "1", "--status", "SUCCESS"],
        ["tasks", "list"],
        ["tasks", "get", task["task_id"], "--json"],
        ["tasks", "get", task["task_id"]],
        ["tasks", "wait", task["task_id"], "-o", str(again), "--json"],
        ["tasks", "cancel", slow_id, "--json"],
    )
    page = json.loads(listed.stdout)
    assert len(page["items"]) == 1 and page["has_more"]
    assert task["task_id"] in table.stdout and slow_id in table.stdout
    assert json.loads(got.stdout) == task and task["response"][0] in shown.stdout
    assert json.loads(waited.stdout) == task and again.read_bytes() == wide.read_bytes()
    assert json.loads(canceled.stdout)["status"] == "CANCELED"
    line = _error_line(cli(["tasks", "wait", slow_id], env, check=False))
    assert line == f"error: task_canceled: Task {slow_id} was canceled"


def test_video_music_speech_tools_upload(logged_in: dict[str, str], tmp_path: Path) -> None:
    env = logged_in
    local = tmp_path / "in.png"
    local.write_bytes(png(80, 60))
    video, songs, piano = tmp_path / "boat.mp4", tmp_path / "songs", tmp_path / "piano.mp3"
    speech, cut, big = tmp_path / "hello.mp3", tmp_path / "cut.png", tmp_path / "big.png"
    _, music, _, spoken, _, _, uploaded = cli_all(
        env,
        ["video", "A boat", "-p", "resolution=480p", "-p", "duration=4", "-o", str(video)],
        ["music", "a sea shanty", "--all", "-o", str(songs)],
        ["music", "calm piano", "-m", "minimax-music", "-o", str(piano)],
        ["speech", "Hello.", "Bye.", "--voice", "narrator", "-o", str(speech), "--json"],
        ["tool", "remove-bg", str(local), "-o", str(cut)],
        ["tool", "upscale", str(local), "--scale", "2", "-o", str(big)],
        ["upload", str(local), "--json"],
    )
    assert video.read_bytes()[4:8] == b"ftyp"
    assert sorted(p.name for p in songs.iterdir()) == [
        "cover-1.jpg",
        "cover-2.jpg",
        "track-1.mp3",
        "track-2.mp3",
    ]
    assert "SUCCESS: suno" in music.stdout
    assert piano.stat().st_size > 1000 and speech.stat().st_size > 1000
    assert json.loads(spoken.stdout)["request"]["dialogue"] == [
        {"text": "Hello.", "voice": "narrator"},
        {"text": "Bye.", "voice": "narrator"},
    ]
    assert image_of(cut.read_bytes()).mode == "RGBA"
    assert image_of(big.read_bytes()).size == (160, 120)
    upload = json.loads(uploaded.stdout)
    assert upload["content_type"] == "image/png" and upload["url"].startswith("http")


def test_one_line_errors(server: Server, env: dict[str, str], logged_in: dict[str, str]) -> None:
    bad_key = {**env, "APIINONE_API_KEY": "aio_wrong", "APIINONE_BASE_URL": server.url}
    nowhere = {**env, "APIINONE_API_KEY": "aio_x", "APIINONE_BASE_URL": "http://127.0.0.1:9"}
    unauthenticated, unreachable = (
        cli(["balance"], bad_key, check=False),
        cli(["balance"], nowhere, check=False),
    )
    assert _error_line(unauthenticated) == "error: authentication_error: Invalid API key"
    assert _error_line(unreachable).startswith(
        "error: connection_error: Could not reach the gateway"
    )
    invalid, failed, missing, no_file = cli_all(
        logged_in,
        ["image", "x"],
        ["image", "boom sandbox:fail", "-o", "/dev/null"],
        ["tasks", "get", "task_nope"],
        ["tool", "remove-bg", "/no/such.png"],
        check=False,
    )
    assert _error_line(invalid).startswith(
        "error: invalid_request: 'prompt' must be 3 to 5000 characters"
    )
    line = _error_line(failed)
    assert line.startswith("error: task_failed: Task task_") and "sandbox:fail" in line
    assert _error_line(missing) == "error: not_found: No task task_nope"
    assert _error_line(no_file) == "error: usage_error: /no/such.png is neither a URL nor a file"


def _chat(
    env: dict[str, str], args: list[str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "apiinone"), "chat", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_chat_streams_from_flags_or_stdin(logged_in: dict[str, str]) -> None:
    one = _chat(logged_in, ["--message", "hi"])
    assert one.returncode == 0, one.stderr
    assert one.stdout.startswith("Sandbox reply to: hi.") and one.stdout.count("\n") == 1

    lines = _chat(
        logged_in, ["-m", "deepseek-chat"], "first question\n\nsecond question\n/exit\nnever\n"
    )
    assert lines.returncode == 0, lines.stderr
    answers = lines.stdout.splitlines()
    assert len(answers) == 2
    assert answers[0].startswith("Sandbox reply to: first question")
    assert answers[1].startswith("Sandbox reply to: second question")

    reasoning = _chat(logged_in, ["--message", "why", "--reasoning", "--system", "Be brief."])
    assert reasoning.returncode == 0 and reasoning.stderr.strip()

    as_json = _chat(logged_in, ["--message", "hi", "--json"])
    completion = json.loads(as_json.stdout)
    assert completion["object"] == "chat.completion" and completion["credits_consumed"] >= 1

    bad = _chat(logged_in, ["-m", "flux-2", "--message", "hi"])
    assert _error_line(bad).startswith("error: invalid_request: ")
