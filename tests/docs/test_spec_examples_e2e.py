"""The public API docs' own examples (``tests/fixtures/spec_examples.json``, extracted from the
``spec/*.txt`` pages by ``spec_examples.py``) run literally against the gateway: curl through
bash, Python with the openai SDK, JavaScript with openai for Node. Substituted: the base URL,
the key, the placeholder task ids (by real ones of the account) and the example.com input files
(by the account's uploads, a PNG made with Pillow and a sandbox MP4). Each gets the status and
shape the page shows next to it, except the examples marked broken on the page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.docs.spec_examples import FIXTURE, extract, spec_dir
from tests.support import tasks
from tests.support.server import Server

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / ".node-openai"  # openai for Node, made by scripts/node-openai.sh
EXAMPLES: list[dict[str, Any]] = json.loads(FIXTURE.read_text())["examples"]
KEYS = ["aio_your_api_key_here", "aio_your_api_key", "aio_your_key", "<API_KEY>"]
KEYS += ["$YOUR_API_KEY", "YOUR_API_KEY"]
BROKEN = {  # examples the page itself gets wrong: they must fail as written
    "000-5-curl": "the page cuts the face-swap command after its first line (no key, no body)",
    "000-8-curl": "the page ends inside the quick start's JSON body (an unclosed quote)",
    "003-5-curl": "the URL doubles /v1 (/v1/v1/video/generations); the step names "
    "POST /v1/video/generations",
    "004-1-curl": "a backslash is missing after the Authorization header: the rest of the "
    "command is a second command and the request goes with no body",
}


@dataclass(frozen=True)
class Prepared:
    key: str
    image_url: str
    video_url: str
    task_id: str
    video_generation_id: str


@pytest.fixture(scope="module")
def prepared(server: Server, admin: httpx.Client) -> Prepared:
    r = admin.post("/api/v1/admin/accounts", json={"email": f"spec-{generate_key()[-10:]}@x.org"})
    assert r.status_code == 201, r.text
    grant = {"amount": 100_000, "reason": "spec examples"}
    assert admin.post(
        f"/api/v1/admin/accounts/{r.json()['data']['id']}/credits", json=grant
    ).is_success
    key = str(r.json()["data"]["key"]["key"])
    with server.client(key) as c:
        image = tasks.upload(c, "photo.png", tasks.png(), "image/png")
        flux = tasks.run(c, "/api/v1/images/generations", {"model": "flux-2", "prompt": "a pond"})
        video = tasks.run(c, "/api/v1/videos/generations", {"model": "kling-3", "prompt": "a dog"})
        mp4, _ = tasks.download(video["response"][0])
        clip = tasks.upload(c, "talking-head.mp4", mp4, "video/mp4")
        created = c.post("/v1/video/generations", json={"model": "kling-3", "prompt": "a cat"})
        assert created.status_code == 200, created.text
        tasks.wait(c, created.json()["id"])
    assert flux["status"] == "SUCCESS" and video["status"] == "SUCCESS"
    return Prepared(key, image["url"], clip["url"], flux["task_id"], created.json()["id"])


def substitute(code: str, server: Server, p: Prepared) -> str:
    for base in ("https://apiin.one", "https://api.onekeymodel.com"):
        code = code.replace(base, server.url)
    for placeholder in KEYS:
        code = code.replace(placeholder, p.key)
    code = code.replace("https://example.com/photo.jpg", p.image_url)
    code = code.replace("https://example.com/talking-head.mp4", p.video_url)
    for placeholder in ("n41xxxx_flux2", "task_abc123"):
        code = code.replace(placeholder, p.task_id)
    return code.replace("148ed382-b7e1-4357-9d29-c70f61cd3a2f", p.video_generation_id)


def run(example: dict[str, Any], code: str, workdir: Path) -> tuple[int | None, Any]:
    """The example's HTTP status (curl) or None, and the JSON it answered."""
    workdir.mkdir(parents=True, exist_ok=True)
    if example["kind"] == "curl":
        body = workdir / "body.json"
        command = f"{code} -sS -o {body} -w '%{{http_code}}'"
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return int(done.stdout[-3:]), json.loads(body.read_text())
    if example["kind"] == "python":
        script = f"{code}\n\nimport json\nprint(json.dumps(response.model_dump(mode='json')))\n"
        argv, cwd = [sys.executable, "-c", script], workdir
    else:
        if shutil.which("node") is None:
            pytest.skip("node is not installed")
        subprocess.run(["bash", str(ROOT / "scripts" / "node-openai.sh")], check=True, timeout=300)
        script = f"{code}\nconsole.log(JSON.stringify(response));\n"
        argv, cwd = ["node", "--input-type=module", "-e", script], NODE_DIR
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return None, json.loads(done.stdout.strip().splitlines()[-1])


