"""One Responses request: translate, run it as a chat request, translate the answer back.

Holds, routing, capture from usage and partial-stream billing are the chat core's
(``run_chat``); a stream is the chat stream's chunks re-emitted as Responses events, and a
client that goes away closes the chat stream, which is then billed for what was delivered.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse

from apiinone.auth.principal import Principal
from apiinone.billing.holds import CHAT_HOLD_PREFIX
from apiinone.chat.service import run_chat
from apiinone.errors import InvalidRequest
from apiinone.responses.events import EventWriter
from apiinone.responses.output import finish, items_from, new_id, shell
from apiinone.responses.request import CHAT_NAMES, Translated, to_messages, translate
from apiinone.responses.saved import load_response, save_response
from apiinone.runtime import Runtime
from apiinone.wire import EventStream, FastJSON

__all__ = ["run_responses"]

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
HONOURED_HERE = frozenset({"metadata"})  # kept with the stored response


def _ignored(answer: Response, translated: Translated) -> dict[str, str]:
    names = list(translated.ignored)
    for name in (answer.headers.get("x-ignored-params") or "").split(","):
        name = CHAT_NAMES.get(name.strip(), name.strip())
        if name and name not in HONOURED_HERE and name not in names:
            names.append(name)
    return {"X-Ignored-Params": ", ".join(names)} if names else {}


def _thinks(gateway: Runtime, model: Any) -> bool:
    """Whether the chat model takes ``include_thoughts`` (an unknown one is left to the chat
    core to refuse)."""
    resolved = gateway.catalog.get(model) if isinstance(model, str) else None
    return resolved is not None and "include_thoughts" in resolved.model.params


def _response_id(answer: Mapping[str, Any]) -> str:
    """``resp_`` and the chat completion's token: its ledger rows carry ``chatcmpl-`` and
    the same token as their ``task_id``."""
    completion = str(answer.get("id") or "")
    if completion.startswith(CHAT_HOLD_PREFIX):
        return "resp_" + completion[len(CHAT_HOLD_PREFIX) :]
    return new_id("resp")


def _assistant(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The output items as input items (what a later turn sends back), without reasoning."""
    out: list[dict[str, Any]] = []
    for item in items:
        if item["type"] == "message":
            out.append({"type": "message", "role": "assistant", "content": item["content"]})
        elif item["type"] == "function_call":
            out.append({k: item[k] for k in ("type", "call_id", "name", "arguments")})
    return out


async def run_responses(
    gateway: Runtime, principal: Principal, body: Mapping[str, Any]
) -> Response:
    translated = translate(body)
    previous = body.get("previous_response_id")
    history: list[dict[str, Any]] = []
    if previous is not None:
        if not isinstance(previous, str):
            raise InvalidRequest(
                "'previous_response_id' must be a string", param="previous_response_id"
            )
        stored = await load_response(
            gateway, principal.account_id, previous, param="previous_response_id"
        )
        history = stored.messages
    system = (
        [{"role": "system", "content": translated.instructions}] if translated.instructions else []
    )
    turn = translated.chat["messages"]
    chat = {**translated.chat, "messages": system + history + turn}
    if not _thinks(gateway, chat.get("model")):
        chat.pop("include_thoughts", None)  # the model has no thoughts to give, nor the field
    answer = await run_chat(gateway, principal, chat)
    headers = _ignored(answer, translated)
    store = body.get("store", True) is not False

    async def keep(response: dict[str, Any]) -> None:
        if store and response["status"] != "failed":
            items = _assistant(response["output"])
            messages = history + turn + to_messages(items)
            await save_response(gateway, principal.account_id, response, translated.items, messages)

    if not isinstance(answer, StreamingResponse):
        result = orjson.loads(answer.body)
        choice = (result.get("choices") or [{}])[0]
        response = shell(_response_id(result), result["model"], body, translated, previous=previous)
        items = items_from(choice.get("message") or {}, translated.summary)
        finish(response, items, choice.get("finish_reason"), result.get("usage"))
        response["credits_consumed"] = result.get("credits_consumed")
        await keep(response)
        credits = answer.headers.get("x-credits-consumed")
        if credits is not None:
            headers["X-Credits-Consumed"] = credits
        return FastJSON(response, headers=headers)

    chunks = answer.body_iterator
    model = str(body.get("model"))
    writer = EventWriter(
        shell(new_id("resp"), model, body, translated, previous=previous), translated.summary
    )

    async def events() -> AsyncIterator[bytes]:
        try:
            started = False
            async for raw in chunks:
                data = raw if isinstance(raw, bytes) else str(raw).encode()
                if not data.startswith(b"data: "):
                    yield data  # a keep-alive comment
                    continue
                payload = data[6:].strip()
                chunk = None if payload == b"[DONE]" else orjson.loads(payload)
                if not started:
                    if chunk is not None:
                        writer.response["model"] = chunk.get("model", model)
                        writer.response["id"] = _response_id(chunk)
                    for event in writer.start():
                        yield event
                    started = True
                if chunk is None:
                    for event in writer.complete():
                        yield event
                    await keep(writer.response)
                    return
                if "error" in chunk:
                    for event in writer.failed(chunk["error"]):
                        yield event
                    return
                for event in writer.chunk(chunk):
                    yield event
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(BaseException):
                    await aclose()

    return EventStream(events(), headers={**STREAM_HEADERS, **headers})
