"""``POST /v1/images/generations`` through the OpenAI SDK: URLs, base64, ``n``, failures."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import openai
import pytest

from tests.conftest import Account
from tests.openai_compat.support import sdk, validate
from tests.support.server import Server
from tests.support.tasks import download, image_of

PNG = b"\x89PNG\r\n\x1a\n"


def balance(server: Server, key: str) -> int:
    with server.client(key) as c:
        return int(c.get("/api/v1/account").json()["data"]["balance"])


def test_generate_url_landscape(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    result = sdk(server, acc.key).images.generate(
        model="flux-2", prompt="a lighthouse at dusk", size="1792x1024"
    )
    assert result.data is not None and len(result.data) == 1
    url = result.data[0].url
    assert url is not None and url.startswith(server.url + "/files/")
    data, content_type = download(url)
    assert content_type == "image/png" and data.startswith(PNG)
    image = image_of(data)
    assert abs(image.width / image.height - 16 / 9) < 0.01
    assert image.width == 2048  # 1792 px is above 1K: the 2K tier
    assert balance(server, acc.key) == 100 - 7  # flux-2 pro/2K


def test_generate_b64_json(server: Server, make_account: Callable[..., Account]) -> None:
    result = sdk(server, make_account().key).images.generate(
        model="flux-2", prompt="a red square", response_format="b64_json", size="1024x1536"
    )
    assert result.data is not None
    b64 = result.data[0].b64_json
    assert b64 is not None and result.data[0].url is None
    image = image_of(base64.b64decode(b64))
    assert image.format == "PNG" and image.height > image.width


def test_generate_n_two(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    result = sdk(server, acc.key).images.generate(model="flux-2", prompt="two cats", n=2)
    assert result.data is not None and len(result.data) == 2
    for item in result.data:
        assert item.url is not None
        assert image_of(download(item.url)[0]).size == (1024, 1024)
    assert balance(server, acc.key) == 100 - 2 * 5  # two tasks of flux-2 pro/1K


def test_n_maps_to_num_images(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    result = sdk(server, acc.key).images.generate(
        model="imagen-4", prompt="three birds", n=3, size="1024x1792", quality="hd"
    )
    assert result.data is not None and len(result.data) == 3
    image = image_of(download(result.data[0].url or "")[0])
    assert image.height > image.width  # 9:16
    with server.client(acc.key) as c:
        tasks = c.get("/api/v1/tasks").json()["data"]["items"]
    assert len(tasks) == 1 and tasks[0]["request"]["num_images"] == 3
    assert tasks[0]["request"]["aspect_ratio"] == "9:16"


def test_onekeymodel_wan_image(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        r = c.post(
            "/v1/images/generations",
            json={
                "model": "wan2.7-image",
                "prompt": "A beautiful sunset over the mountains, digital art",
                "n": 1,
                "size": "1024x1024",
                "user": "someone",
                "style": "vivid",
            },
            timeout=60,
        )
    assert r.status_code == 200, r.text
    body = r.json()
    validate(body, "images_response")
    assert set(body) == {"created", "data", "credits_consumed", "task_ids"}
    assert set(body["data"][0]) == {"url"}
    assert image_of(download(body["data"][0]["url"])[0]).size == (1024, 1024)


def test_failed_prompt_is_502_and_refunded(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with pytest.raises(openai.InternalServerError) as caught:
        sdk(server, acc.key).images.generate(model="flux-2", prompt="please sandbox:fail")
    assert caught.value.status_code == 502
    body = caught.value.response.json()
    validate(body, "error_response")
    assert body["error"]["type"] == "upstream_error"
    assert "task_" in body["error"]["message"]
    assert balance(server, acc.key) == 100


def test_bad_requests(server: Server, make_account: Callable[..., Account]) -> None:
    client = sdk(server, make_account().key)
    with pytest.raises(openai.NotFoundError) as caught:
        client.images.generate(model="dall-e-3", prompt="a cat")
    assert caught.value.param == "model" and "flux-2" in caught.value.message
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="kling-3", prompt="a cat")  # a video model
    assert caught.value.param == "model"
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="flux-2", prompt="a cat", n=11)
    assert caught.value.param == "n"
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="flux-2", prompt="a cat", size="big")
    assert caught.value.param == "size"


def test_too_few_credits_for_n_charges_nothing(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=12)  # pro/1K 5 fits twice, not three times
    with server.client(acc.key) as c:
        r = c.post(
            "/v1/images/generations",
            json={"model": "flux-2", "prompt": "three dogs", "n": 3},
            timeout=60,
        )
        assert r.status_code == 402, r.text
        validate(r.json(), "error_response")
        assert "needs 15 credits" in r.json()["error"]["message"]
        assert c.get("/api/v1/account").json()["data"]["balance"] == 12
        assert c.get("/api/v1/tasks").json()["data"]["items"] == []


def test_needs_a_key(server: Server) -> None:
    r = httpx.post(f"{server.url}/v1/images/generations", json={"model": "flux-2", "prompt": "x"})
    assert r.status_code == 401
    validate(r.json(), "error_response")
