"""``POST /v1/images/edits`` through the OpenAI SDK: the uploaded images reach the model's
input parameter in its edit mode, the answer is OpenAI's ImagesResponse, a model that
takes no image is a 400 that costs nothing."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import openai
import pytest
from PIL import Image

from tests.conftest import Account
from tests.openai_compat.support import sdk, tasks_of, validate
from tests.support.server import Server
from tests.support.tasks import download, image_of


def png(colour: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


RED = png((200, 30, 30))
BLUE = png((30, 30, 200), (32, 32))


def balance(server: Server, key: str) -> int:
    with server.client(key) as c:
        return int(c.get("/api/v1/account").json()["data"]["balance"])


def only_task(server: Server, key: str) -> dict[str, Any]:
    tasks = tasks_of(server, key)
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_edit_one_image(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    result = sdk(server, acc.key).images.edit(
        model="flux-2", image=("red.png", RED, "image/png"), prompt="make it a sunset"
    )
    assert result.data is not None and len(result.data) == 1
    url = result.data[0].url
    assert url is not None and url.startswith(server.url + "/files/")
    data, content_type = download(url)
    assert content_type == "image/png" and image_of(data).format == "PNG"
    task = only_task(server, acc.key)
    assert task["model"] == "flux-2" and task["status"] == "SUCCESS"
    inputs = task["request"]["input_urls"]
    assert len(inputs) == 1 and inputs[0].startswith(server.url + "/files/")
    assert download(inputs[0])[0] == RED  # the stored upload is the file that was sent
    assert result.model_extra == {"credits_consumed": 5, "task_ids": [task["task_id"]]}
    assert balance(server, acc.key) == 100 - 5


def test_edit_two_images_in_the_models_edit_mode(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    raw = sdk(server, acc.key).images.with_raw_response.edit(
        model="hunyuan-image-3",
        image=[("red.png", RED, "image/png"), ("blue.png", BLUE, "image/png")],
        prompt="put the blue square on the red one",
        response_format="b64_json",
    )
    assert raw.http_request.headers["content-type"].startswith("multipart/form-data")
    body = raw.http_response.json()
    validate(body, "images_response")
    result = raw.parse()
    assert result.data is not None and len(result.data) == 1
    assert image_of(base64.b64decode(result.data[0].b64_json or "")).format == "PNG"
    task = only_task(server, acc.key)
    assert task["request"]["type"] == "edit"  # hunyuan's edit mode, which requires images
    inputs = task["request"]["images"]
    assert [download(url)[0] for url in inputs] == [RED, BLUE]  # in the order sent
    assert raw.headers["x-task-id"] == task["task_id"]
    assert raw.headers["x-credits-consumed"] == "25"


def test_edit_runs_the_edit_variant(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    client = sdk(server, acc.key)
    result = client.images.edit(
        model="seedream-4-5", image=("red.png", RED, "image/png"), prompt="a red balloon"
    )
    assert result.data is not None and len(result.data) == 1
    task = only_task(server, acc.key)
    assert task["request"]["model"] == "seedream/4.5-edit"
    assert [download(url)[0] for url in task["request"]["image_urls"]] == [RED]


def test_edit_on_a_model_without_image_input_is_400(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    client = sdk(server, acc.key)
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(model="imagen-4", image=("red.png", RED, "image/png"), prompt="x y z")
    assert caught.value.param == "model"
    assert "takes no input image" in caught.value.message and "flux-2" in caught.value.message
    validate(caught.value.response.json(), "error_response")
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(
            model="ideogram-v3",  # one input image at most
            image=[("red.png", RED, "image/png"), ("blue.png", BLUE, "image/png")],
            prompt="two",
        )
    assert caught.value.param == "image"
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(
            model="flux-2", image=("a.txt", b"not an image", "text/plain"), prompt="x"
        )
    assert caught.value.param == "image"
    assert tasks_of(server, acc.key) == []
    assert balance(server, acc.key) == 100


def test_edit_refuses_unknown_fields_and_names_ignored_ones(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    client = sdk(server, acc.key)
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(
            model="flux-2",
            image=("red.png", RED, "image/png"),
            prompt="x y z",
            extra_body={"colour": "red"},
        )
    assert caught.value.param == "colour" and "colour" in caught.value.message
    assert tasks_of(server, acc.key) == []
    raw = client.images.with_raw_response.edit(
        model="flux-2",
        image=("red.png", RED, "image/png"),
        mask=("mask.png", BLUE, "image/png"),
        prompt="x y z",
        user="customer-7",
        input_fidelity="high",
        extra_body={"negative_prompt": "blur"},  # imagen-4's, not flux-2's
    )
    assert raw.parse().data is not None
    ignored = raw.headers["x-ignored-params"].split(", ")
    assert sorted(ignored) == ["input_fidelity", "mask", "negative_prompt", "user"]
    assert "negative_prompt" not in only_task(server, acc.key)["request"]


def test_edit_with_a_mask_on_a_model_that_takes_one(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    raw = sdk(server, acc.key).images.with_raw_response.edit(
        model="ideogram-v3",
        image=("red.png", RED, "image/png"),
        mask=("mask.png", BLUE, "image/png"),
        prompt="a window in the wall",
        extra_body={"style": "Design"},  # ideogram's own parameter, sent as form text
    )
    assert raw.parse().data is not None
    assert "x-ignored-params" not in raw.headers
    request = only_task(server, acc.key)["request"]
    assert download(request["image"])[0] == RED  # ideogram takes one image, as a string
    assert download(request["mask_image"])[0] == BLUE
    assert request["style"] == "Design"


def test_form_numbers_of_the_models_own_parameters(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    client = sdk(server, acc.key)
    result = client.images.edit(
        model="hunyuan-image-3",
        image=("red.png", RED, "image/png"),
        prompt="a red kite",
        extra_body={"seed": "42"},
    )
    assert result.data is not None
    assert only_task(server, acc.key)["request"]["seed"] == 42
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(
            model="hunyuan-image-3",
            image=("red.png", RED, "image/png"),
            prompt="a red kite",
            extra_body={"seed": "forty-two"},
        )
    assert caught.value.param == "seed"
