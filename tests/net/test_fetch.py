"""fetch_input against a real aiohttp server on 127.0.0.1, and the gateway's own files."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image

from apiinone.db.migrate import upgrade
from apiinone.errors import InvalidRequest
from apiinone.gateway import Gateway
from apiinone.net.fetch import fetch_input, own_file_ref
from apiinone.settings import Settings
from apiinone.storage.files import save_file
from tests.support.db import new_account

LIMIT = 100_000
MakeGateway = Callable[..., Awaitable[Gateway]]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


def _app() -> web.Application:
    async def image(_request: web.Request) -> web.Response:
        # A wrong declared type: the bytes decide.
        return web.Response(body=PNG, content_type="application/octet-stream")

    async def redirect(request: web.Request) -> web.Response:
        hops = int(request.match_info["hops"])
        target = "/image.png" if hops <= 1 else f"/redirect/{hops - 1}"
        raise web.HTTPFound(target)

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def big(_request: web.Request) -> web.Response:
        return web.Response(body=PNG + b"\0" * LIMIT, content_type="image/png")

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(PNG)
        for _ in range(20):
            await response.write(b"\0" * 10_000)
        await response.write_eof()
        return response

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="<html><body>hi</body></html>", content_type="text/html")

    async def svg(_request: web.Request) -> web.Response:
        return web.Response(text="<svg></svg>", content_type="image/svg+xml")

    async def declared(_request: web.Request) -> web.Response:
        return web.Response(body=b"not magic at all", content_type="audio/x-custom")

    app = web.Application()
    app.router.add_get("/image.png", image)
    app.router.add_get("/redirect/{hops}", redirect)
    app.router.add_get("/away", away)
    app.router.add_get("/big", big)
    app.router.add_get("/big-chunked", big_chunked)
    app.router.add_get("/page", page)
    app.router.add_get("/drawing.svg", svg)
    app.router.add_get("/declared", declared)
    return app


@pytest.fixture
async def origin() -> AsyncIterator[str]:
    server = TestServer(_app(), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


@pytest.fixture
async def make_gateway(tmp_path: Path) -> AsyncIterator[MakeGateway]:
    opened: list[Gateway] = []

    async def make(**settings: Any) -> Gateway:
        gateway = Gateway.open(Settings(data_dir=tmp_path / f"gw{len(opened)}", **settings))
        opened.append(gateway)
        await upgrade(gateway.db)
        return gateway

    yield make
    for gateway in opened:
        await gateway.close()


async def _fetch(gateway: Gateway, url: str, **kwargs: Any) -> tuple[bytes, str]:
    kwargs.setdefault("account_id", None)
    kwargs.setdefault("max_bytes", LIMIT)
    return await fetch_input(gateway, url, param="image", **kwargs)


async def _refused(gateway: Gateway, url: str, **kwargs: Any) -> str:
    with pytest.raises(InvalidRequest) as info:
        await _fetch(gateway, url, **kwargs)
    assert info.value.param == "image"
    return info.value.message


async def test_allowed_loopback_host_is_fetched(make_gateway: MakeGateway, origin: str) -> None:
    gateway = await make_gateway(allowed_url_hosts=["127.0.0.1"])
    assert await _fetch(gateway, origin + "/image.png") == (PNG, "image/png")


async def test_loopback_is_refused_by_default(make_gateway: MakeGateway, origin: str) -> None:
    gateway = await make_gateway()
    assert "loopback" in await _refused(gateway, origin + "/image.png")
    port = origin.rsplit(":", 1)[1]
    message = await _refused(gateway, f"http://localhost:{port}/image.png")
    assert "localhost" in message and "loopback" in message


async def test_redirects_are_followed_up_to_three(make_gateway: MakeGateway, origin: str) -> None:
    gateway = await make_gateway(allowed_url_hosts=["127.0.0.1"])
    assert await _fetch(gateway, origin + "/redirect/3") == (PNG, "image/png")
    assert "more than 3" in await _refused(gateway, origin + "/redirect/4")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://localhost:{port}/image.png", "loopback"),
        ("http://10.1.2.3/x.png", "private"),
        ("http://[::1]:{port}/image.png", "loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/image.png", "loopback"),
        ("http://0x7f.2:{port}/image.png", "loopback"),
        ("http://2130706434:{port}/image.png", "loopback"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
async def test_redirect_to_a_forbidden_host_is_refused(
    make_gateway: MakeGateway, origin: str, target: str, reason: str
) -> None:
    gateway = await make_gateway(allowed_url_hosts=["127.0.0.1"])
    port = origin.rsplit(":", 1)[1]
    location = target.format(port=port)
    message = await _refused(gateway, f"{origin}/away?to={location}")
    assert reason in message


async def test_too_large_bodies_are_refused(make_gateway: MakeGateway, origin: str) -> None:
    gateway = await make_gateway(allowed_url_hosts=["127.0.0.1"])
    for path in ("/big", "/big-chunked"):
        assert f"input larger than {LIMIT} bytes" in await _refused(gateway, origin + path)
    data, _ = await _fetch(gateway, origin + "/big", max_bytes=LIMIT + len(PNG))
    assert len(data) == LIMIT + len(PNG)


async def test_http_errors_and_wrong_types(make_gateway: MakeGateway, origin: str) -> None:
    gateway = await make_gateway(allowed_url_hosts=["127.0.0.1"])
    assert "HTTP 404" in await _refused(gateway, origin + "/missing")
    assert "text/html" in await _refused(gateway, origin + "/page")
    assert "image/svg+xml" in await _refused(gateway, origin + "/drawing.svg")
    # Only images accepted here: the PNG passes, the declared audio does not.
    assert await _fetch(gateway, origin + "/declared", accept=("audio/",)) == (
        b"not magic at all",
        "audio/x-custom",
    )
    assert "expected image" in await _refused(gateway, origin + "/declared", accept=("image/",))


async def test_unreachable_and_malformed_urls(make_gateway: MakeGateway) -> None:
    gateway = await make_gateway(allowed_url_hosts=["127.0.0.1"])
    closed = "http://127.0.0.1:1/x.png"
    assert "cannot connect" in await _refused(gateway, closed)
    assert "only http and https" in await _refused(gateway, "ftp://example.com/x.png")
    assert "no host" in await _refused(gateway, "http:///x.png")


async def test_own_files_are_read_from_the_store(make_gateway: MakeGateway) -> None:
    gateway = await make_gateway(public_base_url="https://gw.example.com")
    owner = await new_account(gateway.db)
    other = await new_account(gateway.db)

    async def save(purpose: Any) -> str:
        stored = await save_file(
            gateway.db,
            gateway.store,
            account_id=owner,
            task_id=None,
            purpose=purpose,
            name="pic.png",
            content_type="image/png",
            data=PNG,
            retention_seconds=3600,
        )
        return stored.path

    result, upload = await save("result"), await save("upload")
    base = gateway.settings.base_url
    # Results are readable by anyone holding the URL; relative or absolute.
    assert await _fetch(gateway, result) == (PNG, "image/png")
    assert await _fetch(gateway, base + result, account_id=other) == (PNG, "image/png")
    # Uploads only by their owner.
    assert await _fetch(gateway, base + upload, account_id=owner) == (PNG, "image/png")
    assert "not found" in await _refused(gateway, upload, account_id=other)
    assert "not found" in await _refused(gateway, upload, account_id=None)
    assert "not found" in await _refused(gateway, result.rsplit("/", 1)[0] + "/other.png")
    assert "not found" in await _refused(gateway, "/files/unknown/pic.png")
    assert "input larger than 10 bytes" in await _refused(gateway, result, max_bytes=10)
    assert "expected audio" in await _refused(gateway, result, accept=("audio/",))


def test_own_file_ref() -> None:
    base = "http://127.0.0.1:8000"
    assert own_file_ref(base, "/files/abc/x.png") == ("abc", "x.png")
    assert own_file_ref(base, "http://127.0.0.1:8000/files/abc/x.png?dl=1") == ("abc", "x.png")
    assert own_file_ref(base, "http://127.0.0.1:8001/files/abc/x.png") is None
    assert own_file_ref(base, "http://example.com:8000/files/abc/x.png") is None
    assert own_file_ref(base, "http://127.0.0.1:8000/other/abc/x.png") is None
    assert own_file_ref(base, "/files/abc/x/y.png") == ("", "")
    assert own_file_ref("https://gw.io", "https://GW.io:443/files/a/b.mp3") == ("a", "b.mp3")
    assert own_file_ref("https://gw.io/aio", "https://gw.io/aio/files/a/b.mp3") == ("a", "b.mp3")
    assert own_file_ref("https://gw.io/aio", "https://gw.io/files/a/b.mp3") is None
