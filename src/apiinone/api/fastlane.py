"""The busiest routes answered below the framework's router: the hot path as one ASGI step.

Chat completions, task submissions and task polling carry almost all of a gateway's
traffic. They are still declared as FastAPI routes (for the OpenAPI document, and as the
path every other request takes), but this layer answers them first, skipping routing over
a hundred routes, dependency resolution and the framework's per-request bookkeeping —
about a quarter of the CPU of a chat request (docs/benchmarks.md). It runs inside the
gateway's own layers (app.py), so request ids, the body limit, rate-limit headers,
idempotency keys and price overrides apply as for every route, and outside FastAPI's.
Each handler does exactly what its route does (authenticate, read the body as a JSON
object, call the same service function, render the same answer), and errors leave as the
usual error JSON, an unexpected one as a logged 500. Anything it does not recognise
exactly (an odd method, a malformed id) goes on to the framework. A request that carries an
Idempotency-Key arrives authenticated and counted against its rate limit already (by the
idempotency layer, which must authorize before it replays): ``authenticate`` hands back that
principal, so every request is authenticated and counted once, whichever path answers it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from apiinone.api.deps import authenticate, parse_json_object
from apiinone.api.envelope import envelope
from apiinone.api.errors import error_response, unexpected_response
from apiinone.api.routes.generate import ASYNC_ENDPOINTS
from apiinone.auth.principal import Principal
from apiinone.chat.service import run_chat
from apiinone.errors import APIError
from apiinone.gateway import Gateway
from apiinone.tasks.control import load_task
from apiinone.tasks.submit import create_task
from apiinone.tasks.task_object import created_envelope_data, ignored_params, task_object

__all__ = ["FastLane"]

# (request, gateway, principal, path, body): the body is parsed before authentication, in
# the order the framework resolves the routes' dependencies, so that both answer alike.
Handler = Callable[[Request, Gateway, Principal, str, Any], Awaitable[Response]]
TASKS_PREFIX = "/api/v1/tasks/"


async def _chat(
    request: Request, gateway: Gateway, principal: Principal, path: str, body: Any
) -> Response:
    return await run_chat(gateway, principal, body)


async def _submit(
    request: Request, gateway: Gateway, principal: Principal, path: str, body: Any
) -> Response:
    row = await create_task(gateway, principal, path, body)
    return envelope(created_envelope_data(row), status_code=202, headers=ignored_params(row))


async def _get_task(
    request: Request, gateway: Gateway, principal: Principal, path: str, body: Any
) -> Response:
    row = await load_task(gateway, principal.account_id, path[len(TASKS_PREFIX) :])
    base = gateway.settings.public_base_url or str(request.base_url)
    return envelope(task_object(row, base))


POSTS: dict[str, Handler] = {
    "/v1/chat/completions": _chat,
    "/api/v1/chat/completions": _chat,
    **{"/api/v1" + path: _submit for path in ASYNC_ENDPOINTS},
}


def _handler(scope: Scope) -> Handler | None:
    path: str = scope["path"]
    method = scope["method"]
    if method == "POST":
        return POSTS.get(path)
    if method == "GET" and path.startswith(TASKS_PREFIX):
        task_id = path[len(TASKS_PREFIX) :]
        if 0 < len(task_id) <= 64 and "/" not in task_id:
            return _get_task
    return None


class FastLane:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = _handler(scope) if scope["type"] == "http" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        gateway: Any = scope["app"].state.gateway
        try:
            body = (
                parse_json_object(await request.body(), max_depth=gateway.settings.max_json_depth)
                if scope["method"] == "POST"
                else None
            )
            principal = await authenticate(request, gateway)
            response = await handler(request, gateway, principal, scope["path"], body)
        except APIError as error:
            response = error_response(error)
        except Exception as exc:
            response = unexpected_response(scope, exc)
        await response(scope, receive, send)
