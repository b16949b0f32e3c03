"""Redaction never edits data: only a whole credential token is scrubbed from an upstream's
answer, and a credential too short to be told from ordinary words is refused at start-up.

The upstream is an OpenAI-compatible server (the fake echoes the last message) whose
credential is a human-chosen one, ``ollama-local-dev``: 16 characters, the minimum. An
answer that holds longer words containing it (``ollama-local-development``), its pieces and
``index`` passes byte for byte, streamed or not; an answer that quotes the credential itself
has it replaced by ``[redacted]``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from apiinone.auth.secrets import generate_key
from apiinone.redact import Scrubber
from tests.fakes.openai_chat import FakeOpenAI
from tests.support.server import Server, base_env, cli, free_port

CREDENTIAL = "ollama-local-dev"
INNOCENT = (
    "Run it under the ollama-local-development profile (or ollama-local-dev-2, or "
    "my_ollama-local-dev); the index of each choice is in choices[].index, and "
    "ollama, local and dev are plain words."
)
ECHOED = f"my key is {CREDENTIAL}, and again: Bearer {CREDENTIAL}"


def _providers(path: Path, url: str) -> Path:
    path.write_text(
        f"""
[[channels]]
name = "local"
adapter = "openai"
base_url = "{url}"
credential_env = "LOCAL_LLM_KEY"
[channels.models]
gemini = "llama-3"
"""
    )
    return path


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[Server, str]]:
    async with FakeOpenAI(token=CREDENTIAL) as fake:
        admin_key = generate_key()
        env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(_providers(tmp_path / "providers.toml", fake.url)),
            LOCAL_LLM_KEY=CREDENTIAL,
        )
        server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=env).start)
        try:
            yield server, admin_key
        finally:
            await asyncio.to_thread(server.stop)


async def _chat(server: Server, key: str, content: str, *, stream: bool) -> tuple[str, list[int]]:
    """The answer's text, and the ``index`` of every choice it carried."""
    body = {"model": "gemini", "messages": [{"role": "user", "content": content}]}
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as c:
        r = await c.post("/v1/chat/completions", json={**body, "stream": stream})
    assert r.status_code == 200, r.text
    if not stream:
        choice = r.json()["choices"][0]
        return choice["message"]["content"], [choice["index"]]
    text, indexes = "", []
    for line in r.text.splitlines():
        if line.startswith("data: {"):
            for choice in orjson.loads(line[6:])["choices"]:
                indexes.append(choice["index"])
                text += choice["delta"].get("content") or ""
    return text, indexes


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_an_answer_passes_byte_for_byte_unless_it_quotes_the_credential(
    gateway: tuple[Server, str], stream: bool
) -> None:
    server, key = gateway

    def sent(content: str) -> str:  # what the fake upstream answers
        words = f"Echo: {content}".split()
        return "".join(w + " " for w in words) if stream else " ".join(words)

    text, indexes = await _chat(server, key, INNOCENT, stream=stream)
    assert CREDENTIAL in text  # the credential's characters are in the answer, inside words
    assert text == sent(INNOCENT)
    assert indexes and set(indexes) == {0}

    text, _ = await _chat(server, key, ECHOED, stream=stream)
    assert CREDENTIAL not in text
    assert text == sent(ECHOED).replace(CREDENTIAL, "[redacted]")
    assert text.count("[redacted]") == 2


def test_a_credential_is_scrubbed_only_as_a_whole_token() -> None:
    scrub = Scrubber(CREDENTIAL)
    for kept in (INNOCENT, "xollama-local-dev", "ollama-local-dev9", "ollama-local-de"):
        assert scrub.text(kept) is kept and scrub.bytes(kept.encode()) == kept.encode()
    for text, expected in (
        (f'"{CREDENTIAL}"', '"[redacted]"'),
        (f"key={CREDENTIAL}&x=1", "key=[redacted]&x=1"),
        (f"{CREDENTIAL}.", "[redacted]."),
        (CREDENTIAL, "[redacted]"),
    ):
        assert scrub.text(text) == expected
        assert scrub.bytes(text.encode()) == expected.encode()
    # A credential that ends in a non-token character is bounded by that character.
    padded = Scrubber("c2VjcmV0LWtleS0xMjM0NTY=")
    assert padded.text("k=c2VjcmV0LWtleS0xMjM0NTY=x") == "k=[redacted]x"


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_short_credential_is_refused_at_start_up(tmp_path: Path, command: str) -> None:
    env = base_env(
        tmp_path / "gw",
        APIINONE_PROVIDERS_FILE=str(
            _providers(tmp_path / "providers.toml", "http://127.0.0.1:9/v1")
        ),
        LOCAL_LLM_KEY="inde-key",
    )
    args = ["serve", "--port", str(free_port())] if command == "serve" else [command]
    result = cli(args, env, check=False)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, output
    assert (
        "configuration error channel local: the credential in LOCAL_LLM_KEY is 8 characters; "
        "provider credentials must be at least 16" in output
    )
    assert "Traceback" not in output and "inde-key" not in output
