"""The HTTP/1.1 protocol the server runs: uvicorn's httptools protocol with a deadline on
request headers.

uvicorn times a connection out only while it is idle after an answer (``timeout_keep_alive``);
a new connection that sends nothing, or sends its headers a byte at a time, is held for as
long as the client likes, and enough of them exhaust the server's sockets. Here a request's
headers must be complete within ``header_timeout_seconds`` of the connection opening (its
first request) or of the request's first byte (the next ones on a kept-alive connection).
When the time is up the connection is closed, with a 408 in the error JSON if the request
had begun (and no earlier answer is still being written on it). The body's own deadline
(``body_timeout_seconds``) is the request layer's (``api/middleware.py``), where a 408 can
be answered through the application.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, cast

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from apiinone.errors import RequestTimeout

__all__ = ["HeaderDeadlineProtocol", "protocol_factory"]


class HeaderDeadlineProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None
        self._in_headers = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        if self._header_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        previous = self.cycle
        if self._in_headers and (previous is None or previous.response_complete):
            error = RequestTimeout(
                f"The request headers did not arrive within {self.header_timeout:g} seconds"
            )
            body = orjson.dumps(error.body())
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\n"
                b"content-type: application/json\r\n"
                b"content-length: " + str(len(body)).encode() + b"\r\n"
                b"connection: close\r\n\r\n" + body
            )
        self.transport.close()


def protocol_factory(header_timeout: float) -> type[asyncio.Protocol]:
    """What ``uvicorn.run(http=...)`` takes: uvicorn calls it with its config and state for
    each connection (a ``partial``, so that worker processes can receive it pickled)."""
    return cast(
        "type[asyncio.Protocol]", partial(HeaderDeadlineProtocol, header_timeout=header_timeout)
    )
