"""SSRF end to end, against real gateway processes: every address class is refused for
``callback_url`` and for each kind of input URL field with a 400 ``invalid_request`` that
names the field; a redirect from an allowed host to a forbidden one fails the task (inputs)
or the delivery attempt (webhooks); the operator's allow-list lets the same URLs through.

The session server allows 127.0.0.1 (its fake origins live there), so the refused URLs use
other loopback addresses, names and spellings. Only loopback is ever contacted.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from apiinone.auth.secrets import generate_key
from tests.conftest import Account
from tests.support.server import Server, base_env, free_port
from tests.support.tasks import create, png, wait

IMAGES = "/api/v1/images/generations"
VIDEOS = "/api/v1/videos/generations"
OK = "http://127.0.0.1:9/ok.png"  # allowed on the session server; never fetched at submit

# One URL or more per address class, and what the refusal says.
REFUSED = [
    ("http://localhost:8080/x.png", "loopback"),  # a name; resolves from /etc/hosts
    ("http://127.0.0.2/x.png", "loopback"),
    ("http://[::1]/x.png", "loopback"),
    ("http://[::ffff:127.0.0.1]/x.png", "loopback"),
    ("http://10.0.0.1/x.png", "private"),
    ("http://172.16.5.4/x.png", "private"),
    ("http://192.168.1.1/x.png", "private"),
    ("http://[fd12:3456::1]/x.png", "private"),
    ("http://169.254.1.1/x.png", "link-local"),
    ("http://[fe80::1]/x.png", "link-local"),
    ("http://224.0.0.1/x.png", "multicast"),
    ("http://[ff02::1]/x.png", "multicast"),
    ("http://0.0.0.0/x.png", "unspecified"),
    ("http://[::]/x.png", "unspecified"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fd00:ec2::254]/latest/", "metadata"),
    ("http://100.100.100.200/latest/", "metadata"),
    ("http://168.63.129.16/machine", "metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("http://100.64.0.1/x.png", "carrier-grade NAT"),
    ("http://2130706434/x.png", "loopback"),  # 127.0.0.2 as one number
    ("http://0x7f.2/x.png", "loopback"),
    ("http://0177.0.0.2/x.png", "loopback"),
    ("http://167772161/x.png", "private"),  # 10.0.0.1
    ("http://2852039166/latest/", "metadata"),  # 169.254.169.254
    ("http://[2002:7f00:1::]/x.png", "loopback"),  # 6to4 of 127.0.0.1
    ("http://[64:ff9b::a00:1]/x.png", "private"),  # NAT64 of 10.0.0.1
    ("http://240.0.0.1/x.png", "reserved"),
]

# (field path, endpoint, body without it): every kind of URL field the catalog has.
FIELDS: list[tuple[str, str, dict[str, Any]]] = [
    ("callback_url", IMAGES, {"model": "flux-2", "prompt": "a kite"}),
    ("input_urls[0]", IMAGES, {"model": "flux-2", "prompt": "a kite"}),
    ("images[0]", IMAGES, {"model": "kling-image-o1", "prompt": "a kite"}),
    ("image_urls[0]", IMAGES, {"model": "seedream-4-5", "prompt": "a kite"}),
    ("reference_images[1]", IMAGES, {"model": "ideogram-v3", "prompt": "a kite"}),
    ("image", VIDEOS, {"model": "hailuo-2-3", "prompt": "a kite"}),
    ("face_image", "/api/v1/images/tools/face-swap", {"model": "face-swap", "image": OK}),
    ("video", "/api/v1/videos/tools/upscale", {"model": "video-upscale"}),
    (
        "background_image",
        "/api/v1/videos/tools/bg-remover",
        {"model": "video-bg-remover", "video": "http://127.0.0.1:9/in.mp4"},
    ),
]


def _body(base: dict[str, Any], path: str, url: str) -> dict[str, Any]:
    body = dict(base)
    if "[" in path:
        name, index = path[:-1].split("[")
        body[name] = [OK] * int(index) + [url]
    else:
        body[path] = url
    return body


def _refused(client: httpx.Client, endpoint: str, body: dict[str, Any], param: str) -> str:
    r = client.post(endpoint, json=body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == 400 and error["type"] == "invalid_request", error
    assert error["param"] == param
    assert f"'{param}' is not" in error["message"]
    return str(error["message"])


@pytest.fixture(scope="module")
def key(admin: httpx.Client) -> str:
    r = admin.post("/api/v1/admin/accounts", json={"email": f"ssrf-{free_port()}@example.com"})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["key"]["key"])


@pytest.mark.parametrize(("field", "endpoint", "base"), FIELDS, ids=[f[0] for f in FIELDS])
def test_every_address_class_is_refused_in_every_url_field(
    server: Server,
    make_account: Callable[..., Account],
    field: str,
    endpoint: str,
    base: dict[str, Any],
) -> None:
    with server.client(make_account().key) as c:
        balance = c.get("/api/v1/account").json()["data"]
        for url, reason in REFUSED:
            message = _refused(c, endpoint, _body(base, field, url), field)
            assert reason in message, (url, message)
        assert c.get("/api/v1/account").json()["data"] == balance  # nothing was held
        assert c.get("/api/v1/tasks").json()["data"]["items"] == []


def test_the_allowed_host_passes_and_only_it(server: Server, key: str) -> None:
    with server.client(key) as c:
        body = {"model": "cogview-4", "prompt": "a kite", "callback_url": "http://127.0.0.1:9/"}
        assert c.post(IMAGES, json=body).status_code == 202
        body["callback_url"] = "http://127.0.0.3:9/"
        assert "loopback" in _refused(c, IMAGES, body, "callback_url")


# -- fake origins on 127.0.0.1 that the gateway process reaches ------------------------


class Origin:
    """Serves a PNG, redirects wherever ``to`` says, and counts what it was asked for."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    async def _image(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        return web.Response(body=png(), content_type="image/png")

    async def _away(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        raise web.HTTPFound(request.query["to"].replace("PORT", str(self.port)))

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/image.png", self._image)
        app.router.add_post("/hook", self._image)
        app.router.add_route("*", "/away", self._away)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def __enter__(self) -> Origin:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="module")
