"""A synchronous /v1 request retried while its task runs attaches to that task: the
official OpenAI SDK, with its default retries, against tasks slower than the wait is
charged once (``openai_compat/attach.py``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from apiinone.auth.secrets import generate_key
from tests.openai_compat.support import is_mp3, ledger_of, tasks_of
from tests.support.server import Server
from tests.support.short_wait import short_wait_gateway

WAIT = 2  # APIINONE_OPENAI_WAIT_SECONDS of this module's server
DELAY = "sandbox:delay=5"  # a task longer than the wait; others take a fraction of a second
SLOW = f"a slow lighthouse {DELAY}"


@pytest.fixture(scope="module")
def waiting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with short_wait_gateway(tmp_path_factory.mktemp("short-wait"), WAIT) as running:
        yield running


def new_key(waiting: tuple[Server, str]) -> str:
    server, admin_key = waiting
    email = f"retry-{generate_key()[-10:].lower()}@example.com"
    with server.client(admin_key) as c:
        r = c.post("/api/v1/admin/accounts", json={"email": email})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["key"]["key"])


def default_sdk(server: Server, key: str) -> openai.OpenAI:
    """The client as the SDK's README builds it: default retries and timeout."""
    return openai.OpenAI(api_key=key, base_url=f"{server.url}/v1")


def charged_once(server: Server, key: str, price: int) -> str:
    """Exactly one task, one hold and one capture of ``price``; the task's id."""
    tasks = tasks_of(server, key)
    assert [t["status"] for t in tasks] == ["SUCCESS"], tasks
    rows = [r for r in ledger_of(server, key) if r["task_id"]]
    assert sorted(r["kind"] for r in rows) == ["capture", "hold"], rows
    assert {r["task_id"] for r in rows} == {tasks[0]["task_id"]}
    assert tasks[0]["consumed_credits"] == price
    with server.client(key) as c:
        assert c.get("/api/v1/account").json()["data"]["balance"] == 100 - price
    return str(tasks[0]["task_id"])


def test_sdk_default_retries_make_one_task(waiting: tuple[Server, str]) -> None:
    server, key = waiting[0], new_key(waiting)
    raw = default_sdk(server, key).images.with_raw_response.generate(model="flux-2", prompt=SLOW)
    assert raw.retries_taken >= 1  # the first attempt ran out of wait and answered 503
    result = raw.parse()
    assert result.data is not None and len(result.data) == 1
    task_id = charged_once(server, key, price=5)
    assert raw.headers["x-task-id"] == task_id and raw.headers["x-credits-consumed"] == "5"
    assert result.model_extra == {"credits_consumed": 5, "task_ids": [task_id]}


def test_sdk_with_an_idempotency_key_makes_one_task(waiting: tuple[Server, str]) -> None:
    server, key = waiting[0], new_key(waiting)
    raw = default_sdk(server, key).images.with_raw_response.generate(
        model="flux-2", prompt=SLOW, extra_headers={"Idempotency-Key": "slow-" + generate_key()}
    )
    assert raw.retries_taken >= 1
    charged_once(server, key, price=5)


def test_sdk_speech_retries_make_one_task(waiting: tuple[Server, str]) -> None:
    server, key = waiting[0], new_key(waiting)
    with server.client(key) as c:
        price = c.post(
            "/api/v1/quotes",
            json={
                "path": "/api/v1/audio/speech",
                "body": {
                    "model": "elevenlabs-v3",
                    "dialogue": [{"text": SLOW, "voice": "narrator"}],
                },
            },
        ).json()["data"]["credits"]
    raw = default_sdk(server, key).audio.speech.with_raw_response.create(
        model="elevenlabs-v3", voice="narrator", input=SLOW
    )
    assert raw.retries_taken >= 1
    assert is_mp3(raw.content)
    task_id = charged_once(server, key, price=price)
    assert raw.headers["x-task-id"] == task_id
    assert raw.headers["x-credits-consumed"] == str(price)


def test_a_retry_after_the_task_ended_gets_its_result(waiting: tuple[Server, str]) -> None:
    """The 503's retry arrives after the task finished: still its answer, not a new task."""
    server, key = waiting[0], new_key(waiting)
    body = {"model": "flux-2", "prompt": f"a slow harbour {DELAY}"}
    with server.client(key) as c:
        first = c.post("/v1/images/generations", json=body)
        assert first.status_code == 503, first.text
        assert first.headers["retry-after"] == "1"  # a retry attaches: it may come at once
        task_id = first.headers["x-task-id"]
        assert task_id in first.json()["error"]["message"]
        for _ in range(300):
            if c.get(f"/api/v1/tasks/{task_id}").json()["data"]["status"] != "IN_PROGRESS":
                break
            time.sleep(0.05)
        retry = c.post("/v1/images/generations", json=body)
    assert retry.status_code == 200, retry.text
    assert retry.json()["task_ids"] == [task_id] and retry.headers["x-task-id"] == task_id
    assert charged_once(server, key, price=5) == task_id


def test_after_the_answer_the_same_request_is_a_new_one(waiting: tuple[Server, str]) -> None:
    server, key = waiting[0], new_key(waiting)
    body = {"model": "flux-2", "prompt": "a quick lighthouse"}
    with server.client(key) as c:
        answers = [c.post("/v1/images/generations", json=body) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200], answers[-1].text
    ids = [a.json()["task_ids"][0] for a in answers]
    assert ids[0] != ids[1]
    assert len(tasks_of(server, key)) == 2
    holds = [r for r in ledger_of(server, key) if r["kind"] == "hold"]
    assert sorted(r["task_id"] for r in holds) == sorted(ids)


def test_other_bodies_and_other_keys_do_not_attach(waiting: tuple[Server, str]) -> None:
    server, key = waiting[0], new_key(waiting)
    with server.client(key) as c:
        second_key = c.post("/api/v1/keys", json={"name": "second"}).json()["data"]["key"]
    body = {"model": "flux-2", "prompt": f"a slow mill {DELAY}"}
    other = {**body, "prompt": f"another slow mill {DELAY}"}
    with server.client(key) as c, server.client(second_key) as c2:
        codes = [
            c.post("/v1/images/generations", json=body).status_code,
            c.post("/v1/images/generations", json=other).status_code,
            c2.post("/v1/images/generations", json=body).status_code,
        ]
    assert codes == [503, 503, 503]
    assert len(tasks_of(server, key)) == 3


def test_duplicates_at_once_share_their_tasks(waiting: tuple[Server, str]) -> None:
    """The same request twice at the same moment (n = 2: two tasks): one group, one hold each."""
    server, key = waiting[0], new_key(waiting)
    body = {"model": "flux-2", "prompt": f"twin kites {DELAY}", "n": 2}

    def post() -> httpx.Response:
        with server.client(key) as c:
            return c.post("/v1/images/generations", json=body)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: post(), range(2)))
    assert [a.status_code for a in answers] == [503, 503], answers[0].text
    named = [set(a.headers["x-task-id"].split(",")) for a in answers]
    assert named[0] == named[1] and len(named[0]) == 2
    assert {t["task_id"] for t in tasks_of(server, key)} == named[0]
    holds = [r for r in ledger_of(server, key) if r["kind"] == "hold"]
    assert sorted(r["task_id"] for r in holds) == sorted(named[0])
