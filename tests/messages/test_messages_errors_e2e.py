"""Errors on the Anthropic paths: Anthropic's error shape (checked by the SDK's own type)
and the gateway's HTTP statuses, the SDK's error classes, hostile bodies as 400s, and the
headers the Messages API shares with every route (x-api-key, Idempotency-Key,
X-Ignored-Params)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx
import pytest

from tests.conftest import Account
from tests.messages.support import strict_error, strict_message
from tests.support.server import Server

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
def account(make_account: Callable[..., Account]) -> Account:
    return make_account(credits=10_000)


@pytest.fixture
def http(server: Server, account: Account) -> Iterator[httpx.Client]:
    headers = {"x-api-key": account.key, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        yield client


def error_of(r: httpx.Response, status: int, kind: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    strict_error(body)
    assert body["error"]["type"] == kind
    message: str = body["error"]["message"]
    return message


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "gemini", "messages": HELLO}, "max_tokens"),
        ({"model": "gemini", "max_tokens": 10}, "messages"),
        ({"max_tokens": 10, "messages": HELLO}, "model"),
        ({"model": "gemini", "max_tokens": 10, "messages": HELLO, "nope": 1}, "nope"),
        ({"model": "gemini", "max_tokens": 10, "messages": "hi"}, "messages"),
        ({"model": "gemini", "max_tokens": 10, "messages": [1]}, "messages[0]"),
        ({"model": "gemini", "max_tokens": 10, "messages": [{"role": "system"}]}, "role"),
        (
            {"model": "gemini", "max_tokens": 10, "messages": [{"role": "user", "content": [{}]}]},
            "type",
        ),
        (
            {
                "model": "gemini",
                "max_tokens": 10,
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image", "source": {"type": "file", "id": "x"}}],
                    }
                ],
            },
            "source.type",
        ),
        ({"model": "gemini", "max_tokens": 10, "messages": HELLO, "system": [3]}, "system"),
        ({"model": "gemini", "max_tokens": 10, "messages": HELLO, "tools": {}}, "tools"),
        (
            {"model": "gemini", "max_tokens": 10, "messages": HELLO, "tools": [{"name": "x"}]},
            "input_schema",
        ),
        (
            {"model": "gemini", "max_tokens": 10, "messages": HELLO, "tool_choice": "auto"},
            "tool_choice",
        ),
        (
            {"model": "gemini", "max_tokens": 10, "messages": HELLO, "tool_choice": {"type": "x"}},
            "tool_choice",
        ),
        (
            {
                "model": "gemini",
                "max_tokens": 10,
                "messages": HELLO,
                "thinking": {"type": "enabled", "budget_tokens": "many"},
            },
            "budget_tokens",
        ),
        ({"model": "gemini", "max_tokens": "ten", "messages": HELLO}, "max_tokens"),
        ({"model": "gemini", "max_tokens": 10, "messages": HELLO, "stream": "yes"}, "stream"),
        ({"model": "gemini", "max_tokens": 10, "messages": HELLO, "metadata": []}, "metadata"),
    ],
)
def test_bad_bodies_are_invalid_request_errors(
    http: httpx.Client, body: dict[str, Any], param: str
) -> None:
    message = error_of(http.post("/v1/messages", json=body), 400, "invalid_request_error")
    assert param.split(".")[-1].split("[")[0] in message


def test_not_json_and_too_large_are_invalid_request_errors(http: httpx.Client) -> None:
    error_of(http.post("/v1/messages", content=b"{nope"), 400, "invalid_request_error")
    error_of(http.post("/v1/messages", content=b"[]"), 400, "invalid_request_error")
    huge = {
        "model": "gemini",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "x" * 2_000_000}],
    }
    error_of(http.post("/v1/messages", json=huge), 413, "invalid_request_error")


def test_sdk_error_classes(server: Server, make_account: Callable[..., Account]) -> None:
    broke = make_account(credits=0)
    cases: list[tuple[str, type[anthropic.APIStatusError], str, str]] = [
        ("aio_not_a_key", anthropic.AuthenticationError, "gemini", "authentication_error"),
        (broke.key, anthropic.PaymentRequiredError, "gemini", "billing_error"),
        (make_account().key, anthropic.NotFoundError, "no-such-model", "not_found_error"),
    ]
    for key, error, model, kind in cases:
        with anthropic.Anthropic(api_key=key, base_url=server.url, max_retries=0) as sdk:
            with pytest.raises(error) as caught:
                sdk.messages.create(model=model, max_tokens=100, messages=HELLO)  # type: ignore[arg-type]
            body = caught.value.body
            assert isinstance(body, dict)
            strict_error(body)
            assert body["error"]["type"] == kind
            if kind == "billing_error":  # counting is free, so a balance of 0 may count
                assert sdk.messages.count_tokens(model=model, messages=HELLO).input_tokens > 0  # type: ignore[arg-type]
            else:
                with pytest.raises(error):
                    sdk.messages.count_tokens(model=model, messages=HELLO)  # type: ignore[arg-type]


def test_x_api_key_only_on_the_anthropic_paths(server: Server, account: Account) -> None:
    with httpx.Client(base_url=server.url, headers={"x-api-key": account.key}) as c:
        assert c.get("/api/v1/account").status_code == 401
        r = c.post("/v1/chat/completions", json={"model": "gemini", "messages": HELLO})
        assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
        assert "type" not in r.json()  # the gateway's own error shape off the Anthropic paths
        assert c.get("/v1/models").json()["object"] == "list"


def test_models_errors_in_anthropic_shape(http: httpx.Client) -> None:
    error_of(http.get("/v1/models", params={"limit": "0"}), 400, "invalid_request_error")
    error_of(http.get("/v1/models", params={"after_id": "flux-2"}), 400, "invalid_request_error")
    error_of(http.get("/v1/models/flux-2"), 404, "not_found_error")  # not a chat model
    page = http.get("/v1/models", params={"limit": "1", "after_id": "gemini"}).json()
    before = http.get("/v1/models", params={"before_id": page["first_id"]}).json()
    assert [m["id"] for m in before["data"]] == ["gemini"] and before["has_more"] is False


def test_ignored_params_are_named(http: httpx.Client) -> None:
    body = {
        "model": "gemini",
        "max_tokens": 50,
        "messages": HELLO,
        "top_k": 5,
        "service_tier": "auto",
        "container": None,
    }
    r = http.post("/v1/messages", json=body)
    assert r.status_code == 200, r.text
    strict_message(r.json())
    assert r.headers["x-ignored-params"] == "top_k, service_tier"
    plain = http.post("/v1/messages", json={"model": "gemini", "max_tokens": 50, "messages": HELLO})
    assert "x-ignored-params" not in plain.headers
    thinking = {"type": "enabled", "budget_tokens": 2000}  # deepseek-chat does not reason
    r = http.post(
        "/v1/messages",
        json={"model": "deepseek-chat", "max_tokens": 50, "messages": HELLO, "thinking": thinking},
    )
    assert r.status_code == 200, r.text
    assert [b["type"] for b in strict_message(r.json()).model_dump()["content"]] == ["text"]
    assert r.headers["x-ignored-params"] == "thinking"


def test_idempotency_key_replays_a_message(http: httpx.Client, account: Account) -> None:
    body = {"model": "gemini", "max_tokens": 50, "messages": HELLO}
    headers = {"Idempotency-Key": "msg-replay-1"}
    first = http.post("/v1/messages", json=body, headers=headers)
    again = http.post("/v1/messages", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    other = http.post("/v1/messages", json={**body, "max_tokens": 60}, headers=headers)
    error_of(other, 409, "invalid_request_error")