def origin() -> Iterator[Origin]:
    with Origin() as o:
        yield o


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://localhost:PORT/image.png", "loopback"),
        ("http://[::1]:PORT/image.png", "loopback"),
        ("http://0x7f.2:PORT/image.png", "loopback"),
        ("http://10.0.0.1/image.png", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ],
)
def test_input_redirect_to_a_forbidden_host_fails_the_task(
    server: Server, key: str, origin: Origin, target: str, reason: str
) -> None:
    with server.client(key) as c:
        away = f"{origin.url}/away?to={target}"
        task = wait(
            c, create(c, IMAGES, {"model": "flux-2", "prompt": "a kite", "input_urls": [away]})
        )
    assert task["status"] == "FAILED" and task["error_code"] == "invalid_request", task
    message = task["error_message"]
    assert "is not an acceptable URL" in message and reason in message, message


def test_input_redirect_within_allowed_hosts_is_followed(
    server: Server, key: str, origin: Origin
) -> None:
    with server.client(key) as c:
        away = f"{origin.url}/away?to={origin.url}/image.png"
        task = wait(
            c, create(c, IMAGES, {"model": "flux-2", "prompt": "a kite", "input_urls": [away]})
        )
    assert task["status"] == "SUCCESS", task


def _first_attempt(c: httpx.Client, task_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        items = c.get(f"/api/v1/tasks/{task_id}/webhooks").json()["data"]["items"]
        if items and items[0]["attempt_log"]:
            return dict(items[0]["attempt_log"][0])
        assert time.monotonic() < deadline, items
        time.sleep(0.1)


@pytest.mark.parametrize(
    "target", ["http://localhost:PORT/hook", "http://[::1]:PORT/hook", "http://10.0.0.1/hook"]
)
def test_webhook_redirect_is_not_followed_and_the_attempt_is_recorded(
    server: Server, key: str, origin: Origin, target: str
) -> None:
    hooks_before = origin.hits.count("/hook")
    with server.client(key) as c:
        callback = f"{origin.url}/away?to={target}"
        task = wait(
            c, create(c, IMAGES, {"model": "flux-2", "prompt": "a kite", "callback_url": callback})
        )
        attempt = _first_attempt(c, task["task_id"])
    assert attempt["status_code"] == 302 and not attempt["success"]
    assert attempt["error"] == "redirects are not followed"
    assert origin.hits.count("/hook") == hooks_before


# -- the allow-list: the same URLs pass on gateways configured for them ---------------


def _gateway(tmp: Path, **env: str) -> Server:
    key = generate_key()
    environment = base_env(
        tmp,
        APIINONE_ADMIN_KEY=key,
        APIINONE_WORKER_ENABLED="false",  # accepted tasks are never run: nothing is fetched
        APIINONE_SIGNUP_BONUS="100000",
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        **env,
    )
    srv = Server(data_dir=tmp, env=environment).start()
    srv.admin_key = key  # type: ignore[attr-defined]
    return srv


def _new_key(srv: Server) -> str:
    with srv.client(srv.admin_key) as admin:  # type: ignore[attr-defined]
        r = admin.post("/api/v1/admin/accounts", json={"email": f"a{free_port()}@example.com"})
        assert r.status_code == 201, r.text
        return str(r.json()["data"]["key"]["key"])


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    hosts = '["localhost", "169.254.169.254", "10.0.0.0/8", "fd12::/16"]'
    with ThreadPoolExecutor(2) as pool:  # start both at once
        listing = pool.submit(
            _gateway, tmp_path_factory.mktemp("listed"), APIINONE_ALLOWED_URL_HOSTS=hosts
        )
        privates = pool.submit(
            _gateway, tmp_path_factory.mktemp("private"), APIINONE_ALLOW_PRIVATE_URLS="true"
        )
        listed, private = listing.result(), privates.result()
    try:
        yield listed, private
    finally:
        listed.stop()
        private.stop()


def _submit(srv: Server, key: str, url: str) -> httpx.Response:
    body = {"model": "flux-2", "prompt": "a kite", "callback_url": url, "input_urls": [url]}
    with srv.client(key) as c:
        return c.post(IMAGES, json=body)


def test_allowed_url_hosts_accept_the_same_urls(configured: tuple[Server, Server]) -> None:
    listed, _ = configured
    key = _new_key(listed)
    for url in (
        "http://localhost:8080/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x.png",
        "http://167772161/x.png",
        "http://[fd12:3456::1]/x.png",
    ):
        r = _submit(listed, key, url)
        assert r.status_code == 202, (url, r.text)
    for url, reason in REFUSED:
        if "localhost" in url or "169.254.169.254" in url or url.startswith("http://1677"):
            continue
        if any(x in url for x in ("/10.0.0.1/", "[fd12:", "2852039166")):
            continue
        r = _submit(listed, key, url)
        assert r.status_code == 400 and reason in r.json()["error"]["message"], (url, r.text)


def test_allow_private_urls_accepts_all_but_metadata(configured: tuple[Server, Server]) -> None:
    _, private = configured
    key = _new_key(private)
    for url, reason in REFUSED:
        r = _submit(private, key, url)
        if reason == "metadata":
            assert r.status_code == 400 and "metadata" in r.json()["error"]["message"], url
        else:
            assert r.status_code == 202, (url, r.text)
