"""Real loopback servers for client tests: a proxy that misbehaves on cue in front of the
gateway, and a webhook receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    idempotency_key: str | None
    answered: int | None  # None: the connection was dropped


@dataclass
class FlakyProxy:
    """Forwards to ``upstream``; requests that ``match`` take the next action of ``script``:

    ``"pass"`` forward; ``"503"`` answer 503 (Retry-After: 0) without forwarding;
    ``"forward-503"`` forward, then lose the answer and say 503; ``"forward-drop"`` forward,
    then close the connection without answering; ``"429:N"`` answer 429 with Retry-After N;
    ``"404"`` answer a 404 error body.
    """

    upstream: str
    script: list[str] = field(default_factory=list)
    match: Callable[[str, str], bool] = lambda method, path: method == "POST"
    seen: list[Seen] = field(default_factory=list)  # recorded before the answer is sent
    url: str = ""

    def _next_action(self, method: str, path: str) -> str:
        if self.match(method, path) and self.script:
            return self.script.pop(0)
        return "pass"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                action = proxy._next_action(self.command, self.path)
                key = self.headers.get("idempotency-key")
                if action == "503":
                    proxy.seen.append(Seen(self.command, self.path, key, 503))
                    self._answer(503, {"retry-after": "0"}, _error(503, "service_unavailable"))
                    return
                if action.startswith("429:"):
                    headers = {"retry-after": action.split(":", 1)[1]}
                    proxy.seen.append(Seen(self.command, self.path, key, 429))
                    self._answer(429, headers, _error(429, "rate_limit"))
                    return
                if action == "404":
                    proxy.seen.append(Seen(self.command, self.path, key, 404))
                    self._answer(404, {}, _error(404, "not_found"))
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = httpx.request(
                    self.command,
                    proxy.upstream + self.path,
                    headers=headers,
                    content=body,
                    timeout=60,
                )
                if action == "forward-503":
                    proxy.seen.append(Seen(self.command, self.path, key, 503))
                    self._answer(503, {"retry-after": "0"}, _error(503, "service_unavailable"))
                    return
                if action == "forward-drop":
                    proxy.seen.append(Seen(self.command, self.path, key, None))
                    self.close_connection = True  # closed with nothing written
                    return
                kept = {
                    k: v
                    for k, v in upstream.headers.items()
                    if k.lower() not in HOP_BY_HOP | {"content-encoding"}
                }
                proxy.seen.append(Seen(self.command, self.path, key, upstream.status_code))
                self._answer(upstream.status_code, kept, upstream.content)

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

        return Handler


def _error(status: int, kind: str) -> bytes:
    return (
        f'{{"error": {{"code": {status}, "message": "proxy says {status}", '
        f'"type": "{kind}", "param": null}}}}'
    ).encode()


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def flaky_proxy(upstream: str, *script: str, **kwargs: object) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(upstream, list(script), **kwargs)  # type: ignore[arg-type]
    with serving(proxy.handler()) as url:
        proxy.url = url
        yield proxy


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[Delivery]]]:
    """A loopback endpoint that records every POST and answers 204."""
    received: list[Delivery] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            received.append(Delivery(dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

    with serving(Handler) as url:
        yield url + "/hook", received


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
