"""Every error this layer owns, provoked through HTTP: always the same JSON shape."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from apiinone.app import create_app
from apiinone.settings import Settings
from tests.api.test_auth_e2e import error_of
from tests.conftest import Account
from tests.support.server import Server

IMAGES = "/api/v1/images/generations"


def test_malformed_json_is_400(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        r = c.post(
            "/api/v1/quotes", content=b'{"path": ', headers={"content-type": "application/json"}
        )
        assert r.status_code == 400 and error_of(r)["type"] == "invalid_request"
        r = c.post("/api/v1/keys", content=b"{nope", headers={"content-type": "application/json"})
        assert r.status_code == 400 and error_of(r)["type"] == "invalid_request"
        r = c.post("/api/v1/quotes", json=[1, 2])
        assert r.status_code == 400


def test_wrong_types_and_ranges_name_the_field(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        r = c.post(
            "/api/v1/quotes",
            json={
                "path": IMAGES,
                "body": {"model": "flux-2", "prompt": "a cat", "resolution": "8K"},
            },
        )
        err = error_of(r)
        assert r.status_code == 400 and err["param"] == "resolution"
        assert "1K" in str(err["message"]) and "2K" in str(err["message"])
        r = c.post("/api/v1/keys", json={"rate_limit_per_minute": "many"})
        assert r.status_code == 400 and error_of(r)["param"] == "rate_limit_per_minute"
        r = c.post("/api/v1/keys", json={"rate_limit_per_minute": 0})
        assert r.status_code == 400 and error_of(r)["param"] == "rate_limit_per_minute"
        r = c.get("/api/v1/usage", params={"limit": 1000})
        assert r.status_code == 400 and error_of(r)["param"] == "limit"


def test_body_over_the_limit_is_413(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    big = b'{"path": "' + b"x" * 1_100_000 + b'"}'
    with server.client(acc.key) as c:
        r = c.post("/api/v1/quotes", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413 and error_of(r)["type"] == "payload_too_large"

        def chunks():  # no Content-Length: the limit is enforced while reading
            for _ in range(30):
                yield b"x" * 50_000

        r = c.post("/api/v1/quotes", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and error_of(r)["type"] == "payload_too_large"


def test_unknown_route_404_and_wrong_method_405(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        r = c.get("/api/v1/nothing-here")
        assert r.status_code == 404 and error_of(r)["type"] == "not_found"
        r = c.get("/totally/unknown")
        assert r.status_code == 404 and error_of(r)["type"] == "not_found"
        r = c.delete("/api/v1/account")
        assert r.status_code == 405 and error_of(r)["type"] == "method_not_allowed"
        assert "GET" in r.headers.get("allow", "")
        r = c.get("/api/v1/models/no-such-model")
        assert r.status_code == 404 and error_of(r)["param"] == "model"


def test_every_response_has_a_request_id(server: Server) -> None:
    with server.client() as c:
        r = c.get("/healthz")
        assert r.headers["x-request-id"].startswith("req_")
        r = c.get("/healthz", headers={"x-request-id": "trace-123"})
        assert r.headers["x-request-id"] == "trace-123"


async def test_unexpected_exception_is_500_with_request_id_in_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(data_dir=tmp_path))

    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    caplog.set_level(logging.ERROR, logger="apiinone.errors")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as client,
    ):
        r = await client.get("/boom")
    assert r.status_code == 500
    err = error_of(r)
    assert err["type"] == "server_error"
    request_id = r.headers["x-request-id"]
    assert request_id in str(err["message"])
    assert "secret internals" not in r.text and "Traceback" not in r.text
    assert any(request_id in rec.getMessage() for rec in caplog.records)
