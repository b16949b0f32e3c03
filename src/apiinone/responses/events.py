"""Chat stream chunks re-emitted as the typed Responses events, in OpenAI's order.

``response.created`` and ``response.in_progress`` open the stream; each output item (the
reasoning summary, the assistant message, each function call) is added, streamed by its
deltas and done before the next one is added; ``response.completed`` (or
``response.incomplete``) carries the whole response, ``response.failed`` an upstream failure.
Every event has its ``sequence_number``.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from apiinone.responses.output import (
    call_item,
    message_item,
    new_id,
    output_text,
    reasoning_item,
    status_of,
    usage_from,
)

__all__ = ["EventWriter"]


class EventWriter:
    def __init__(self, response: dict[str, Any], summary: str | None) -> None:
        self.response = response
        self._summary = summary
        self._sequence = 0
        self.items: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None
        self._text: list[str] = []
        self._calls: dict[int, dict[str, Any]] = {}  # chat tool-call index -> its item
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None

    def _event(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"

    def _whole(self) -> dict[str, Any]:
        return copy.deepcopy(self.response)

    def start(self) -> list[bytes]:
        return [
            self._event("response.created", response=self._whole()),
            self._event("response.in_progress", response=self._whole()),
        ]

    def _index(self) -> int:
        return len(self.items) - 1

    def _add(self, item: dict[str, Any]) -> list[bytes]:
        out = self._close()
        self.items.append(item)
        self._open = item
        self._text = []
        out.append(self._event("response.output_item.added", output_index=self._index(), item=item))
        return out

    def _close(self) -> list[bytes]:
        item, self._open = self._open, None
        if item is None:
            return []
        index = self.items.index(item)
        where = {"item_id": item["id"], "output_index": index}
        text = "".join(self._text)
        out: list[bytes] = []
        if item["type"] == "reasoning":
            part = {"type": "summary_text", "text": text}
            item["summary"] = [part]
            out.append(
                self._event(
                    "response.reasoning_summary_text.done", **where, summary_index=0, text=text
                )
            )
            out.append(
                self._event(
                    "response.reasoning_summary_part.done", **where, summary_index=0, part=part
                )
            )
        elif item["type"] == "message":
            part = output_text(text)
            item["content"] = [part]
            item["status"] = "completed"
            out.append(
                self._event(
                    "response.output_text.done", **where, content_index=0, text=text, logprobs=[]
                )
            )
            out.append(
                self._event("response.content_part.done", **where, content_index=0, part=part)
            )
        else:
            item["arguments"] = text
            item["status"] = "completed"
            out.append(
                self._event(
                    "response.function_call_arguments.done",
                    **where,
                    name=item["name"],
                    arguments=text,
                )
            )
        out.append(self._event("response.output_item.done", output_index=index, item=item))
        return out

    def chunk(self, chunk: dict[str, Any]) -> list[bytes]:
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        out: list[bytes] = []
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            thought = delta.get("reasoning_content")
            if thought and self._summary is not None:
                out += self._delta("reasoning", thought)
            if delta.get("content"):
                out += self._delta("message", delta["content"])
            for call in delta.get("tool_calls") or ():
                out += self._call(call)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return out

    def _delta(self, kind: str, text: str) -> list[bytes]:
        out: list[bytes] = []
        if self._open is None or self._open["type"] != kind:
            if kind == "reasoning":
                item = reasoning_item(new_id("rs"), None)
                out += self._add(item)
                part = {"type": "summary_text", "text": ""}
                out.append(
                    self._event(
                        "response.reasoning_summary_part.added",
                        item_id=item["id"],
                        output_index=self._index(),
                        summary_index=0,
                        part=part,
                    )
                )
            else:
                item = message_item(new_id("msg"), None, "in_progress")
                out += self._add(item)
                out.append(
                    self._event(
                        "response.content_part.added",
                        item_id=item["id"],
                        output_index=self._index(),
                        content_index=0,
                        part=output_text(""),
                    )
                )
        assert self._open is not None
        self._text.append(text)
        where = {"item_id": self._open["id"], "output_index": self._index()}
        if kind == "reasoning":
            out.append(
                self._event(
                    "response.reasoning_summary_text.delta", **where, summary_index=0, delta=text
                )
            )
        else:
            out.append(
                self._event(
                    "response.output_text.delta", **where, content_index=0, delta=text, logprobs=[]
                )
            )
        return out

    def _call(self, call: dict[str, Any]) -> list[bytes]:
        out: list[bytes] = []
        index = int(call.get("index", 0))
        function = call.get("function") or {}
        item = self._calls.get(index)
        if item is None:
            item = call_item(
                new_id("fc"), call.get("id") or new_id("call"), function.get("name") or "", ""
            )
            item["status"] = "in_progress"
            self._calls[index] = item
            out += self._add(item)
        arguments = function.get("arguments")
        if arguments and item is self._open:
            self._text.append(arguments)
            out.append(
                self._event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=self._index(),
                    delta=arguments,
                )
            )
        return out

    def complete(self) -> list[bytes]:
        out = self._close()
        status, details = status_of(self.finish_reason)
        self.response.update(status=status, incomplete_details=details, output=self.items)
        if self.usage is not None:
            self.response["usage"] = usage_from(self.usage)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        out.append(self._event(kind, response=self._whole()))
        return out

    def failed(self, error: dict[str, Any]) -> list[bytes]:
        out = self._close()
        self.response.update(
            status="failed",
            output=self.items,
            error={"code": "server_error", "message": str(error.get("message", ""))},
        )
        out.append(self._event("response.failed", response=self._whole()))
        return out
