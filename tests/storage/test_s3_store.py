"""The S3-compatible blob store against a real S3 server on loopback (moto's server mode),
checked independently with boto3; and a gateway that keeps its results there."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import boto3
import httpx
import pytest

from apiinone.auth.secrets import generate_key
from apiinone.storage.s3 import S3BlobStore
from tests.support.server import Server, base_env, free_port
from tests.support.tasks import download, image_of, run

KEY_ID, SECRET = "AKIAAPIINONETEST", "s3cr3t-for-the-loopback-store"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    port = free_port()
    binary = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    assert binary, "moto_server is installed by `make test`"
    proc = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


def boto(url: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )


async def test_put_get_range_size_delete(s3_url: str) -> None:
    boto(s3_url).create_bucket(Bucket="unit")
    async with aiohttp.ClientSession() as session:
        store = S3BlobStore(
            lambda: session,
            endpoint=s3_url,
            bucket="unit",
            access_key=KEY_ID,
            secret_key=SECRET,
            prefix="results/",
        )
        data = bytes(range(256)) * 4000
        await store.put("f/ab/file one.bin", data, "application/octet-stream")
        # Independently: boto3 sees the object our signed PUT wrote.
        got = boto(s3_url).get_object(Bucket="unit", Key="results/f/ab/file one.bin")
        assert got["Body"].read() == data and got["ContentType"] == "application/octet-stream"
        assert await store.get("f/ab/file one.bin") == data
        assert await store.size("f/ab/file one.bin") == len(data)
        part = b"".join([c async for c in store.stream("f/ab/file one.bin", 10, 19)])
        assert part == data[10:20]
        await store.delete("f/ab/file one.bin")
        with pytest.raises(FileNotFoundError):
            await store.size("f/ab/file one.bin")
        await store.delete("f/ab/file one.bin")  # deleting twice is fine


async def test_wrong_secret_is_refused(s3_url: str) -> None:
    boto(s3_url).create_bucket(Bucket="strict")
    async with aiohttp.ClientSession() as session:
        store = S3BlobStore(
            lambda: session,
            endpoint=s3_url,
            bucket="nope-missing",
            access_key=KEY_ID,
            secret_key=SECRET,
        )
        from apiinone.storage.s3 import S3Error

        with pytest.raises(S3Error):
            await store.put("x", b"1", "text/plain")


def test_a_gateway_keeps_results_in_the_bucket(s3_url: str, tmp_path: Path) -> None:
    boto(s3_url).create_bucket(Bucket="gateway")
    admin_key = generate_key()
    env = base_env(
        tmp_path / "gw",
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_SANDBOX_SPEED="20",
        APIINONE_STORAGE_BACKEND="s3",
        APIINONE_S3_ENDPOINT_URL=s3_url,
        APIINONE_S3_BUCKET="gateway",
        APIINONE_S3_ACCESS_KEY_ID=KEY_ID,
        APIINONE_S3_SECRET_ACCESS_KEY=SECRET,
    )
    server = Server(data_dir=tmp_path / "gw", env=env).start()
    try:
        with server.client(admin_key) as c:
            task = run(
                c,
                "/api/v1/images/generations",
                {"model": "flux-2", "prompt": "stored in s3", "aspect_ratio": "16:9"},
            )
        assert task["status"] == "SUCCESS"
        data, mime = download(task["response"][0])
        assert mime == "image/png" and image_of(data).size == (1024, 576)
        ranged = httpx.get(task["response"][0], headers={"Range": "bytes=0-7"})
        assert ranged.status_code == 206 and ranged.content == data[:8]
        objects = boto(s3_url).list_objects_v2(Bucket="gateway")["Contents"]
        assert any(obj["Size"] == len(data) for obj in objects)
        assert not (tmp_path / "gw" / "blobs" / "f").exists()  # nothing on local disk
        assert SECRET not in server.output()
    finally:
        server.stop()
