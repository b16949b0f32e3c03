"""LiteLLM, the client library, against the gateway's /v1 with ``model="openai/<slug>"``.

LiteLLM runs from its own venv (``.venv-litellm``, made by ``scripts/litellm-venv.sh``; its
openai pin is not the test extra's) through ``litellm_client.py``, which allows LiteLLM only
loopback names: every test asserts it tried no other host.
"""

from __future__ import annotations

import json
import select
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from apiinone.auth.secrets import generate_key
from tests.openai_compat.support import is_mp3, ledger_of, tasks_of
from tests.support.server import Server
from tests.support.short_wait import short_wait_gateway

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-litellm"
SCRIPT = Path(__file__).parent / "litellm_client.py"
CALL_TIMEOUT = 120  # seconds for one LiteLLM call
WAIT = 2  # APIINONE_OPENAI_WAIT_SECONDS of this module's server
SLOW = "a slow lighthouse sandbox:delay=5"  # a task longer than the wait
MESSAGES = [{"role": "user", "content": "Compare image and video model routes for a launch."}]


class LiteLLM:
    """One LiteLLM process for the module: an order per line in, an answer per line out."""

    def __init__(self) -> None:
        env = {
            "PATH": "/usr/bin:/bin",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_LOG": "ERROR",
        }
        self.process = subprocess.Popen(
            [str(VENV / "bin" / "python"), str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def call(self, order: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(order) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], CALL_TIMEOUT)
        if not ready:
            self.process.kill()
            raise AssertionError(f"LiteLLM gave no answer in {CALL_TIMEOUT} s")
        line = self.process.stdout.readline()
        if not line:
            _, err = self.process.communicate(timeout=30)
            raise AssertionError(f"the LiteLLM process ended: {err[-3000:]}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def litellm_python() -> Iterator[LiteLLM]:
    subprocess.run(["bash", str(ROOT / "scripts" / "litellm-venv.sh")], check=True, timeout=900)
    client = LiteLLM()
    yield client
    client.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with short_wait_gateway(tmp_path_factory.mktemp("litellm"), WAIT) as running:
        yield running


def new_key(gateway: tuple[Server, str]) -> str:
    server, admin_key = gateway
    email = f"litellm-{generate_key()[-10:].lower()}@example.com"
    with server.client(admin_key) as c:
        r = c.post("/api/v1/admin/accounts", json={"email": email})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["key"]["key"])


def run(python: LiteLLM, server: Server, key: str, call: str, **kwargs: Any) -> dict[str, Any]:
    """One LiteLLM call in the LiteLLM venv; its JSON answer, asserting no error, no internet."""
    kwargs = {"api_base": f"{server.url}/v1", "api_key": key, **kwargs}
    out = python.call({"call": call, "kwargs": kwargs})
    assert out["refused_hosts"] == [], out["refused_hosts"]
    assert out["error"] is None, out["error"]
    return out


def test_completion_with_ordinary_extra_params(
    litellm_python: LiteLLM, gateway: tuple[Server, str]
) -> None:
    server, key = gateway[0], new_key(gateway)
    out = run(
        litellm_python,
        server,
        key,
        "completion",
        model="openai/gemini",
        messages=MESSAGES,
        temperature=0.2,
        max_tokens=200,
        reasoning_effort="medium",
        metadata={"run": "litellm"},
    )
    answer = out["result"]
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["content"].startswith("Sandbox reply to: Compare image")
    assert answer["usage"]["total_tokens"] > 0
    assert len(tasks_of(server, key)) == 0  # chat is not a task; its charge is a ledger row
    kinds = sorted(r["kind"] for r in ledger_of(server, key) if r["kind"] in {"hold", "capture"})
    assert kinds == ["capture", "hold"]


def test_completion_streaming(litellm_python: LiteLLM, gateway: tuple[Server, str]) -> None:
    server, key = gateway[0], new_key(gateway)
    plain = run(litellm_python, server, key, "completion", model="openai/gemini", messages=MESSAGES)
    out = run(
        litellm_python,
        server,
        key,
        "completion",
        model="openai/gemini",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = out["chunks"]
    assert chunks and all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == plain["result"]["choices"][0]["message"]["content"]


def test_completion_tools(litellm_python: LiteLLM, gateway: tuple[Server, str]) -> None:
    server, key = gateway[0], new_key(gateway)
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    out = run(
        litellm_python,
        server,
        key,
        "completion",
        model="openai/gemini",
        messages=[{"role": "user", "content": "Please call get_weather for Paris"}],
        tools=[tool],
    )
    choice = out["result"]["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]["function"]
    assert call["name"] == "get_weather" and json.loads(call["arguments"]) == {"city": "Paris"}


def test_completion_json_schema_and_n(litellm_python: LiteLLM, gateway: tuple[Server, str]) -> None:
    server, key = gateway[0], new_key(gateway)
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    out = run(
        litellm_python,
        server,
        key,
        "completion",
        model="openai/gemini",
        messages=[{"role": "user", "content": "Describe a person"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": schema, "strict": True},
        },
        n=2,
    )
    choices = out["result"]["choices"]
    assert [c["index"] for c in choices] == [0, 1]
    for choice in choices:
        jsonschema.validate(json.loads(choice["message"]["content"]), schema)


def charged_once(server: Server, key: str, price: int) -> str:
    """Exactly one task, one hold and one capture of ``price``; the task's id."""
    tasks = tasks_of(server, key)
    assert [t["status"] for t in tasks] == ["SUCCESS"], tasks
    rows = [r for r in ledger_of(server, key) if r["task_id"]]
    assert sorted(r["kind"] for r in rows) == ["capture", "hold"], rows
    assert {r["task_id"] for r in rows} == {tasks[0]["task_id"]}
    assert tasks[0]["consumed_credits"] == price
    return str(tasks[0]["task_id"])


@pytest.mark.parametrize(
    "retries",
    [{"max_retries": 4}, {"num_retries": 4, "max_retries": 0}],
    ids=["max_retries", "num_retries"],
)
def test_image_generation_retried_is_one_task(
    litellm_python: LiteLLM, gateway: tuple[Server, str], retries: dict[str, int]
) -> None:
    """The first attempts outlast the wait (503 with the task's id); LiteLLM's retries attach."""
    server, key = gateway[0], new_key(gateway)
    out = run(
        litellm_python,
        server,
        key,
        "image_generation",
        model="openai/flux-2",
        prompt=SLOW,
        size="1024x1024",
        **retries,
    )
    data = out["result"]["data"]
    assert len(data) == 1 and data[0]["url"].startswith(server.url)
    charged_once(server, key, price=5)


def test_image_generation_quick(litellm_python: LiteLLM, gateway: tuple[Server, str]) -> None:
    server, key = gateway[0], new_key(gateway)
    out = run(
        litellm_python,
        server,
        key,
        "image_generation",
        model="openai/flux-2",
        prompt="a quick lighthouse",
        n=2,
        max_retries=0,
    )
    assert len(out["result"]["data"]) == 2
    assert len(tasks_of(server, key)) == 2


def test_speech(litellm_python: LiteLLM, gateway: tuple[Server, str]) -> None:
    server, key = gateway[0], new_key(gateway)
    out = run(
        litellm_python,
        server,
        key,
        "speech",
        model="openai/elevenlabs-v3",
        voice="narrator",
        input="Hello from LiteLLM.",
        max_retries=0,
    )
    assert is_mp3(bytes.fromhex(out["binary"]))
    assert [t["status"] for t in tasks_of(server, key)] == ["SUCCESS"]
