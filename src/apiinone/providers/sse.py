"""Incremental ``text/event-stream`` decoding for the chat providers: bytes as they arrive in,
the ``data`` of each whole event out.

A provider reads its stream with ``iter_any()`` (one await per network read, however many
events it carries) and feeds each read here; reading line by line costs an await and a buffer
search per line, which for a long stream is most of what relaying a chunk costs. Comments
(``:``) and fields other than ``data`` are skipped; the ``data`` lines of one event are joined
with ``\\n`` (the SSE rule), or with ``each_line`` each ``data`` line is an event of its own
(OpenAI-compatible servers put one JSON object on a line, and some leave out the blank line
between events). An event or a line larger than ``MAX_EVENT_BYTES`` fails the stream instead
of growing without bound.
"""

from __future__ import annotations

from typing import Final

from apiinone.providers.chat import UpstreamFailure

__all__ = ["MAX_EVENT_BYTES", "SseDecoder"]

MAX_EVENT_BYTES: Final = 16 * 1024 * 1024


class SseDecoder:
    __slots__ = ("_data", "_each_line", "_partial", "_size")

    def __init__(self, *, each_line: bool = False) -> None:
        self._each_line = each_line
        self._partial = b""  # the start of a line whose end has not arrived
        self._data: list[bytes] = []  # the data lines of the event being read
        self._size = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """The data of every event ``chunk`` completes, in order."""
        if self._partial:
            chunk = self._partial + chunk
        lines = chunk.split(b"\n")
        self._partial = lines.pop()
        events: list[bytes] = []
        for line in lines:
            self._line(line[:-1] if line.endswith(b"\r") else line, events)
        if self._size + len(self._partial) > MAX_EVENT_BYTES:
            raise UpstreamFailure("the provider sent a stream event that is too large")
        return events

    def close(self) -> list[bytes]:
        """The data of the last event, when the stream ended without its blank line."""
        events: list[bytes] = []
        if self._partial:
            self._line(self._partial.rstrip(b"\r"), events)
            self._partial = b""
        self._line(b"", events)
        return events

    def _line(self, line: bytes, events: list[bytes]) -> None:
        if not line:
            if self._data:
                events.append(self._data[0] if len(self._data) == 1 else b"\n".join(self._data))
                self._data = []
                self._size = 0
            return
        if line[:1] == b":":
            return
        name, _, value = line.partition(b":")
        if name == b"data":
            value = value[1:] if value[:1] == b" " else value
            if self._each_line:
                events.append(value)
                return
            self._data.append(value)
            self._size += len(value)
