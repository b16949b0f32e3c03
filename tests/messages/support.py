"""Checks shared by the Messages tests: what we send, validated by the anthropic SDK's own
(pydantic) types with strict validation, and the ledger rows of a message."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from anthropic.types import Message, MessageTokensCount, RawMessageStreamEvent
from anthropic.types.shared import ErrorResponse
from pydantic import TypeAdapter

EVENT: TypeAdapter[Any] = TypeAdapter(RawMessageStreamEvent)


def strict_message(body: dict[str, Any]) -> Message:
    return Message.model_validate(body, strict=True)


def strict_count(body: dict[str, Any]) -> MessageTokensCount:
    return MessageTokensCount.model_validate(body, strict=True)


def strict_error(body: dict[str, Any]) -> ErrorResponse:
    return ErrorResponse.model_validate(body, strict=True)


def parse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """``(event name, data)`` of every event of an SSE body; each data is checked against
    the SDK's stream event types (errors against its error type, pings by hand) and names its event."""
    out = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        name, data = lines["event"], orjson.loads(lines["data"])
        assert data["type"] == name
        if name == "error":
            strict_error(data)
        elif name == "ping":  # the SDK skips pings; it has no type for them
            assert data == {"type": "ping"}
        else:
            EVENT.validate_python(data, strict=True)
        out.append((name, data))
    return out


def ledger(c: httpx.Client, message_id: str) -> list[tuple[str, int, int]]:
    """The rows of a message's hold: its task id is ``chatcmpl-`` + the id after ``msg_``."""
    task_id = "chatcmpl-" + message_id.removeprefix("msg_")
    items = c.get("/api/v1/usage", params={"task_id": task_id}).json()["data"]["items"]
    return [(r["kind"], r["amount"], r["held_delta"]) for r in reversed(items)]
