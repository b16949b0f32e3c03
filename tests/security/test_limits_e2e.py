"""Limits, end to end on a server configured with small ones: the body size, the catalog's
field lengths and array sizes, the global caps on input URLs and array items, and the cap
on unfinished tasks per account (exact under a burst of parallel submissions, on SQLite
and on PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from apiinone.catalog import load_catalog
from tests.support.server import Server, base_env

IMAGES = "/api/v1/images/generations"
CAP = 4  # unfinished tasks per account
MAX_BODY = 64 * 1024
SLOW = "a slow cat sandbox:delay=60"  # the sandbox keeps it running for a minute


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("limits")
    admin_key = generate_key()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        APIINONE_SIGNUP_BONUS="100000",
        APIINONE_MAX_BODY_BYTES=str(MAX_BODY),
        APIINONE_MAX_CONCURRENT_TASKS_PER_ACCOUNT=str(CAP),
        APIINONE_MAX_INPUT_URLS="3",
        APIINONE_MAX_ARRAY_ITEMS="6",
        APIINONE_ALLOWED_URL_HOSTS='["127.0.0.1"]',
    )
    server = Server(data_dir=data_dir, env=env).start()
    server.admin_key = admin_key  # type: ignore[attr-defined]
    yield server
    server.stop()


def new_key(server: Server) -> str:
    r = httpx.post(
        f"{server.url}/api/v1/admin/accounts",
        json={"email": f"limits-{generate_key()[-10:].lower()}@example.com"},
        headers={"Authorization": f"Bearer {server.admin_key}"},  # type: ignore[attr-defined]
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["key"]["key"])


def assert_error(r: httpx.Response, status: int, kind: str, param: str | None = None) -> str:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == status and error["type"] == kind, error
    assert set(error) == {"code", "message", "type", "param"}
    if param is not None:
        assert error["param"] == param, error
    return str(error["message"])


def test_a_body_over_the_limit_is_413_in_the_error_envelope(limited: Server) -> None:
    with limited.client(new_key(limited)) as c:
        big = {"model": "flux-2", "prompt": "x" * (MAX_BODY + 1)}
        message = assert_error(c.post(IMAGES, json=big), 413, "payload_too_large")
        assert str(MAX_BODY) in message

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"model": "flux-2", "prompt": "'
            for _ in range(MAX_BODY // 1024 + 1):
                yield b"y" * 1024
            yield b'"}'

        r = c.post(IMAGES, content=chunks(), headers={"Content-Type": "application/json"})
        assert_error(r, 413, "payload_too_large")
        r = c.post(IMAGES, json={"model": "flux-2", "prompt": "x" * 1000})
        assert r.status_code == 202, r.text  # under the limit: fine


def test_a_field_longer_than_the_catalog_allows_is_refused(limited: Server) -> None:
    resolved = load_catalog(None).get("flux-2")
    assert resolved is not None
    model = resolved.model
    longest = model.params["prompt"].max_length
    assert longest == 5000  # the catalog's maxLength for this prompt
    with limited.client(new_key(limited)) as c:
        r = c.post(IMAGES, json={"model": "flux-2", "prompt": "p" * (longest + 1)})
        assert_error(r, 400, "invalid_request", "prompt")
        r = c.post(IMAGES, json={"model": "flux-2", "prompt": "p" * longest})
        assert r.status_code == 202, r.text


def test_input_urls_and_arrays_have_caps(limited: Server) -> None:
    url = "http://127.0.0.1:9/in.png"
    with limited.client(new_key(limited)) as c:
        # The catalog says at most 8 for flux-2 ...
        r = c.post(IMAGES, json={"model": "flux-2", "prompt": "a cat", "input_urls": [url] * 9})
        assert_error(r, 400, "invalid_request", "input_urls")
        # ... the gateway's max_array_items (6 here) is lower, and applies to any array ...
        r = c.post(IMAGES, json={"model": "flux-2", "prompt": "a cat", "input_urls": [url] * 7})
        message = assert_error(r, 400, "invalid_request", "input_urls")
        assert "at most 6 items" in message
        # ... and max_input_urls (3 here) counts every URL the task would make us fetch.
        r = c.post(IMAGES, json={"model": "flux-2", "prompt": "a cat", "input_urls": [url] * 4})
        message = assert_error(r, 400, "invalid_request")
        assert "at most 3 input URLs" in message


async def _submit(client: httpx.AsyncClient, prompt: str = SLOW) -> httpx.Response:
    return await client.post(IMAGES, json={"model": "flux-2", "prompt": prompt})


async def test_the_unfinished_task_cap_is_exact_under_a_parallel_burst(limited: Server) -> None:
    key = await asyncio.to_thread(new_key, limited)
    async with httpx.AsyncClient(
        base_url=limited.url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
        limits=httpx.Limits(max_connections=50),
    ) as c:
        answers = await asyncio.gather(*(_submit(c) for _ in range(CAP + 8)))
        accepted = [r for r in answers if r.status_code == 202]
        refused = [r for r in answers if r.status_code != 202]
        assert len(accepted) == CAP, [r.text for r in answers]
        for r in refused:
            message = assert_error(r, 429, "too_many_tasks")
            assert str(CAP) in message
            assert r.headers["retry-after"] == "1"
        # The refused ones cost nothing: no hold, no task.
        listed = (await c.get("/api/v1/tasks", params={"limit": 100})).json()["data"]
        items = listed["items"] if isinstance(listed, dict) else listed
        assert len(items) == CAP

        # Another account is not held back by this one.
        other = await asyncio.to_thread(new_key, limited)
        r = await c.post(
            IMAGES,
            json={"model": "flux-2", "prompt": "another account"},
            headers={"Authorization": f"Bearer {other}"},
        )
        assert r.status_code == 202, r.text

        # A finished (here canceled) task frees its place, for exactly one more.
        first = accepted[0].json()["data"]["task_id"]
        r = await c.post(f"/api/v1/tasks/{first}/cancel")
        assert r.status_code in (200, 202), r.text
        for _ in range(100):
            status = (await c.get(f"/api/v1/tasks/{first}")).json()["data"]["status"]
            if status != "IN_PROGRESS":
                break
            await asyncio.sleep(0.1)
        again = await asyncio.gather(*(_submit(c) for _ in range(3)))
        assert sorted(r.status_code for r in again) == [202, 429, 429], [r.text for r in again]

        for r in [*accepted[1:], *(a for a in again if a.status_code == 202)]:
            await c.post(f"/api/v1/tasks/{r.json()['data']['task_id']}/cancel")


def test_the_cap_and_the_limits_are_documented() -> None:
    root = Path(__file__).resolve().parents[2]
    errors = (root / "docs" / "errors.md").read_text()
    assert "`too_many_tasks`" in errors
    security = (root / "docs" / "security.md").read_text()
    for setting in (
        "max_body_bytes",
        "max_concurrent_tasks_per_account",
        "max_input_urls",
        "max_array_items",
    ):
        assert setting in security, setting
