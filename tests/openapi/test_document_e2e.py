"""``/openapi.json`` types every operation, and real answers match the declared types.

Every operation of the live gateway's document has a typed request body where it takes one
and a typed 2xx answer (no empty schema, no object without properties, no untyped ``data``
in the envelope); every error answer refers to the error JSON; every ``$ref`` resolves.
Real answers of a sample of routes (account, usage, keys, models, quotes, a task submission
and its polls, chat on both surfaces, messages, responses, an error) are validated against
the schema the document declares for their status, so the types cannot drift from what the
routes send.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.openapi.typed import TEXT_MEDIA, untyped, validate_answer
from tests.support.server import Server

# POST operations that take no body at all (their path says everything).
BODILESS = {
    ("post", "/api/v1/keys/{key_id}/rotate"),
    ("post", "/api/v1/tasks/{task_id}/cancel"),
    ("post", "/api/v1/tasks/{task_id}/webhooks/{delivery_id}/redeliver"),
    ("post", "/api/v1/account/webhook-secret/rotate"),
}
ERROR_REFS = {"#/components/schemas/Error", "#/components/schemas/AnthropicError"}
POLL_SECONDS = 60.0


@pytest.fixture(scope="module")
def document(server: Server) -> dict[str, Any]:
    with server.client() as anon:
        response = anon.get("/openapi.json")
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _problems(method: str, path: str, operation: dict[str, Any], components: Any) -> list[str]:
    where = f"{method.upper()} {path}"
    found: list[str] = []
    body = operation.get("requestBody")
    if body is None and method in ("post", "put", "patch") and (method, path) not in BODILESS:
        found.append(f"{where}: no request body")
    for media, content in (body or {}).get("content", {}).items():
        found += untyped(content.get("schema"), components, f"{where} body {media}")
    successes = [code for code in operation["responses"] if code.startswith("2")]
    if not successes:
        found.append(f"{where}: no 2xx answer")
    for code, answer in operation["responses"].items():
        for media, content in answer.get("content", {}).items():
            schema = content.get("schema")
            if code.startswith("2") and media.startswith(TEXT_MEDIA):
                if not isinstance(schema, dict) or schema.get("type") != "string":
                    found.append(f"{where} {code} {media}: not a string")
            elif code.startswith("2"):
                found += untyped(schema, components, f"{where} {code} {media}")
            elif code[0] in "45" and (schema or {}).get("$ref") not in ERROR_REFS:
                found.append(f"{where} {code}: not the error JSON")
    return found


def test_every_operation_has_typed_bodies_and_answers(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    problems: list[str] = []
    operations = 0
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            operations += 1
            problems += _problems(method, path, operation, components)
    assert operations > 60
    assert problems == []
    dangling = {
        r for r in _refs(document) if r.removeprefix("#/components/schemas/") not in components
    }
    assert dangling == set()
    assert "Envelope" not in components  # the untyped envelope is gone; each route has its own
    assert "Envelope_AccountData_" in components
    assert "CreateChatCompletionRequest" in components


def test_the_typedness_check_catches_untyped_schemas(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    assert untyped({}, components, "x") == ["x: no schema"]
    assert untyped({"type": "object"}, components, "x") == ["x: an object without properties"]
    envelope = {"type": "object", "properties": {"code": {"type": "integer"}, "data": {}}}
    assert untyped(envelope, components, "x") == ["x.data: no schema"]


def _checked(
    document: dict[str, Any], response: httpx.Response, method: str, path: str, status: int
) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    validate_answer(document, method, path, status, body)
    return body


@pytest.fixture
def client(server: Server, make_account: Callable[..., Account]) -> Iterator[httpx.Client]:
    with server.client(make_account(credits=100_000).key) as http:
        yield http


def test_account_usage_keys_models_and_quotes_match_the_document(
    document: dict[str, Any], client: httpx.Client
) -> None:
    account = _checked(document, client.get("/api/v1/account"), "get", "/api/v1/account", 200)
    assert account["data"]["balance"] == 100_000
    _checked(document, client.get("/api/v1/usage"), "get", "/api/v1/usage", 200)
    created = _checked(
        document, client.post("/api/v1/keys", json={"name": "doc"}), "post", "/api/v1/keys", 201
    )
    assert created["data"]["key"].startswith("aio_")
    _checked(document, client.get("/api/v1/keys"), "get", "/api/v1/keys", 200)
    models = _checked(document, client.get("/api/v1/models"), "get", "/api/v1/models", 200)
    assert models["data"]["count"] == len(models["data"]["items"]) > 0
    for slug in ("flux-2", "deepseek-chat", "suno"):
        response = client.get(f"/api/v1/models/{slug}")
        _checked(document, response, "get", "/api/v1/models/{slug}", 200)
    _checked(document, client.get("/v1/models"), "get", "/v1/models", 200)
    _checked(document, client.get("/v1/models/flux-2"), "get", "/v1/models/{model_id}", 200)
    fixed = {
        "path": "/api/v1/images/generations",
        "body": {"model": "flux-2", "prompt": "A quoted cat"},
    }
    quote = _checked(
        document, client.post("/api/v1/quotes", json=fixed), "post", "/api/v1/quotes", 200
    )
    assert quote["data"]["pricing"] == "fixed"
    chat = {"path": "/v1/chat/completions", "body": {"model": "deepseek-chat", "messages": []}}
    chat["body"]["messages"] = [{"role": "user", "content": "hi"}]
    quote = _checked(
        document, client.post("/api/v1/quotes", json=chat), "post", "/api/v1/quotes", 200
    )
    assert quote["data"]["pricing"] == "tokens"
    missing = client.get("/api/v1/tasks/task_none")
    _checked(document, missing, "get", "/api/v1/tasks/{task_id}", 404)


def test_a_task_submission_and_its_polls_match_the_document(
    document: dict[str, Any], client: httpx.Client
) -> None:
    submitted = client.post(
        "/api/v1/images/generations", json={"model": "flux-2", "prompt": "A typed cat"}
    )
    created = _checked(document, submitted, "post", "/api/v1/images/generations", 202)
    task_id = created["data"]["task_id"]
    deadline = time.monotonic() + POLL_SECONDS
    polls = 0
    while True:
        polled = client.get(f"/api/v1/tasks/{task_id}")
        task = _checked(document, polled, "get", "/api/v1/tasks/{task_id}", 200)
        polls += 1
        if task["data"]["status"] != "IN_PROGRESS" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert task["data"]["status"] == "SUCCESS", task
    assert task["data"]["response"]
    listed = _checked(document, client.get("/api/v1/tasks"), "get", "/api/v1/tasks", 200)
    assert task_id in [item["task_id"] for item in listed["data"]["items"]]


def test_chat_messages_and_responses_match_the_document(
    document: dict[str, Any], client: httpx.Client
) -> None:
    body = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "Say hi"}]}
    for path in ("/v1/chat/completions", "/api/v1/chat/completions"):
        answer = _checked(document, client.post(path, json=body), "post", path, 200)
        assert answer["object"] == "chat.completion"
    message = {**body, "max_tokens": 64}
    answer = _checked(
        document, client.post("/v1/messages", json=message), "post", "/v1/messages", 200
    )
    assert answer["type"] == "message"
    counted = client.post("/v1/messages/count_tokens", json=body)
    _checked(document, counted, "post", "/v1/messages/count_tokens", 200)
    created = client.post("/v1/responses", json={"model": "deepseek-chat", "input": "Say hi"})
    response = _checked(document, created, "post", "/v1/responses", 200)
    stored = client.get(f"/v1/responses/{response['id']}")
    _checked(document, stored, "get", "/v1/responses/{response_id}", 200)
    items = client.get(f"/v1/responses/{response['id']}/input_items")
    _checked(document, items, "get", "/v1/responses/{response_id}/input_items", 200)
