"""Hostile input is a 4xx in the error JSON, never a 5xx, end to end on a real gateway (on
SQLite and on PostgreSQL): integers out of a 64-bit range in query strings, cursors and
dashboard forms; JSON nested deeper than ``max_json_depth`` on every kind of route (the
fast lane, FastAPI's own body parsing, the dashboard's JSON API, uploads; any Content-Type); and NUL characters, which PostgreSQL cannot store, anywhere."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from apiinone.api.params import MAX_INT64
from apiinone.app import create_app
from apiinone.auth.secrets import generate_key
from apiinone.settings import Settings
from tests.dashboard.web import csrf, login_with_key, member
from tests.support.server import Server, base_env

IMAGES = "/api/v1/images/generations"
DEPTH = 8  # max_json_depth of this gateway
DEPTH_MESSAGE = f"more than {DEPTH} levels deep (max_json_depth)"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("hostile")
    admin_key = generate_key()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        APIINONE_SIGNUP_BONUS="100000",
        APIINONE_MAX_JSON_DEPTH=str(DEPTH),
    )
    server = Server(data_dir=data_dir, env=env).start()
    server.admin_key = admin_key  # type: ignore[attr-defined]
    yield server
    server.stop()
    assert "Traceback" not in server.output(), server.output()[-4000:]


@pytest.fixture(scope="module")
def key(gateway: Server) -> str:
    with gateway.client(gateway.admin_key) as admin:  # type: ignore[attr-defined]
        r = admin.post("/api/v1/admin/accounts", json={"email": "hostile@example.com"})
        assert r.status_code == 201, r.text
        return str(r.json()["data"]["key"]["key"])


def assert_400(r: httpx.Response, *, contains: str = "", param: str | None = None) -> None:
    assert r.status_code == 400, (r.status_code, r.text)
    error = r.json()["error"]
    assert error["code"] == 400 and error["type"] == "invalid_request", error
    assert contains in error["message"], error
    if param is not None:
        assert error["param"] == param, error


# ── integers ────────────────────────────────────────────────────────────────────────────


def test_integer_query_parameters_are_range_checked(gateway: Server, key: str) -> None:
    with gateway.client(key) as c:
        for name in ("since", "until"):
            assert_400(c.get("/api/v1/usage", params={name: 2**63}), param=name)
            assert_400(c.get("/api/v1/usage", params={name: 10**30}), param=name)
            assert_400(c.get("/api/v1/usage", params={name: -1}), param=name)
            assert c.get("/api/v1/usage", params={name: MAX_INT64}).status_code == 200
        for cursor in ("9" * 19, str(2**63), "²", "١٢"):  # "²".isdigit(), "١٢" is Arabic
            assert_400(c.get("/api/v1/usage", params={"cursor": cursor}), param="cursor")
        assert c.get("/api/v1/usage", params={"cursor": str(MAX_INT64)}).status_code == 200
        for created in (str(2**63), "9" * 40, "²"):
            raw = base64.urlsafe_b64encode(f"{created}:task_x".encode()).decode().rstrip("=")
            assert_400(c.get("/api/v1/tasks", params={"cursor": raw}), param="cursor")
        for limit in (0, 201, 2**64):
            assert_400(c.get("/api/v1/usage", params={"limit": limit}), param="limit")
            assert_400(c.get("/api/v1/tasks", params={"limit": limit}), param="limit")


def test_every_integer_parameter_of_every_route_has_a_64_bit_range() -> None:
    """Query, path and form integers of every route (the dashboard's pages too, which the
    OpenAPI document leaves out) declare bounds within a signed 64-bit integer."""
    app = create_app(Settings(data_dir=Path("unused")))

    def routes(items: list[Any]) -> Iterator[APIRoute]:
        for route in items:
            if isinstance(route, APIRoute):
                yield route
            inner = getattr(route, "original_router", None)
            if inner is not None:
                yield from routes(inner.routes)

    checked = []
    for route in routes(app.routes):
        stack = [route.dependant]
        while stack:
            dependant = stack.pop()
            stack.extend(dependant.dependencies)
            fields = [*dependant.query_params, *dependant.path_params, *dependant.body_params]
            for field in fields:
                if "int" not in str(field.field_info.annotation):
                    continue
                bounds = {type(m).__name__: m for m in field.field_info.metadata}
                where = f"{route.path} {field.name}"
                assert "Ge" in bounds and "Le" in bounds, f"{where} has no range"
                assert bounds["Ge"].ge >= -(2**63) and bounds["Le"].le <= MAX_INT64, where
                checked.append(where)
    assert any("/api/v1/usage since" in c for c in checked), checked
    assert any("/admin/users page_no" in c for c in checked), checked


def test_dashboard_numbers_out_of_range_are_refused_or_ignored(gateway: Server) -> None:
    with closing(member(gateway, "hostile-dash@example.com")) as page:
        for query in ("before=²", f"before={2**64}", "before=" + "9" * 30):
            r = page.get("/usage?" + query)
            assert r.status_code == 200, r.text[:300]  # an unusable cursor is the first page
        for cursor in (f"{2**64}:task_x", "²:task_x"):
            assert page.get("/tasks", params={"cursor": cursor}).status_code == 200
        token = csrf(page)
        for days in ("1e400", "inf", "nan", "-1", "0", "36501", "abc"):
            r = page.post("/keys", data={"name": "k", "expires_days": days, "csrf_token": token})
            assert r.status_code == 400, (days, r.status_code, r.text[:300])
        r = page.post("/keys", data={"name": "k", "expires_days": "36500", "csrf_token": token})
        assert r.status_code == 200 and "aio_" in r.text
    admin_key = gateway.admin_key  # type: ignore[attr-defined]
    with closing(login_with_key(gateway.url, admin_key)) as admin:
        token = csrf(admin)
        for days in ("²", "99999999"):
            form = {"credits": "5", "count": "1", "expires_days": days, "csrf_token": token}
            assert admin.post("/admin/codes", data=form).status_code == 200, days
        for page_no in ("0", str(2**64), "-5"):
            assert_400(admin.get("/admin/users", params={"page_no": page_no}), param="page_no")
        assert admin.get("/admin/codes").status_code == 200  # the codes render


# ── JSON nesting ────────────────────────────────────────────────────────────────────────


def nested(depth: int, **fields: Any) -> bytes:
    """A JSON object ``depth`` levels deep: the object, then arrays in ``extra``."""
    head = b"".join(b'"%s": "%s", ' % (k.encode(), str(v).encode()) for k, v in fields.items())
    return b"{" + head + b'"extra": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


JSON_ROUTES = [
    "/api/v1/images/generations",  # the fast lane
    "/api/v1/chat/completions",  # the fast lane, chat
    "/v1/chat/completions",
    "/v1/images/generations",  # FastAPI with JSONBody
    "/api/v1/quotes",
    "/api/v1/admin/accounts",  # FastAPI parses a model
    "/api/v1/keys",
    "/api/v1/uploads",
    "/dashboard/api/run",  # the dashboard's JSON API (refused before its session check)
]


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_json_nested_deeper_than_the_limit_is_refused(gateway: Server, key: str, path: str) -> None:
    with gateway.client(gateway.admin_key) as c:  # type: ignore[attr-defined]
        headers = {"Content-Type": "application/json"}
        r = c.post(path, content=nested(DEPTH + 1, model="flux-2", prompt="x"), headers=headers)
        assert_400(r, contains=DEPTH_MESSAGE)
        r = c.post(path, content=b"[" * 5000 + b"]" * 5000, headers=headers)
        assert_400(r, contains=DEPTH_MESSAGE)
        at_limit = c.post(path, content=nested(DEPTH, model="flux-2"), headers=headers)
        assert at_limit.status_code < 500, at_limit.text
        assert "max_json_depth" not in at_limit.text  # refused for other reasons, if at all


def test_the_depth_limit_holds_whatever_the_content_type(gateway: Server, key: str) -> None:
    deep = nested(DEPTH + 1, model="deepseek-chat")
    with gateway.client(key) as c:
        for content_type in (None, "text/plain", "application/x-www-form-urlencoded"):
            headers = {"Content-Type": content_type} if content_type else {}
            for path in ("/api/v1/chat/completions", "/api/v1/images/generations"):
                assert_400(c.post(path, content=deep, headers=headers), contains=DEPTH_MESSAGE)


def test_brackets_inside_strings_do_not_count_and_a_deep_task_body_is_400(
    gateway: Server, key: str
) -> None:
    with gateway.client(key) as c:
        prompt = "[[[{{{" * 50  # 300 brackets, all inside a string
        r = c.post(IMAGES, json={"model": "flux-2", "prompt": prompt})
        assert r.status_code == 202, r.text
        # The body that once overflowed the interpreter's stack in the array-size check.
        deep = b'{"model": "flux-2", "prompt": "a cat", "input_urls": ' + b"[" * 1000
        deep += b"]" * 1000 + b"}"
        r = c.post(IMAGES, content=deep, headers={"Content-Type": "application/json"})
        assert_400(r, contains=DEPTH_MESSAGE)


# ── NUL characters ──────────────────────────────────────────────────────────────────────


def test_nul_characters_are_refused_in_paths_queries_and_bodies(gateway: Server, key: str) -> None:
    with gateway.client(key) as c:
        for url in (
            "/api/v1/tasks/%00",
            "/api/v1/tasks/task_%00x",
            "/v1/video/generations/%00",
            "/files/%00/x.png",
            "/api/v1/uploads/%00",
            "/api/v1/usage?model=%00",
            "/api/v1/usage?task_id=a%00b",
            "/api/v1/tasks?model=%00",
        ):
            assert_400(c.get(url), contains="NUL")
        for body in (
            {"model": "flux-2", "prompt": "a\x00b"},
            {"model": "deepseek-chat", "messages": [{"role": "user", "content": "\x00"}]},
        ):
            for path in ("/api/v1/images/generations", "/api/v1/chat/completions"):
                assert_400(c.post(path, json=body), contains="U+0000")
        assert_400(c.post("/api/v1/keys", json={"name": "a\x00b"}), contains="U+0000")
        # The text "\u0000" (an escaped backslash, then "u0000") is no NUL.
        r = c.post("/api/v1/keys", json={"name": "a\\u0000b"})
        assert r.status_code == 201, r.text
        assert r.json()["data"]["name"] == "a\\u0000b"
    with gateway.client(gateway.admin_key) as admin:  # type: ignore[attr-defined]
        r = admin.post("/api/v1/admin/accounts", json={"email": "nul\x00@example.com"})
        assert_400(r, contains="U+0000")
        assert_400(admin.get("/api/v1/admin/accounts", params={"search": "\x00"}), contains="NUL")
    with closing(member(gateway, "hostile-nul@example.com")) as page:
        r = page.post("/keys", data={"name": "a\x00b", "csrf_token": csrf(page)})
        assert_400(r, contains="NUL")


def test_the_rules_are_documented() -> None:
    root = Path(__file__).resolve().parents[2]
    security = (root / "docs" / "security.md").read_text()
    for needle in ("max_json_depth", "body_timeout_seconds", "header_timeout_seconds", "U+0000"):
        assert needle in security, needle
    for name in (
        "test_integer_query_parameters_are_range_checked",
        "test_json_nested_deeper_than_the_limit_is_refused",
        "test_nul_characters_are_refused_in_paths_queries_and_bodies",
    ):
        assert name in security, name
    errors = (root / "docs" / "errors.md").read_text()
    assert re.search(r"\| 408 \| `request_timeout`", errors)
    defaults = Settings(data_dir=Path("unused"))
    assert f"`max_json_depth` | {defaults.max_json_depth}" in security
