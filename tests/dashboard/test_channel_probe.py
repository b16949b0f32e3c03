"""The admin's channel test: one GET of the channel's base URL, nothing run or billed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from apiinone.dashboard.routes.admin_channels import probe
from apiinone.providers.registry import Channel


@pytest.fixture
def upstream() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:
            assert "Authorization" not in self.headers  # no credential is sent
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gateway(tmp_path: Path, session: aiohttp.ClientSession, channels: dict[str, str]) -> Any:
    lines = []
    for name, base in channels.items():
        lines += ["[[channels]]", f'name = "{name}"', f'base_url = "{base}"', ""]
    path = tmp_path / "providers.toml"
    path.write_text("\n".join(lines))
    named = {f"{n}/flux-2": Channel(name=f"{n}/flux-2", provider=None) for n in channels}  # type: ignore[arg-type]
    return SimpleNamespace(
        settings=SimpleNamespace(providers_file=path),
        providers=SimpleNamespace(channel=named.get),
        session=session,
    )


async def test_a_channel_is_probed_at_its_base_url(tmp_path: Path, upstream: str) -> None:
    async with aiohttp.ClientSession() as session:
        gateway = _gateway(
            tmp_path, session, {"up": upstream, "down": f"http://127.0.0.1:{_closed_port()}"}
        )
        up = await probe(gateway, "up/flux-2")
        down = await probe(gateway, "down/flux-2")
    assert up["ok"] and "answered HTTP 401" in up["detail"]
    assert not down["ok"] and down["detail"].startswith("Unreachable")
