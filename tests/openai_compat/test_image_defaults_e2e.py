"""A gateway whose operator chose another default image model and a short wait: requests
without ``model`` use it, and an images.edit the SDK retries attaches to its task."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openai
import pytest
from PIL import Image

from apiinone.auth.secrets import generate_key
from tests.openai_compat.support import ledger_of, tasks_of
from tests.support.server import Server
from tests.support.short_wait import short_wait_gateway
from tests.support.tasks import download

WAIT = 2  # APIINONE_OPENAI_WAIT_SECONDS of this module's server
DEFAULT = "hunyuan-image-3"  # APIINONE_OPENAI_DEFAULT_IMAGE_MODEL: generates and edits
PRICE = 25


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    data_dir = tmp_path_factory.mktemp("default-image-model")
    with short_wait_gateway(data_dir, WAIT, APIINONE_OPENAI_DEFAULT_IMAGE_MODEL=DEFAULT) as running:
        yield running


def new_key(configured: tuple[Server, str]) -> str:
    server, admin_key = configured
    email = f"default-{generate_key()[-10:].lower()}@example.com"
    with server.client(admin_key) as c:
        r = c.post("/api/v1/admin/accounts", json={"email": email})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["key"]["key"])


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 160, 90)).save(out, format="PNG")
    return out.getvalue()


def test_generate_without_model_uses_the_operators_default(
    configured: tuple[Server, str],
) -> None:
    server, key = configured[0], new_key(configured)
    client = openai.OpenAI(api_key=key, base_url=f"{server.url}/v1", max_retries=0)
    result = client.images.generate(prompt="a green field", size="1536x1024")
    assert result.data is not None and len(result.data) == 1
    (task,) = tasks_of(server, key)
    assert task["model"] == DEFAULT and task["request"]["size"] == "1536*1024"


def test_edit_retried_by_the_sdk_is_charged_once(configured: tuple[Server, str]) -> None:
    server, key = configured[0], new_key(configured)
    image = png()
    client = openai.OpenAI(api_key=key, base_url=f"{server.url}/v1")  # default retries
    raw = client.images.with_raw_response.edit(
        image=("green.png", image, "image/png"), prompt="slowly sandbox:delay=5"
    )
    assert raw.retries_taken >= 1  # the first attempt ran out of wait and answered 503
    assert raw.parse().data is not None
    (task,) = tasks_of(server, key)  # the retries attached to the first attempt's task
    assert task["model"] == DEFAULT and task["request"]["type"] == "edit"
    assert [download(url)[0] for url in task["request"]["images"]] == [image]
    rows = [row for row in ledger_of(server, key) if row["task_id"]]
    assert sorted(row["kind"] for row in rows) == ["capture", "hold"]
    assert raw.headers["x-credits-consumed"] == str(PRICE)
    with server.client(key) as c:
        assert c.get("/api/v1/account").json()["data"]["balance"] == 100 - PRICE
