"""The shared event-stream decoder: the same events however the bytes are cut."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiinone.providers.chat import UpstreamFailure
from apiinone.providers.sse import MAX_EVENT_BYTES, SseDecoder

STREAM = (
    b": a comment\n\n"
    b'data: {"a": 1}\n\n'
    b"event: message\r\n"
    b"id: 7\r\n"
    b'data:{"b":\r\n'
    b"data: 2}\r\n\r\n"
    b"data: [DONE]\n\n"
)
EVENTS = [b'{"a": 1}', b'{"b":\n2}', b"[DONE]"]


def decode(decoder: SseDecoder, raw: bytes, cuts: list[int]) -> list[bytes]:
    events: list[bytes] = []
    start = 0
    for cut in [*sorted(cuts), len(raw)]:
        events += decoder.feed(raw[start:cut])
        start = cut
    return events + decoder.close()


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_the_events_do_not_depend_on_where_the_reads_end(cuts: list[int]) -> None:
    assert decode(SseDecoder(), STREAM, cuts) == EVENTS


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_each_line_makes_every_data_line_an_event(cuts: list[int]) -> None:
    raw = b'data: {"a": 1}\ndata: {"b": 2}\n: note\ndata: [DONE]'  # no blank lines, no last \n
    assert decode(SseDecoder(each_line=True), raw, cuts) == [b'{"a": 1}', b'{"b": 2}', b"[DONE]"]


def test_an_event_without_its_blank_line_ends_at_close() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: last") == []
    assert decoder.close() == [b"last"]
    assert decoder.close() == []


def test_an_endless_line_or_event_fails_the_stream() -> None:
    decoder = SseDecoder(each_line=True)
    with pytest.raises(UpstreamFailure, match="too large"):
        for _ in range(MAX_EVENT_BYTES // 65536 + 1):
            decoder.feed(b"x" * 65536)
    decoder = SseDecoder()
    line = b"data: " + b"y" * (1024 * 1024) + b"\n"
    with pytest.raises(UpstreamFailure, match="too large"):
        for _ in range(17):
            decoder.feed(line)
