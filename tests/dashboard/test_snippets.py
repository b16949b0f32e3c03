"""The playground's code panel, built in ``apiinone.dashboard.examples``: a chat request on
each chat surface, in the shapes the official SDKs take (held to the installed SDKs)."""

from __future__ import annotations

import ast
import inspect
from typing import Any

from anthropic.resources.messages import Messages
from openai.resources.chat.completions import Completions
from openai.resources.responses import Responses

from apiinone.catalog import load_catalog
from apiinone.dashboard.examples import (
    ANTHROPIC_MESSAGES_ARGS,
    MAX_NESTING,
    MESSAGES_MAX_TOKENS,
    OPENAI_CHAT_ARGS,
    messages_body,
    nesting,
    responses_body,
    snippets,
)

CATALOG = load_catalog()
GEMINI = CATALOG.get("gemini").model  # type: ignore[union-attr]
FLUX = CATALOG.get("flux-2").model  # type: ignore[union-attr]
BASE = "http://127.0.0.1:9/"
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
CHAT: dict[str, Any] = {
    "model": "gemini",
    "messages": [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"}, IMAGE]},
        {"role": "assistant", "content": "Un chat."},
        {"role": "user", "content": "And its colour?"},
    ],
    "max_completion_tokens": 300,
    "temperature": 0.5,
    "stop": "END",
    "reasoning_effort": "low",
    "include_thoughts": True,
    "stream": True,
}


def _keywords(method: Any) -> set[str]:
    return set(inspect.signature(method).parameters) - {"self"}


def _sent(python: str | None) -> set[str]:
    """The keyword names of the snippet's ``client....create(...)`` call."""
    calls = [
        node
        for node in ast.walk(ast.parse(python or ""))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "create"
    ]
    assert len(calls) == 1
    return {keyword.arg for keyword in calls[0].keywords if keyword.arg}


def test_every_generated_argument_is_one_the_sdk_takes() -> None:
    assert _keywords(Completions.create) >= OPENAI_CHAT_ARGS
    assert _keywords(Messages.create) >= ANTHROPIC_MESSAGES_ARGS
    chat, responses, messages = snippets(BASE, GEMINI, CHAT)
    assert _sent(chat.python) <= _keywords(Completions.create)
    assert _sent(responses.python) <= _keywords(Responses.create)
    assert _sent(messages.python) <= _keywords(Messages.create)
    # What an SDK has no keyword for still reaches the gateway, in extra_body.
    assert "extra_body={'include_thoughts': True}" in (chat.python or "")
    assert "extra_body={'temperature': 0.5}" in (messages.python or "")


def test_a_chat_model_is_offered_on_the_three_surfaces() -> None:
    chat, responses, messages = snippets(BASE, GEMINI, CHAT)
    assert [s.endpoint for s in (chat, responses, messages)] == [
        "/v1/chat/completions",
        "/v1/responses",
        "/v1/messages",
    ]
    assert [s.sdk for s in (chat, responses, messages)] == ["openai", "openai", "anthropic"]
    assert "curl http://127.0.0.1:9/v1/responses" in responses.curl
    assert '-H "Authorization: Bearer $AIO_KEY"' in chat.curl
    assert '-H "x-api-key: $AIO_KEY"' in messages.curl
    assert '-H "anthropic-version: 2023-06-01"' in messages.curl
    assert "Authorization" not in messages.curl
    for snippet in (chat, responses, messages):
        assert snippet.python is not None
        compile(snippet.python, snippet.surface, "exec")  # valid Python
        assert '"stream"' not in snippet.curl  # the snippets print a whole answer
    assert "OpenAI(base_url='http://127.0.0.1:9/v1'" in (chat.python or "")
    assert "Anthropic(base_url='http://127.0.0.1:9'" in (messages.python or "")
    assert "    max_completion_tokens=300," in (chat.python or "")


def test_responses_takes_instructions_input_and_max_output_tokens() -> None:
    request = responses_body(CHAT)
    assert request["instructions"] == "Answer in French."
    assert request["max_output_tokens"] == 300
    assert request["reasoning"] == {"effort": "low"}
    assert request["temperature"] == 0.5
    assert request["input"] == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": "https://example.com/cat.png"},
            ],
        },
        {"role": "assistant", "content": "Un chat."},
        {"role": "user", "content": "And its colour?"},
    ]
    one = responses_body({"model": "gemini", "messages": [{"role": "user", "content": "Hi"}]})
    assert one == {"model": "gemini", "input": "Hi"}


def test_messages_takes_system_on_top_and_always_max_tokens() -> None:
    request = messages_body(CHAT)
    assert request["system"] == "Answer in French."
    assert request["max_tokens"] == 300
    assert request["stop_sequences"] == ["END"]
    assert request["messages"][0]["content"][1] == {
        "type": "image",
        "source": {"type": "url", "url": "https://example.com/cat.png"},
    }
    assert [m["role"] for m in request["messages"]] == ["user", "assistant", "user"]
    bare = messages_body({"model": "gemini", "messages": [{"role": "user", "content": "Hi"}]})
    assert bare == {
        "model": "gemini",
        "max_tokens": MESSAGES_MAX_TOKENS,
        "messages": [{"role": "user", "content": "Hi"}],
    }


def test_a_media_model_has_its_own_endpoint_and_curl_only() -> None:
    body = {"model": "flux-2", "prompt": "it's a fox"}
    (only,) = snippets(BASE, FLUX, body)
    assert only.endpoint == FLUX.endpoint and only.python is None
    assert only.curl.startswith(f"curl {BASE.rstrip('/')}{FLUX.endpoint} ")
    assert "it'\"'\"'s a fox" in only.curl  # shell-quoted


def test_nesting_counts_levels_of_arrays_and_objects() -> None:
    assert nesting({}) == 1 and nesting("text") == 0
    assert nesting({"messages": [{"content": [[]]}]}) == 5
    deep: Any = []
    for _ in range(MAX_NESTING):
        deep = [deep]
    assert nesting({"a": deep}) == MAX_NESTING + 2
    made = snippets(BASE, GEMINI, {"model": "gemini", "messages": [{"content": deep}]})
    assert len(made) == 3  # what the route lets through is formatted without trouble


def test_odd_bodies_give_snippets_not_errors() -> None:
    odd: list[dict[str, Any]] = [
        {},
        {"model": "gemini", "messages": "hello"},
        {"model": "gemini", "messages": [1, None, {"role": "tool"}, {"role": "user"}]},
        {"model": "gemini", "messages": [{"role": "user", "content": [7, {"type": "image_url"}]}]},
        {"model": "gemini", "messages": [{"role": "system", "content": {"x": 1}}], "stop": 5},
    ]
    for body in odd:
        made = snippets(BASE, GEMINI, body)
        assert len(made) == 3
        for snippet in made:
            compile(snippet.python or "", snippet.surface, "exec")
