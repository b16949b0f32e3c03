"""The fields the docs list for an endpoint hold on every model of it: each one sent to each
model is accepted (202), mapped onto the model's own field or ignored and named in the
task's ``warnings`` and in ``X-Ignored-Params``; a name no docs list is still 400."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from apiinone.catalog import ParamSpec, load_catalog
from apiinone.catalog.field_lists import DOCS_FIELDS
from tests.conftest import Account
from tests.support.server import Server

CATALOG = load_catalog()
IMAGES = "/api/v1/images/generations"
VIDEOS = "/api/v1/videos/generations"
MUSIC = "/api/v1/audio/music"
SPEECH = "/api/v1/audio/speech"
URL = "http://127.0.0.1:9/input.png"

# What a client written from the endpoint reference sends for a field its model lacks.
GENERIC: dict[str, Any] = {
    "prompt": "a quiet lake at dawn",
    "aspect_ratio": "16:9",
    "type": "edit",
    "resolution": "720p",
    "quality": "high",
    "input_urls": [URL],
    "negative_prompt": "blur",
    "seed": 7,
    "image": URL,
    "mode": "std",
    "duration": 5,
    "sound": True,
    "generateAudio": True,
    "generate_audio_switch": True,
    "gpt_description_prompt": "a calm song",
    "style": "ambient",
    "title": "Dawn",
    "make_instrumental": True,
    "dialogue": [{"text": "Hello there."}],
    "stability": 0.5,
    "language_code": "en",
}


def _valid(spec: ParamSpec) -> Any:
    """A value the model's own field takes."""
    if spec.default is not None:
        return spec.default
    if spec.enum:
        return spec.enum[0]
    if spec.type == "string":
        return URL if spec.format == "url" else "a quiet lake at dawn"
    if spec.type in ("integer", "number"):
        return spec.minimum if spec.minimum is not None else 1
    if spec.type == "boolean":
        return True
    if spec.type == "array":
        return [_valid(spec.items)] if spec.items is not None else []
    if spec.type == "object":
        return {k: _valid(v) for k, v in spec.properties.items() if v.required}
    return "x"


def _cases() -> Iterator[tuple[str, str]]:
    for endpoint in (IMAGES, VIDEOS, MUSIC, SPEECH):
        for model in CATALOG.for_endpoint(endpoint):
            yield endpoint, model.slug


@pytest.fixture
def user(server: Server, make_account: Callable[..., Account]) -> Iterator[httpx.Client]:
    with server.client(make_account(credits=100_000).key) as client:
        yield client


@pytest.mark.parametrize(("endpoint", "slug"), list(_cases()))
def test_every_docs_field_is_accepted_on_every_model(
    user: httpx.Client, endpoint: str, slug: str
) -> None:
    model = CATALOG.get(slug, endpoint)
    assert model is not None
    params = model.model.params
    body: dict[str, Any] = {"model": slug}
    for name in DOCS_FIELDS[endpoint]:
        body[name] = _valid(params[name]) if name in params else GENERIC[name]
    r = user.post(endpoint, json=body)
    assert r.status_code == 202, r.text
    created = r.json()["data"]
    task = user.get(f"/api/v1/tasks/{created['task_id']}").json()["data"]
    assert created["warnings"] == task["warnings"]
    ignored = [w.split(" ", 1)[0] for w in task["warnings"]]
    header = r.headers.get("X-Ignored-Params")
    assert (header.split(", ") if header else []) == ignored
    stored = task["request"]
    for name in body:
        if name == "model":
            continue
        if name in params:
            assert stored[name] == body[name], name  # the model's own field, as sent
            assert name not in ignored
        elif name in ignored:
            assert name not in stored  # nothing ignored is kept or sent upstream
    mapped = [n for n in body if n != "model" and n not in params and n not in ignored]
    own = set(stored) - set(body)
    # each mapped field arrived under a name of the model's own (or chose its sub-model)
    assert own <= set(params)
    assert len(own) + (stored["model"] != slug) >= len(mapped) > 0 or not mapped


