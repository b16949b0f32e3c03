"""POST /v1/responses through the official openai SDK on both base URLs (the sandbox),
each answer and stream event validated against OpenAI's schemas."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jsonschema
import openai
import pytest
from openai import OpenAI

from tests.conftest import Account
from tests.support.openai_request import resolve
from tests.support.openai_schema import validate, validate_error
from tests.support.server import Server

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def validate_event(event: dict[str, Any]) -> None:
    """An event against its own schema among ResponseStreamEvent's alternatives."""
    validate(EVENT_SCHEMAS[event["type"]], event)


def _event_schemas() -> dict[str, str]:
    out: dict[str, str] = {}
    for ref in resolve({"$ref": "#/components/schemas/ResponseStreamEvent"})["anyOf"]:
        name = ref["$ref"].rsplit("/", 1)[1]
        for kind in resolve(ref)["properties"]["type"].get("enum", ()):
            out[kind] = name
    return out


EVENT_SCHEMAS = _event_schemas()


@pytest.fixture(params=["/api/v1", "/v1"])
def sdk(
    request: pytest.FixtureRequest, server: Server, make_account: Callable[..., Account]
) -> Iterator[OpenAI]:
    acc = make_account(credits=10_000)
    client = OpenAI(api_key=acc.key, base_url=server.url + request.param, max_retries=0)
    yield client
    client.close()


def test_text_answer_matches_the_spec_and_is_stored(sdk: OpenAI) -> None:
    raw = sdk.responses.with_raw_response.create(
        model="gemini",
        input="Compare image and video model routes for a launch.",
        instructions="Answer briefly.",
        metadata={"ticket": "42"},
        include=[],
    )
    body = json.loads(raw.content)
    validate("Response", body)
    response = raw.parse()
    assert response.status == "completed" and response.object == "response"
    assert response.output_text.startswith("Sandbox reply to:")
    assert response.metadata == {"ticket": "42"} and response.instructions == "Answer briefly."
    usage = response.usage
    assert usage is not None and usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert isinstance(body["credits_consumed"], int) and body["credits_consumed"] >= 1
    assert int(raw.headers["x-credits-consumed"]) == body["credits_consumed"]

    again = sdk.responses.retrieve(response.id)
    assert again.id == response.id and again.output_text == response.output_text
    items = sdk.responses.input_items.list(response.id)
    validate("ResponseItemList", items.model_dump(exclude_unset=True, by_alias=True))
    texts = [part.text for item in items.data for part in item.content]  # type: ignore[union-attr]
    assert texts == ["Compare image and video model routes for a launch."]

    sdk.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError) as gone:
        sdk.responses.retrieve(response.id)
    validate_error(gone.value.response.json(), 404)


def test_store_false_keeps_nothing(sdk: OpenAI) -> None:
    response = sdk.responses.create(model="gemini", input="hello", store=False)
    assert response.output_text
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(response.id)


def test_json_schema_format(sdk: OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    response = sdk.responses.create(
        model="gemini",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "Describe a person"}]}],
        text={
            "format": {"type": "json_schema", "name": "person", "schema": schema, "strict": True}
        },
    )
    validate("Response", response.model_dump(exclude_unset=True, by_alias=True))
    jsonschema.validate(json.loads(response.output_text), schema)
    assert response.text is not None and response.text.format.type == "json_schema"  # type: ignore[union-attr]


def test_function_tools_over_two_turns(sdk: OpenAI) -> None:
    first = sdk.responses.create(
        model="gemini",
        input="Please call get_weather for Paris",
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice="auto",
    )
    validate("Response", first.model_dump(exclude_unset=True, by_alias=True))
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather"
    assert json.loads(calls[0].arguments) == {"city": "Paris"}
    second = sdk.responses.create(
        model="gemini",
        previous_response_id=first.id,
        input=[
            {
                "type": "function_call_output",
                "call_id": calls[0].call_id,
                "output": '{"temp_c": 21}',
            }
        ],
        tools=[WEATHER],  # type: ignore[list-item]
    )
    assert second.previous_response_id == first.id
    assert second.output_text == 'The tool returned: {"temp_c": 21}'


def test_previous_response_of_another_account_is_404(
    sdk: OpenAI, server: Server, make_account: Callable[..., Account]
) -> None:
    mine = sdk.responses.create(model="gemini", input="a secret of mine")
    other = make_account(credits=1000)
    stranger = OpenAI(api_key=other.key, base_url=str(sdk.base_url), max_retries=0)
    for call in (
        lambda: stranger.responses.retrieve(mine.id),
        lambda: stranger.responses.delete(mine.id),
        lambda: stranger.responses.input_items.list(mine.id),
        lambda: stranger.responses.create(
            model="gemini", input="go on", previous_response_id=mine.id
        ),
    ):
        with pytest.raises(openai.NotFoundError):
            call()
    assert sdk.responses.retrieve(mine.id).id == mine.id


