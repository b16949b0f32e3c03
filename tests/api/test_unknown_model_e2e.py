"""A model no name in the catalog answers to is 404 ``not_found`` with ``param: "model"`` on
every route that takes one: chat on both prefixes (through the OpenAI SDK too), task
submissions, quotes, the ``/v1`` media routes and the model pages. Nothing is held."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import pytest

from tests.conftest import Account
from tests.support.server import Server

MESSAGES = [{"role": "user", "content": "hi"}]
POSTS: list[tuple[str, dict[str, Any]]] = [
    ("/v1/chat/completions", {"model": "gpt-9", "messages": MESSAGES}),
    ("/api/v1/chat/completions", {"model": "gpt-9", "messages": MESSAGES}),
    ("/api/v1/images/generations", {"model": "dall-e-9", "prompt": "a cat"}),
    ("/api/v1/videos/generations", {"model": "sora-9", "prompt": "a cat"}),
    ("/api/v1/audio/music", {"model": "music-9", "prompt": "a song"}),
    ("/api/v1/quotes", {"path": "/api/v1/images/generations", "body": {"model": "x-9"}}),
    (
        "/api/v1/quotes",
        {"path": "/api/v1/chat/completions", "body": {"model": "x-9", "messages": MESSAGES}},
    ),
    ("/v1/images/generations", {"model": "dall-e-9", "prompt": "a cat"}),
    ("/v1/video/generations", {"model": "sora-9", "prompt": "a cat"}),
]


@pytest.mark.parametrize(("path", "body"), POSTS)
def test_unknown_model_is_404_not_found(
    server: Server, make_account: Callable[..., Account], path: str, body: dict[str, Any]
) -> None:
    acc = make_account(credits=50)
    with server.client(acc.key) as c:
        r = c.post(path, json=body)
        assert r.status_code == 404, r.text
        error = r.json()["error"]
        assert (error["type"], error["param"], error["code"]) == ("not_found", "model", 404)
        assert "Unknown model" in error["message"]
        assert c.get("/api/v1/account").json()["data"]["balance"] == 50


def test_model_pages_of_an_unknown_model_are_404(
    server: Server, make_account: Callable[..., Account]
) -> None:
    with server.client(make_account().key) as c:
        for path in ("/api/v1/models/gpt-9", "/v1/models/gpt-9"):
            r = c.get(path)
            assert r.status_code == 404
            assert (r.json()["error"]["type"], r.json()["error"]["param"]) == (
                "not_found",
                "model",
            )


def test_sdk_sees_not_found_error(server: Server, make_account: Callable[..., Account]) -> None:
    client = openai.OpenAI(api_key=make_account().key, base_url=f"{server.url}/v1", max_retries=0)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 404 and caught.value.param == "model"


def test_a_model_of_another_route_stays_400(
    server: Server, make_account: Callable[..., Account]
) -> None:
    with server.client(make_account().key) as c:
        r = c.post("/v1/chat/completions", json={"model": "flux-2", "messages": MESSAGES})
        assert r.status_code == 400 and r.json()["error"]["param"] == "model"