# Spot checks of the mappings the docs pages state (docs/api/*.md "Fields on every model").
MAPPINGS: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    (
        IMAGES,
        {"model": "seedream-4-5", "prompt": "a cat", "type": "edit", "input_urls": [URL]},
        {"model": "seedream/4.5-edit", "image_urls": [URL]},
        [],
    ),
    (
        IMAGES,
        {"model": "flux-2", "prompt": "a cat", "image": URL, "negative_prompt": "dogs"},
        {"input_urls": [URL]},
        ["negative_prompt"],
    ),
    (
        IMAGES,
        {"model": "ideogram-v3", "prompt": "a cat", "input_urls": [URL], "seed": 3},
        {"image": URL},
        ["seed"],
    ),
    (
        IMAGES,
        {"model": "ideogram-v4", "prompt": "a cat", "aspect_ratio": "16:9", "quality": "high"},
        {"size": "16:9"},
        ["quality"],
    ),
    (
        VIDEOS,
        {"model": "kling-3", "prompt": "a cat", "generateAudio": False, "negative_prompt": "x"},
        {"sound": False},
        ["negative_prompt"],
    ),
    (
        VIDEOS,
        {"model": "pixverse-5-6", "prompt": "a cat", "aspect_ratio": "9:16", "sound": True},
        {"resolution_ratio": "9:16", "generate_audio_switch": True},
        [],
    ),
    (
        VIDEOS,
        {"model": "hailuo-2-3", "prompt": "a cat", "image": URL, "mode": "pro"},
        {"model": "hailuo/2-3-image-to-video-pro", "image": URL},
        [],
    ),
    (
        VIDEOS,
        {"model": "wan2.7-t2v", "prompt": "a cat", "image": URL, "sound": True},
        {},
        ["image", "sound"],
    ),
    (
        MUSIC,
        {"model": "minimax-music", "prompt": "calm", "title": "Dawn", "make_instrumental": True},
        {"prompt": "calm"},
        ["title", "make_instrumental"],
    ),
]


@pytest.mark.parametrize(("endpoint", "body", "expected", "ignored"), MAPPINGS)
def test_mapped_fields_reach_the_stored_request(
    user: httpx.Client,
    endpoint: str,
    body: dict[str, Any],
    expected: dict[str, Any],
    ignored: list[str],
) -> None:
    r = user.post(endpoint, json=body)
    assert r.status_code == 202, r.text
    task = user.get(f"/api/v1/tasks/{r.json()['data']['task_id']}").json()["data"]
    for key, value in expected.items():
        assert task["request"][key] == value, key
    assert [w.split(" ", 1)[0] for w in task["warnings"]] == ignored
    assert r.headers.get("X-Ignored-Params") == (", ".join(ignored) or None)
    for name in ignored:
        assert name not in task["request"]
        assert any(w.startswith(f"{name} ") and body["model"] in w for w in task["warnings"])


def test_mapped_price_follows_the_chosen_sub_model(user: httpx.Client) -> None:
    pro = user.post(
        VIDEOS, json={"model": "hailuo-2-3", "prompt": "a", "image": URL, "mode": "pro"}
    )
    std = user.post(
        VIDEOS, json={"model": "hailuo-2-3", "prompt": "a", "image": URL, "mode": "std"}
    )
    assert pro.status_code == std.status_code == 202
    assert pro.json()["data"]["estimated_credits"] > std.json()["data"]["estimated_credits"]


def test_a_sub_model_field_that_contradicts_model_is_400(user: httpx.Client) -> None:
    r = user.post(
        IMAGES,
        json={"model": "seedream/4.5-text-to-image", "prompt": "a", "type": "edit"},
    )
    assert r.status_code == 400 and r.json()["error"]["param"] == "type"


@pytest.mark.parametrize("endpoint", [IMAGES, VIDEOS, MUSIC, SPEECH])
def test_a_made_up_field_is_still_400(
    server: Server, make_account: Callable[..., Account], endpoint: str
) -> None:
    acc = make_account(credits=100_000)
    model = CATALOG.for_endpoint(endpoint)[-1]
    body: dict[str, Any] = {"model": model.slug, "zz_not_a_field": 1}
    for name, spec in model.params.items():
        if spec.required:
            body[name] = _valid(spec)
    with server.client(acc.key) as c:
        before = c.get("/api/v1/usage").json()["data"]["items"]
        r = c.post(endpoint, json=body)
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["param"] == "zz_not_a_field" and "Unknown field" in error["message"]
        assert c.get("/api/v1/usage").json()["data"]["items"] == before  # no ledger row


def test_a_mapped_value_is_checked_under_the_clients_name(user: httpx.Client) -> None:
    r = user.post(IMAGES, json={"model": "ideogram-v4", "prompt": "a", "aspect_ratio": "5:1"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "aspect_ratio"