def test_stream_events_in_order(sdk: OpenAI) -> None:
    with sdk.responses.stream(
        model="gemini",
        input="Compare image and video model routes for a launch.",
        reasoning={"effort": "low", "summary": "auto"},
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    assert [e.sequence_number for e in events] == list(range(len(events)))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text.startswith("Sandbox reply to:") and final.output_text == text
    message_at = kinds.index("response.content_part.added")
    assert kinds[message_at - 1] == "response.output_item.added"
    assert kinds[-4:-1] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
    ]
    summaries = [e for e in events if e.type == "response.reasoning_summary_text.delta"]
    assert summaries and final.output[0].type == "reasoning"
    assert final.usage is not None and final.usage.output_tokens > 0
    assert sdk.responses.retrieve(final.id).output_text == text
    plain = sdk.responses.create(
        model="gemini", input="Compare image and video model routes for a launch."
    )
    assert plain.output_text == text


def test_stream_function_call_events(sdk: OpenAI) -> None:
    with sdk.responses.stream(
        model="gemini",
        input="Please call get_weather for Paris",
        tools=[WEATHER],  # type: ignore[list-item]
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [e.type for e in events]
    assert "response.function_call_arguments.delta" in kinds
    done = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert len(done) == 1 and json.loads(done[0].arguments) == {"city": "Paris"}
    assert final.output[-1].type == "function_call"


def wire_events(server: Server, key: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The raw SSE events of a streamed response, each checked against its own schema."""
    events: list[dict[str, Any]] = []
    with (
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as http,
        http.stream("POST", "/v1/responses", json={**body, "stream": True}) as answer,
    ):
        assert answer.status_code == 200
        kind = None
        for line in answer.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                event = json.loads(line[6:])
                assert event["type"] == kind
                validate_event(event)
                events.append(event)
    return events


@pytest.mark.parametrize(
    "body",
    [
        {"input": "Compare routes", "reasoning": {"summary": "auto"}},
        {"input": "Please call get_weather for Paris", "tools": [WEATHER]},
    ],
)
def test_wire_events_match_the_spec(
    server: Server, make_account: Callable[..., Account], body: dict[str, Any]
) -> None:
    acc = make_account(credits=1000)
    events = wire_events(server, acc.key, {"model": "gemini", **body})
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[-1]["type"] == "response.completed"
    validate("Response", events[-1]["response"])


def test_unknown_and_ignored_properties(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {acc.key}"}) as http:
        bad = http.post("/v1/responses", json={"model": "gemini", "input": "hi", "wizardry": 1})
        assert bad.status_code == 400
        validate_error(bad.json(), 400)
        assert bad.json()["error"]["param"] == "wizardry"
        ok = http.post(
            "/v1/responses",
            json={"model": "gemini", "input": "hi", "truncation": "auto", "background": False},
        )
        assert ok.status_code == 200, ok.text
        assert "truncation" in ok.headers["x-ignored-params"].split(", ")
        for body in (
            {"model": "gemini"},
            {"model": "gemini", "input": [{"type": "web_search_call"}]},
            {"model": "gemini", "input": "hi", "tools": [{"type": "web_search"}]},
            {"model": "gemini", "input": 7},
            {"model": "gemini", "input": "hi", "previous_response_id": 5},
            {"model": "gemini", "input": [{"role": "wizard", "content": "x"}]},
            {"model": "gemini", "input": "hi", "stream": "yes"},
            {"model": "gemini", "input": "hi", "store": 1},
            {"model": "gemini", "input": ["hi"]},
            {"model": "gemini", "input": [{"role": "user", "content": None}]},
            {"model": "gemini", "input": [{"role": "user", "content": [{"type": "input_file"}]}]},
            {"model": "gemini", "input": [{"type": "function_call", "call_id": 1}]},
            {"model": "gemini", "input": "hi", "text": {"format": {"type": "yaml"}}},
            {"model": "gemini", "input": "hi", "tool_choice": {"type": "mcp"}},
            {"model": "gemini", "input": "hi", "reasoning": "high"},
            {"model": "gemini", "input": "hi", "max_output_tokens": -1},
        ):
            refused = http.post("/v1/responses", json=body)
            assert refused.status_code == 400, (body, refused.text)
            validate_error(refused.json(), 400)
        missing = http.post(
            "/v1/responses",
            json={"model": "gemini", "input": "hi", "previous_response_id": "resp_x"},
        )
        assert missing.status_code == 404
        assert missing.json()["error"]["param"] == "previous_response_id"


def test_a_model_without_reasoning_names_the_effort_ignored(sdk: OpenAI) -> None:
    raw = sdk.responses.with_raw_response.create(
        model="deepseek-chat", input="hello", reasoning={"effort": "high"}
    )
    response = raw.parse()
    assert response.status == "completed" and response.output_text
    assert [item.type for item in response.output] == ["message"]
    assert "reasoning.effort" in raw.headers["x-ignored-params"].split(", ")
