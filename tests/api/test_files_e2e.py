"""GET / HEAD /files/{id}/{name} on a real server: bytes, headers, ranges, 404s."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from apiinone.app import create_app
from apiinone.db.migrate import upgrade
from apiinone.settings import Settings
from apiinone.storage.files import StoredFile, save_file
from tests.conftest import Account
from tests.support.db import new_account
from tests.support.server import Server
from tests.support.tasks import run


def _png() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (40, 30), (250, 250, 250))
    image.paste((20, 90, 200), (10, 8, 30, 22))
    image.save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


@pytest.fixture(scope="module")
def uploaded(server: Server, admin: httpx.Client) -> dict[str, Any]:
    email = "files-e2e@example.com"
    created = admin.post("/api/v1/admin/accounts", json={"email": email})
    assert created.status_code == 201, created.text
    key = created.json()["data"]["key"]["key"]
    with server.client(key) as client:
        r = client.post("/api/v1/uploads", files={"file": ("My Photo!.png", PNG, "image/png")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["code"] == 200 and body["message"] == "success"
    return body["data"]  # type: ignore[no-any-return]


def test_upload_answers_the_file_object(server: Server, uploaded: dict[str, Any]) -> None:
    assert set(uploaded) == {
        "id",
        "url",
        "name",
        "content_type",
        "size",
        "created_at",
        "expires_at",
    }
    assert uploaded["name"] == "My_Photo_.png"
    assert uploaded["content_type"] == "image/png" and uploaded["size"] == len(PNG)
    assert uploaded["url"] == f"{server.url}/files/{uploaded['id']}/My_Photo_.png"
    assert len(uploaded["id"]) >= 32
    assert uploaded["created_at"].endswith("Z") and uploaded["expires_at"] > uploaded["created_at"]


def test_get_is_byte_identical_without_a_key(uploaded: dict[str, Any]) -> None:
    r = httpx.get(uploaded["url"])
    assert r.status_code == 200
    assert r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-length"] == str(len(PNG))
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["etag"] == f'"{uploaded["id"]}"'
    assert r.headers["cache-control"] == "private, max-age=3600"
    assert r.headers["content-disposition"] == 'inline; filename="My_Photo_.png"'
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.headers["x-request-id"]


def test_head_has_the_headers_and_no_body(uploaded: dict[str, Any]) -> None:
    r = httpx.head(uploaded["url"])
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-length"] == str(len(PNG))
    assert r.headers["content-type"] == "image/png"
    assert r.headers["accept-ranges"] == "bytes"
    ranged = httpx.head(uploaded["url"], headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.headers["content-length"] == "10"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=-5", len(PNG) - 5, len(PNG) - 1),
        ("bytes=100-", 100, len(PNG) - 1),
        ("bytes=10-99999", 10, len(PNG) - 1),
        (f"bytes=-{len(PNG) + 50}", 0, len(PNG) - 1),
    ],
)
def test_single_ranges_are_206(uploaded: dict[str, Any], header: str, start: int, end: int) -> None:
    r = httpx.get(uploaded["url"], headers={"Range": header})
    assert r.status_code == 206, r.text
    assert r.content == PNG[start : end + 1]
    assert r.headers["content-range"] == f"bytes {start}-{end}/{len(PNG)}"
    assert r.headers["content-length"] == str(end - start + 1)


@pytest.mark.parametrize("header", [f"bytes={len(PNG)}-", "bytes=99999-100000", "bytes=-0"])
def test_unsatisfiable_ranges_are_416(uploaded: dict[str, Any], header: str) -> None:
    r = httpx.get(uploaded["url"], headers={"Range": header})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(PNG)}"
    error = r.json()["error"]
    assert error["code"] == 416 and error["type"] == "invalid_request"
    assert error["param"] == "Range"


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "bytes=9-3", "items=0-5", "bytes=abc"])
def test_multiple_or_malformed_ranges_get_the_whole_file(
    uploaded: dict[str, Any], header: str
) -> None:
    r = httpx.get(uploaded["url"], headers={"Range": header})
    assert r.status_code == 200 and r.content == PNG


def test_if_range_and_if_none_match(uploaded: dict[str, Any]) -> None:
    etag = f'"{uploaded["id"]}"'
    same = httpx.get(uploaded["url"], headers={"Range": "bytes=0-3", "If-Range": etag})
    assert same.status_code == 206 and same.content == PNG[:4]
    other = httpx.get(uploaded["url"], headers={"Range": "bytes=0-3", "If-Range": '"other"'})
    assert other.status_code == 200 and other.content == PNG
    cached = httpx.get(uploaded["url"], headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""


def test_wrong_name_or_id_is_404(server: Server, uploaded: dict[str, Any]) -> None:
    file_id = uploaded["id"]
    other_id = file_id[:-1] + ("y" if file_id.endswith("x") else "x")
    for url in (
        f"{server.url}/files/{file_id}/other.png",
        f"{server.url}/files/{other_id}/My_Photo_.png",
        f"{server.url}/files/{file_id}",
    ):
        for method in ("GET", "HEAD"):
            r = httpx.request(method, url)
            assert r.status_code == 404, (method, url)
            if method == "GET":
                assert r.json()["error"]["type"] == "not_found"


def test_a_result_file_is_served_too(server: Server, make_account: Callable[..., Account]) -> None:
    account = make_account()
    with server.client(account.key) as client:
        task = run(client, "/api/v1/images/generations", {"model": "flux-2", "prompt": "a fox"})
    assert task["status"] == "SUCCESS", task
    url = task["response"][0]
    whole = httpx.get(url)
    assert whole.status_code == 200 and whole.headers["content-type"].startswith("image/")
    part = httpx.get(url, headers={"Range": "bytes=-5"})
    assert part.status_code == 206 and part.content == whole.content[-5:]


async def test_missing_blobs_expired_and_empty_files(tmp_path: Path) -> None:
    """In-process, so the test can reach into the store and the clock."""
    app = create_app(Settings(data_dir=tmp_path, worker_enabled=False))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as client,
    ):
        gateway = app.state.gateway
        await upgrade(gateway.db)
        account = await new_account(gateway.db)

        async def save(data: bytes, retention: float) -> StoredFile:
            return await save_file(
                gateway.db,
                gateway.store,
                account_id=account,
                task_id=None,
                purpose="result",
                name="x.png",
                content_type="image/png",
                data=data,
                retention_seconds=retention,
            )

        lost, expired, empty = await save(PNG, 3600), await save(PNG, 0), await save(b"", 3600)
        await gateway.store.delete(lost.storage_key)
        r = await client.get(lost.path)
        assert r.status_code == 404 and r.json()["error"]["type"] == "not_found"
        assert (await client.get(expired.path)).status_code == 404
        r = await client.get(empty.path)
        assert r.status_code == 200 and r.content == b"" and r.headers["content-length"] == "0"
        r = await client.get(empty.path, headers={"Range": "bytes=-1"})
        assert r.status_code == 416 and r.headers["content-range"] == "bytes */0"
