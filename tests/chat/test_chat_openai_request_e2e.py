"""OpenAI's whole chat request, generated from OpenAI's own schema, through the official
openai SDK: every property of CreateChatCompletionRequest is accepted on the sandbox and
through an OpenAI-compatible upstream (which sees the passed-through ones); what a channel
does not carry is named in X-Ignored-Params; a wrong type or range is 400 naming the
property; a name that exists nowhere is 400; ``n`` gives (and bills) that many choices."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import openai
import pytest
from openai import OpenAI

from apiinone.auth.secrets import generate_key
from apiinone.catalog import chat_cost, load_catalog
from apiinone.providers.chat import OPENAI_PROPERTIES
from apiinone.providers.sandbox.chat import SandboxChat
from tests.conftest import Account
from tests.fakes.openai_chat import FakeOpenAI
from tests.support.openai_request import example, request_properties, resolve
from tests.support.openai_schema import _components
from tests.support.server import Server, base_env

PROPERTIES = request_properties("CreateChatCompletionRequest")
# Set by the test itself: the model, and stream as a real argument of the SDK.
OWN = {"model", "stream"}
GENERATED = {name: example(schema, full=True) for name, schema in PROPERTIES.items()}
MESSAGES = [{"role": "user", "content": "Say something about credits."}]
MODEL = load_catalog().get("deepseek-chat").model  # type: ignore[union-attr]


def extra(names: Any) -> dict[str, Any]:
    return {name: GENERATED[name] for name in names if name not in OWN}


def ignored(raw: Any) -> set[str]:
    header = raw.headers.get("x-ignored-params")
    return {name.strip() for name in header.split(",")} if header else set()


@pytest.fixture(params=["/api/v1", "/v1"])
def sdk(
    request: pytest.FixtureRequest, server: Server, make_account: Callable[..., Account]
) -> Iterator[OpenAI]:
    client = OpenAI(
        api_key=make_account(credits=10_000).key,
        base_url=server.url + request.param,
        max_retries=0,
    )
    yield client
    client.close()


def test_the_property_list_is_openais() -> None:
    """The contract's list of optional properties is the spec's, less what every channel
    honours itself."""
    core = {"messages", "model", "stream", "max_tokens", "max_completion_tokens", "n"}
    names = {n for n in OPENAI_PROPERTIES if "." not in n}
    assert names == set(PROPERTIES) - core - {"stream_options"}
    params = MODEL.params
    assert set(PROPERTIES) - {"model"} <= set(params)


@pytest.mark.parametrize("name", sorted(PROPERTIES))
def test_each_property_alone_is_accepted(sdk: OpenAI, name: str) -> None:
    raw = sdk.chat.completions.with_raw_response.create(
        model="gemini", messages=MESSAGES, extra_body=extra([name])
    )
    assert raw.http_response.status_code == 200
    completion = raw.parse()
    assert completion.choices and completion.choices[0].logprobs is None
    given = {name, "stream_options.include_obfuscation" if name == "stream_options" else name}
    assert ignored(raw) == (given & OPENAI_PROPERTIES) - SandboxChat.carries


@pytest.mark.parametrize("stream", [False, True])
def test_every_property_at_once_on_the_sandbox(sdk: OpenAI, stream: bool) -> None:
    raw = sdk.chat.completions.with_raw_response.create(
        model="gemini", messages=MESSAGES, stream=stream, extra_body=extra(PROPERTIES)
    )
    assert raw.http_response.status_code == 200
    expect = (OPENAI_PROPERTIES & (set(PROPERTIES) | {"stream_options.include_obfuscation"})) - (
        SandboxChat.carries
    )
    assert ignored(raw) == expect
    if stream:
        chunks = list(raw.parse())
        assert any(c.choices for c in chunks)
    else:
        assert raw.parse().choices[0].message.role == "assistant"


def wrong_values(schema: dict[str, Any]) -> list[Any]:
    """Values OpenAI's schema refuses: each JSON type it does not take, and numbers just
    past its range."""
    resolved = resolve(schema)
    validator = jsonschema.Draft202012Validator({**schema, **_components()})
    candidates: list[Any] = [12345, "x", True, [], {}, 0.5]
    for shape in (resolved, *resolved.get("anyOf", [])):
        for bound, step in (("minimum", -1), ("maximum", 1)):
            # seed's bounds (about 2**63) are past what a JSON number holds exactly
            if bound in shape and abs(shape[bound]) < 2**53:
                candidates.append(shape[bound] + step)
    return [value for value in candidates if not validator.is_valid(value)]


@pytest.mark.parametrize("name", sorted(set(PROPERTIES) - {"model"}))
def test_wrong_type_or_range_is_400_naming_the_property(
    server: Server, make_account: Callable[..., Account], name: str
) -> None:
    values = wrong_values(PROPERTIES[name])
    assert values, name
    with server.client(make_account().key) as c:
        for value in values:
            body = {"model": "gemini", "messages": MESSAGES, name: value}
            if name == "messages":
                body = {"model": "gemini", "messages": value}
            r = c.post("/v1/chat/completions", json=body)
            assert r.status_code == 400, (name, value, r.text)
            param = r.json()["error"]["param"]
            assert param == name or param.startswith((f"{name}.", f"{name}[")), (name, value)


def test_a_name_that_exists_nowhere_is_400(sdk: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(
            model="gemini", messages=MESSAGES, extra_body={"frobnicate": True}
        )
    assert caught.value.param == "frobnicate" and "Unknown field" in caught.value.message


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"metadata": {"a": 1}}, "metadata.a"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({"logit_bias": {"50256": 101}}, "logit_bias.50256"),
        ({"logit_bias": {"not-a-token": 1}}, "logit_bias.not-a-token"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"n": 129}, "n"),
        ({"top_logprobs": 21}, "top_logprobs"),
    ],
)
def test_map_values_and_ranges_are_checked(sdk: OpenAI, body: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(model="gemini", messages=MESSAGES, extra_body=body)
    assert caught.value.param == param


@pytest.mark.parametrize("effort", ["none", "minimal", "low", "medium", "high", "xhigh", "max"])
def test_reasoning_effort_takes_every_openai_value(sdk: OpenAI, effort: str) -> None:
    level = "low" if effort in ("none", "minimal", "low") else "high"
    gemini = sdk.chat.completions.create(model="gemini", messages=MESSAGES, reasoning_effort=effort)  # type: ignore[arg-type]
    thoughts = (gemini.choices[0].message.model_extra or {}).get("reasoning_content")
    assert f"effort {level}." in thoughts
    raw = sdk.chat.completions.with_raw_response.create(
        model="deepseek-chat",
        messages=MESSAGES,
        reasoning_effort=effort,  # type: ignore[arg-type]
    )
    assert raw.http_response.status_code == 200 and ignored(raw) == {"reasoning_effort"}


@pytest.mark.parametrize("stream", [False, True])
def test_n_choices_are_returned_and_billed(
    server: Server, make_account: Callable[..., Account], stream: bool
) -> None:
    acc = make_account(credits=1000)
    client = OpenAI(api_key=acc.key, base_url=server.url + "/v1", max_retries=0)
    one = client.chat.completions.create(model="deepseek-chat", messages=MESSAGES)
    assert one.usage is not None
    if stream:
        chunks = list(
            client.chat.completions.create(
                model="deepseek-chat",
                messages=MESSAGES,
                n=3,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        texts = ["", "", ""]
        for chunk in chunks:
            for choice in chunk.choices:
                texts[choice.index] += choice.delta.content or ""
        usage = chunks[-1].usage
        assert texts == [one.choices[0].message.content] * 3
    else:
        three = client.chat.completions.create(model="deepseek-chat", messages=MESSAGES, n=3)
        assert [c.index for c in three.choices] == [0, 1, 2]
        assert {c.message.content for c in three.choices} == {one.choices[0].message.content}
        usage = three.usage
    assert usage is not None and usage.completion_tokens == 3 * one.usage.completion_tokens
    with server.client(acc.key) as c:
        balance = c.get("/api/v1/account").json()["data"]["balance"]
    cost = chat_cost(MODEL, usage.prompt_tokens, usage.completion_tokens)
    first = chat_cost(MODEL, one.usage.prompt_tokens, one.usage.completion_tokens)
    assert balance == 1000 - first - cost
    client.close()


# ── through an OpenAI-compatible upstream ──────────────────────────────────────────────


@pytest.fixture
async def upstream(tmp_path: Path) -> AsyncIterator[tuple[FakeOpenAI, Server]]:
    async with FakeOpenAI(token="sk-upstream-budget") as fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "fake-openai"
adapter = "openai"
base_url = "{fake.url}"
credential_env = "FAKE_OPENAI_KEY"
[channels.options]
reasoning_effort = true
[channels.models]
gemini = "gemini-3-flash"
deepseek-chat = "deepseek-chat"
"""
        )
        admin_key = generate_key()
        env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            FAKE_OPENAI_KEY="sk-upstream-budget",
        )
        server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=env).start)
        server.admin_key = admin_key  # type: ignore[attr-defined]
        try:
            yield fake, server
        finally:
            await asyncio.to_thread(server.stop)


