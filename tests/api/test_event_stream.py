"""The event-stream answer at the ASGI boundary: a client that goes away stops the body where
it waits and ends the answer quietly; any other cancellation still propagates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from apiinone.wire import EventStream

SCOPE: dict[str, Any] = {"type": "http", "method": "POST", "path": "/v1/chat/completions"}


class Client:
    """The server's side of one connection: what was sent, and a disconnect to trigger."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.gone = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def body_of(client: Client) -> bytes:
    return b"".join(m.get("body", b"") for m in client.sent if m["type"] == "http.response.body")


async def test_a_whole_stream_is_sent_and_nothing_is_left_running() -> None:
    async def events() -> AsyncIterator[bytes]:
        for n in range(3):
            await asyncio.sleep(0)
            yield b"data: %d\n\n" % n

    client = Client()
    before = len(asyncio.all_tasks())
    await EventStream(events())(SCOPE, client.receive, client.send)
    assert body_of(client) == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert client.sent[0]["type"] == "http.response.start"
    assert (b"content-type", b"text/event-stream; charset=utf-8") in client.sent[0]["headers"]
    assert client.sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == before  # the disconnect listener is gone


async def test_a_client_that_goes_away_cancels_the_body_where_it_waits() -> None:
    seen: list[str] = []
    upstream = asyncio.Event()

    async def events() -> AsyncIterator[bytes]:
        yield b"data: first\n\n"
        try:
            await upstream.wait()  # the upstream is silent
            yield b"data: never\n\n"
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    client = Client()
    answer = asyncio.ensure_future(EventStream(events())(SCOPE, client.receive, client.send))
    await asyncio.sleep(0.01)
    client.gone.set()
    await asyncio.wait_for(answer, 5)  # ends quietly: no error for the server to log
    assert seen == ["cancelled"]
    assert body_of(client) == b"data: first\n\n"
    assert not answer.cancelled()


async def test_a_cancellation_from_elsewhere_still_cancels_the_answer() -> None:
    async def events() -> AsyncIterator[bytes]:
        yield b"data: first\n\n"
        await asyncio.Event().wait()
        yield b"data: never\n\n"

    client = Client()
    answer = asyncio.ensure_future(EventStream(events())(SCOPE, client.receive, client.send))
    await asyncio.sleep(0.01)
    answer.cancel()  # the server stopping, say
    with pytest.raises(asyncio.CancelledError):
        await answer
    assert answer.cancelled()
