"""`apiinone channels check`: the providers file checked offline (bindings, adapters,
credentials) and, with --live, each bound upstream id called with its key — here the fake
fal and the fake WaveSpeed, by pointing the base URLs at them."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from tests.fakes.fal import FakeFal
from tests.fakes.wavespeed import FakeWaveSpeed
from tests.support.server import base_env, cli

FAL_KEY = "fal-check-key-id:fal-check-key-secret-0a1b2c3d4e5f"
WS_KEY = "ws_check_key_do_not_log_1a2b3c4d5e6f7a8b"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _file(tmp_path: Path, fal: str, ws: str, *, extra: str = "") -> Path:
    path = tmp_path / "providers.toml"
    path.write_text(
        f"""
[[channels]]
name = "fal"
adapter = "fal"
base_url = "{fal}"
credential_env = "CHECK_FAL_KEY"
[channels.models.kling-3]
"std/text-to-video" = "fal-ai/kling-video/v3/standard/text-to-video"
"pro/image-to-video" = "fal-ai/kling-video/v3/pro/image-to-video"

[[channels]]
name = "ws"
adapter = "wavespeed"
base_url = "{ws}"
credential_env = "CHECK_WS_KEY"
[channels.models]
"seedream-4-5" = {{ "seedream/4.5-text-to-image" = "bytedance/seedream-v4.5" }}
{extra}"""
    )
    return path


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return base_env(
        tmp_path / "data", CHECK_FAL_KEY=FAL_KEY, CHECK_WS_KEY=WS_KEY, COLUMNS="300", **extra
    )


async def test_offline_check_reports_bindings_credentials_and_unbound_routes(
    tmp_path: Path,
) -> None:
    async with FakeFal(key=FAL_KEY) as fal, FakeWaveSpeed(token=WS_KEY) as ws:
        good = _file(tmp_path, fal.url, ws.url)
        env = _env(tmp_path)
        out = await asyncio.to_thread(cli, ["channels", "check", "--file", str(good)], env)
        lines = out.stdout.splitlines()
        assert any(
            "kling-3" in line and "pro" in line and "image-to-video" in line and "ok" in line
            for line in lines
        ), out.stdout
        unbound = [line for line in lines if "not bound: refused (400)" in line]
        assert any(
            "kling-3" in line and "std" in line and "image-to-video" in line for line in unbound
        )
        assert any("seedream/4.5-edit" in line for line in unbound)
        assert fal.calls == [] and ws.calls == []  # offline: nothing was sent
        assert FAL_KEY not in out.stdout + out.stderr

        missing = _file(
            tmp_path,
            fal.url,
            ws.url,
            extra="""
[[channels]]
name = "replicate"
adapter = "replicate"
base_url = "https://api.replicate.com"
credential_env = "CHECK_MISSING_TOKEN"
[channels.models]
"minimax-music" = "minimax/music-2.5"
""",
        )
        out = await asyncio.to_thread(
            cli, ["channels", "check", "--file", str(missing)], env, check=False
        )
        assert out.returncode == 1, out.stdout + out.stderr
        assert "CHECK_MISSING_TOKEN is not set" in out.stdout

        bad = tmp_path / "bad.toml"
        bad.write_text(good.read_text().replace('"pro/image-to-video"', '"ultra/image-to-video"'))
        out = await asyncio.to_thread(
            cli, ["channels", "check", "--file", str(bad)], env, check=False
        )
        assert out.returncode == 2
        assert "'ultra/image-to-video' is not a variant, a mode" in out.stderr


async def test_live_check_calls_each_bound_id_with_its_key(tmp_path: Path) -> None:
    async with FakeFal(key=FAL_KEY) as fal, FakeWaveSpeed(token=WS_KEY) as ws:
        dead = f"http://127.0.0.1:{_closed_port()}"
        path = _file(
            tmp_path,
            fal.url,
            ws.url,
            extra=f"""
[[channels]]
name = "fal-wrong-key"
adapter = "fal"
base_url = "{fal.url}"
credential_env = "CHECK_WRONG_KEY"
[channels.models]
"wan-2-6" = {{ "text-to-video" = "wan/v2.6/text-to-video" }}

[[channels]]
name = "fal-dead"
adapter = "fal"
base_url = "{dead}"
credential_env = "CHECK_FAL_KEY"
[channels.models]
"pixverse-5-6" = {{ "text-to-video" = "fal-ai/pixverse/v5.6/text-to-video" }}
""",
        )
        env = _env(tmp_path, CHECK_WRONG_KEY="fal-wrong-key-id:not-the-right-secret-000")
        args = ["channels", "check", "--file", str(path), "--live"]
        only = await asyncio.to_thread(cli, [*args, "--model", "kling-3"], env)
        assert " ms" in only.stdout and "problem" in only.stdout
        assert "0 problem(s)" in only.stdout, only.stdout
        called = sorted(call["endpoint"] for call in fal.calls)
        assert called == [
            "fal-ai/kling-video/v3/pro/image-to-video",
            "fal-ai/kling-video/v3/standard/text-to-video",
        ]
        assert all(call["input"] == {} for call in fal.calls)  # an empty input: no charge
        assert ws.calls == []  # --model kling-3: nothing else was called

        out = await asyncio.to_thread(cli, args, env, check=False)
        assert out.returncode == 1, out.stdout + out.stderr
        rows = out.stdout.splitlines()
        assert any("wan-2-6" in row and "the key is refused" in row for row in rows), out.stdout
        assert any("pixverse-5-6" in row and "unreachable" in row for row in rows), out.stdout
        assert any("seedream-4-5" in row and "HTTP" in row for row in rows), out.stdout
        assert [call["model"] for call in ws.calls] == ["bytedance/seedream-v4.5"]
        for secret in (FAL_KEY, WS_KEY, "not-the-right-secret-000"):
            assert secret not in out.stdout + out.stderr


@pytest.mark.parametrize("command", [["channels", "check"], ["channels", "table"]])
def test_without_a_providers_file_it_says_so(tmp_path: Path, command: list[str]) -> None:
    out = cli(command, base_env(tmp_path / "data"), check=False)
    assert out.returncode == 2
    assert "no providers file" in out.stderr