def _client(server: Server) -> OpenAI:
    return OpenAI(
        api_key=server.admin_key,  # type: ignore[attr-defined]
        base_url=server.url + "/v1",
        max_retries=0,
    )


async def test_every_property_passes_through_an_openai_compatible_upstream(
    upstream: tuple[FakeOpenAI, Server],
) -> None:
    fake, server = upstream
    client = _client(server)
    sent = extra(PROPERTIES)
    for stream in (False, True):
        raw = await asyncio.to_thread(
            client.chat.completions.with_raw_response.create,
            model="gemini",
            messages=sent["messages"],
            stream=stream,
            extra_body={k: v for k, v in sent.items() if k != "messages"},
        )
        assert raw.http_response.status_code == 200
        if stream:
            await asyncio.to_thread(lambda: list(raw.parse()))  # noqa: B023
        assert ignored(raw) == set()
        seen = fake.requests[-1]
        for name, value in sent.items():
            if name == "reasoning_effort":
                assert seen[name] == "low"  # "none" onto gemini's levels
            elif name == "stream_options":  # sent upstream only with stream, usage forced
                assert not stream or seen[name] == {**value, "include_usage": True}
            else:
                assert seen[name] == value, name
        assert seen["model"] == "gemini-3-flash"
    client.close()


async def test_reasoning_effort_is_dropped_for_a_model_without_reasoning(
    upstream: tuple[FakeOpenAI, Server],
) -> None:
    fake, server = upstream
    client = _client(server)
    raw = await asyncio.to_thread(
        client.chat.completions.with_raw_response.create,
        model="deepseek-chat",
        messages=MESSAGES,
        reasoning_effort="medium",
        n=2,
        logprobs=True,
    )
    assert ignored(raw) == {"reasoning_effort"}
    seen = fake.requests[-1]
    assert "reasoning_effort" not in seen and seen["n"] == 2 and seen["logprobs"] is True
    completion = raw.parse()
    assert len(completion.choices) == 2 and completion.choices[1].logprobs is None
    client.close()
    assert json.dumps(seen)  # what the upstream saw is plain JSON
