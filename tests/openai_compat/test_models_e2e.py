"""``GET /v1/models`` through the OpenAI SDK: the catalog in OpenAI's shape, the allow-list kept."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from tests.conftest import Account
from tests.openai_compat.support import sdk, validate
from tests.support.server import Server


def test_models_list_has_the_catalog(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    models = list(sdk(server, acc.key).models.list())
    ids = {m.id for m in models}
    assert {"flux-2", "gemini", "kling-3", "elevenlabs-v3", "wan2.7-image"} <= ids
    flux = next(m for m in models if m.id == "flux-2")
    assert flux.object == "model" and flux.owned_by == "Black Forest Labs"
    assert isinstance(flux.created, int) and flux.created > 1_600_000_000
    with server.client(acc.key) as c:
        raw = c.get("/v1/models").json()
    validate(raw, "list_models")
    assert raw["object"] == "list"


def test_model_by_alias_and_unknown(server: Server, make_account: Callable[..., Account]) -> None:
    client = sdk(server, make_account().key)
    assert client.models.retrieve("hailuo-2.3").id == "hailuo-2-3"
    assert client.models.retrieve("flux-2").owned_by == "Black Forest Labs"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("sora-2")
    assert caught.value.status_code == 404
    body = caught.value.response.json()
    validate(body, "error_response")
    assert body["error"]["type"] == "not_found" and caught.value.message


def test_models_respect_the_allow_list(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        key = c.post("/api/v1/keys", json={"allowed_models": ["flux-2"]}).json()["data"]["key"]
    limited = sdk(server, key)
    assert [m.id for m in limited.models.list()] == ["flux-2"]
    with pytest.raises(openai.NotFoundError):
        limited.models.retrieve("gemini")


def test_models_need_a_key(server: Server) -> None:
    with pytest.raises(openai.AuthenticationError):
        sdk(server, "aio_nope").models.list()