def is_task(status: int | None, body: Any) -> None:
    assert status == 202, body
    assert body["code"] == 200 and body["message"] == "success"
    assert isinstance(body["data"]["task_id"], str) and body["data"]["status"] == "IN_PROGRESS"


def is_chat(status: int | None, body: Any) -> None:
    assert status in (None, 200), body
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["choices"][0]["message"]["content"]


def is_task_status(p: Prepared) -> Callable[[int | None, Any], None]:
    def check(status: int | None, body: Any) -> None:
        assert status == 200, body
        data = body["data"]
        assert data["task_id"] == p.task_id and data["status"] == "SUCCESS"
        assert data["consumed_credits"] == 5 and data["error_message"] is None
        assert data["request"]["model"] == "flux-2" and len(data["response"]) == 1

    return check


def is_images(status: int | None, body: Any) -> None:
    assert status in (None, 200), body
    assert len(body["data"]) == 1 and body["data"][0]["url"].startswith("http://127.0.0.1")


def is_video_generation(p: Prepared) -> Callable[[int | None, Any], None]:
    def check(status: int | None, body: Any) -> None:
        assert status == 200, body
        assert body["id"] == p.video_generation_id and body["status"] == "succeeded"
        assert isinstance(body["created_at"], int) and body["video_url"].startswith("http")

    return check


def expectation(example_id: str, p: Prepared) -> Callable[[int | None, Any], None]:
    by_id: dict[str, Callable[[int | None, Any], None]] = {
        "000-7-curl": is_task_status(p),
        "002-2-curl": is_task_status(p),
        "001-1-curl": is_chat,
        "001-2-python": is_chat,
        "001-3-javascript": is_chat,
        "003-1-curl": is_chat,
        "003-2-python": is_chat,
        "003-3-curl": is_images,
        "003-4-python": is_images,
        "003-6-curl": is_video_generation(p),
    }
    return by_id.get(example_id, is_task)


def test_the_fixture_is_the_pages_extraction() -> None:
    if not spec_dir().is_dir():
        pytest.skip(f"the spec pages are not at {spec_dir()} (APIINONE_SPEC_DIR)")
    assert json.loads(FIXTURE.read_text()) == extract(spec_dir())


def test_every_kind_is_extracted() -> None:
    kinds = {e["kind"] for e in EXAMPLES}
    assert kinds == {"curl", "python", "javascript"}
    assert len(EXAMPLES) == len({e["id"] for e in EXAMPLES}) >= 19


@pytest.mark.parametrize(
    "example",
    [
        pytest.param(e, id=e["id"], marks=pytest.mark.xfail(strict=True, reason=BROKEN[e["id"]]))
        if e["id"] in BROKEN
        else pytest.param(e, id=e["id"])
        for e in EXAMPLES
    ],
)
def test_example_gets_its_documented_answer(
    example: dict[str, Any], server: Server, prepared: Prepared, tmp_path: Path
) -> None:
    status, body = run(example, substitute(example["code"], server, prepared), tmp_path)
    expectation(example["id"], prepared)(status, body)
