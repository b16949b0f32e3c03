"""POST /api/v1/uploads (multipart or a URL) and GET /api/v1/uploads/{id} on real servers."""

from __future__ import annotations

import io
import threading
import wave
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from PIL import Image

from apiinone.auth.secrets import generate_key
from tests.conftest import Account
from tests.support.server import Server, base_env


def _wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(range(256)) * 40)
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 128, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


WAV = _wav()
PNG = _png()
PAGES = {
    "/hum.wav": (WAV, "application/octet-stream"),
    "/photo": (PNG, "image/png"),
    "/page.html": (b"<html>hello</html>", "text/html"),
}


class _Origin(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/hum.wav")
            self.end_headers()
            return
        body, content_type = PAGES.get(self.path, (b"", ""))
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", content_type or "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A gateway with the default URL rules: loopback inputs are refused."""
    data_dir = tmp_path_factory.mktemp("strict-uploads")
    admin_key = generate_key()
    server = Server(data_dir=data_dir, env=base_env(data_dir, APIINONE_ADMIN_KEY=admin_key))
    server.env["APIINONE_PORT"] = str(server.port)  # so its base_url names itself
    server.start()
    yield server, admin_key
    server.stop()


@pytest.fixture
def user(server: Server, make_account: Callable[..., Account]) -> Iterator[httpx.Client]:
    with server.client(make_account().key) as client:
        yield client


def _error(r: httpx.Response, status: int, param: str | None) -> str:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == status and error["param"] == param, error
    return str(error["message"])


def test_multipart_upload_then_get_by_id(server: Server, user: httpx.Client) -> None:
    r = user.post("/api/v1/uploads", files={"file": ("hum.wav", WAV, "audio/x-whatever")})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["content_type"] == "audio/wav" and data["size"] == len(WAV)
    again = user.get(f"/api/v1/uploads/{data['id']}")
    assert again.status_code == 200 and again.json()["data"] == data
    assert httpx.get(data["url"]).content == WAV


def test_a_name_gets_an_extension(user: httpx.Client) -> None:
    r = user.post("/api/v1/uploads", files={"file": ("blob", PNG, "application/octet-stream")})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["name"] == "blob.png"


def test_another_account_cannot_see_an_upload(
    server: Server, user: httpx.Client, make_account: Callable[..., Account]
) -> None:
    data = user.post("/api/v1/uploads", files={"file": ("p.png", PNG, "image/png")}).json()["data"]
    with server.client(make_account().key) as other:
        r = other.get(f"/api/v1/uploads/{data['id']}")
    _error(r, 404, "upload_id")
    _error(user.get("/api/v1/uploads/does-not-exist"), 404, "upload_id")


def test_upload_from_an_allowed_loopback_url(user: httpx.Client, origin: str) -> None:
    r = user.post("/api/v1/uploads", json={"url": origin + "/moved"})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["name"] == "moved.wav" and data["content_type"] == "audio/wav"
    assert httpx.get(data["url"]).content == WAV
    named = user.post("/api/v1/uploads", json={"url": origin + "/photo", "name": "cat.png"})
    assert named.status_code == 201 and named.json()["data"]["name"] == "cat.png"
    assert "HTTP 404" in _error(
        user.post("/api/v1/uploads", json={"url": origin + "/nothing"}), 400, "url"
    )
    assert "text/html" in _error(
        user.post("/api/v1/uploads", json={"url": origin + "/page.html"}), 400, "url"
    )


def test_the_same_url_is_refused_without_the_allow_list(
    strict: tuple[Server, str], origin: str
) -> None:
    server, admin_key = strict
    with server.client(admin_key) as client:
        r = client.post("/api/v1/uploads", json={"url": origin + "/hum.wav"})
    assert "loopback" in _error(r, 400, "url")


def test_own_upload_urls_are_read_from_the_store_and_only_by_the_owner(
    strict: tuple[Server, str],
) -> None:
    """The strict gateway refuses loopback URLs, yet its own /files/ URLs work (no HTTP)."""
    server, admin_key = strict
    keys = []
    with server.client(admin_key) as admin:
        for n in range(2):
            r = admin.post("/api/v1/admin/accounts", json={"email": f"own-{n}@example.com"})
            assert r.status_code == 201, r.text
            keys.append(r.json()["data"]["key"]["key"])
    with server.client(keys[0]) as owner, server.client(keys[1]) as other:
        first = owner.post("/api/v1/uploads", files={"file": ("p.png", PNG, "image/png")})
        assert first.status_code == 201, first.text
        url = first.json()["data"]["url"]
        assert url.startswith(server.url + "/files/")
        for given in (url, url.removeprefix(server.url)):
            copy = owner.post("/api/v1/uploads", json={"url": given})
            assert copy.status_code == 201, copy.text
            assert copy.json()["data"]["id"] != first.json()["data"]["id"]
            assert copy.json()["data"]["size"] == len(PNG)
            refused = other.post("/api/v1/uploads", json={"url": given})
            assert "not found" in _error(refused, 400, "url")


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"files": {"file": ("a.txt", b"just some text", "text/plain")}}, "file"),
        ({"files": {"file": ("a.svg", b"<svg></svg>", "image/svg+xml")}}, "file"),
        ({"files": {"other": ("a.png", PNG, "image/png")}}, "file"),
        ({"data": {"file": "not a file"}, "files": {"x": ("x", b"x")}}, "file"),
        (
            {
                "content": b'--zzz\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
                "headers": {"Content-Type": "multipart/form-data; boundary=zzz"},
            },
            "file",
        ),
        (
            {"content": b"garbage", "headers": {"Content-Type": "multipart/form-data"}},
            "file",
        ),
        ({"json": {}}, "url"),
        ({"json": {"url": 5}}, "url"),
        ({"json": {"url": "https://example.com/a.png", "extra": 1}}, "extra"),
        ({"json": {"url": "ftp://example.com/a.png"}}, "url"),
        ({"json": {"url": "https://example.com/" + "a" * 2100}}, "url"),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, None),
        ({"content": b"raw", "headers": {"Content-Type": "image/png"}}, None),
    ],
)
def test_bad_uploads_are_400(user: httpx.Client, kwargs: dict[str, object], param: str) -> None:
    r = user.post("/api/v1/uploads", **kwargs)  # type: ignore[arg-type]
    _error(r, 400, param)


def test_limits_and_authentication(server: Server, user: httpx.Client) -> None:
    # The session server's body limit is 1 MiB.
    big = PNG + b"\0" * (1024 * 1024)
    r = user.post("/api/v1/uploads", files={"file": ("big.png", big, "image/png")})
    assert r.status_code == 413 and r.json()["error"]["type"] == "payload_too_large"
    anonymous = httpx.post(server.url + "/api/v1/uploads", files={"file": ("p.png", PNG)})
    assert anonymous.status_code == 401
    assert httpx.get(server.url + "/api/v1/uploads/x").status_code == 401
