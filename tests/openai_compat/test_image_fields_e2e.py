"""Which fields ``/v1/images/generations`` takes, through the OpenAI SDK at the documented
base URL: OpenAI's are accepted (the ignored ones named in ``X-Ignored-Params``), the image
models' own pass on, any other name is a 400; ``model`` may be left out."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from tests.conftest import Account
from tests.openai_compat.support import sdk, tasks_of, validate
from tests.support.server import Server


def test_generate_without_model_uses_the_default(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    raw = sdk(server, acc.key).images.with_raw_response.generate(prompt="a quiet harbour")
    result = raw.parse()
    assert result.data is not None and len(result.data) == 1 and result.data[0].url
    tasks = tasks_of(server, acc.key)
    assert [t["model"] for t in tasks] == ["flux-2"]  # openai_default_image_model
    assert "x-ignored-params" not in raw.headers


def test_unknown_field_is_400_naming_it(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    client = sdk(server, acc.key)
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="flux-2", prompt="a cat", extra_body={"colour": "red"})
    assert caught.value.param == "colour" and "Unknown field 'colour'" in caught.value.message
    validate(caught.value.response.json(), "error_response")
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(prompt="a cat", extra_body={"input_url": "x"})  # a near miss
    assert caught.value.param == "input_url"
    assert tasks_of(server, acc.key) == []


def test_openai_fields_the_model_ignores_are_named(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    raw = sdk(server, acc.key).images.with_raw_response.generate(
        model="flux-2",
        prompt="a lighthouse",
        user="customer-7",
        style="vivid",  # flux-2 has no style
        moderation="low",
        quality="auto",  # the model's default: nothing ignored
        size="1024x1024",  # mapped onto aspect_ratio
    )
    assert raw.parse().data is not None
    assert sorted(raw.headers["x-ignored-params"].split(", ")) == ["moderation", "style", "user"]
    request = tasks_of(server, acc.key)[0]["request"]
    assert request["aspect_ratio"] == "1:1"
    assert not {"user", "style", "moderation"} & set(request)


def test_a_models_own_fields_pass_on(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    raw = sdk(server, acc.key).images.with_raw_response.generate(
        model="imagen-4",
        prompt="three birds",
        n=2,
        extra_body={"negative_prompt": "fog", "seed": 7, "num_images": 4, "rendering_speed": "x"},
    )
    result = raw.parse()
    assert result.data is not None and len(result.data) == 2  # n decides, not num_images
    request = tasks_of(server, acc.key)[0]["request"]
    assert request["negative_prompt"] == "fog" and request["seed"] == 7
    assert request["num_images"] == 2
    assert sorted(raw.headers["x-ignored-params"].split(", ")) == ["num_images", "rendering_speed"]


def test_a_models_own_field_is_checked_by_the_model(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with pytest.raises(openai.BadRequestError) as caught:
        sdk(server, acc.key).images.generate(
            model="imagen-4", prompt="three birds", extra_body={"seed": "seven"}
        )
    assert caught.value.param == "seed"
    assert tasks_of(server, acc.key) == []


def test_models_list_at_the_documented_base_url(
    server: Server, make_account: Callable[..., Account]
) -> None:
    client = sdk(server, make_account().key)
    assert str(client.base_url).rstrip("/").endswith("/v1")
    assert not str(client.base_url).rstrip("/").endswith("/api/v1")
    ids = {model.id for model in client.models.list()}
    assert {"flux-2", "hunyuan-image-3", "gemini"} <= ids
