"""Helpers of the authorization matrix: the app's routes, a webhook receiver, role clients."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from starlette.routing import Mount

from apiinone.app import create_app
from apiinone.settings import Settings
from tests.dashboard.web import browser, submit, token_of

__all__ = [
    "Receiver",
    "app_routes",
    "fill",
    "session",
]

_PLACEHOLDER = re.compile(r"\{(\w+)(?::\w+)?\}")


def _walk(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI >= 0.16x keeps included routers as branches
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            yield "GET", prefix + route.path + "/{path}"
        else:
            for method in sorted(getattr(route, "methods", None) or ()):
                yield method, prefix + route.path


def app_routes(data_dir: Path) -> set[tuple[str, str]]:
    """Every (method, path template) the app serves: API, dashboard, mounts (not opened)."""
    app = create_app(Settings(data_dir=data_dir))
    return set(_walk(app.routes))


def fill(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every ``{name}`` (or ``{name:path}``) replaced from ``ids``."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: ids[m.group(1)], value)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def session(base_url: str, key: str) -> tuple[httpx.Client, str]:
    """A browser signed in with an unrestricted API key, and its session's CSRF token."""
    client = browser(base_url)
    response = submit(client, "/login", "/login/key", {"key": key})
    assert response.status_code == 303, response.text
    return client, token_of(client.get("/account").text)


class Receiver:
    """Webhook receiver on loopback: answers every POST with 204 and counts them."""

    def __init__(self) -> None:
        owner = self
        self.hits = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                owner.hits += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
