"""The busiest routes answered below the framework's router: the hot path as one ASGI step.

Chat completions, task submissions and task polling carry almost all of a gateway's
traffic. They are FastAPI routes like every other (for the OpenAPI document, and as the
path every other request takes), marked to be answered first by this layer, which skips
routing over a hundred routes, dependency resolution and the framework's per-request
bookkeeping — about a quarter of the CPU of a chat request (docs/benchmarks.md).

A route is marked on its own line, above its decorator (or on the function that
``add_api_route`` registers)::

    @fast_lane
    @router.post("/v1/chat/completions", summary="Chat completion")
    async def chat_openai(body: JSONBody, principal: CurrentPrincipal) -> Response:

The mark is all there is: the lane keeps no list of paths. When the gateway starts (its
lifespan, app.py) ``FastLaneRoutes.load`` walks ``app.routes`` as FastAPI resolved them —
path templates with their routers' prefixes, methods, and the endpoint's dependencies with
the routers' own — and plans each marked route: its dependencies in the order FastAPI runs
them, each once per request as FastAPI caches it, each called with the request and the
values of its own dependencies, then the route's own endpoint with the same arguments the
framework would pass. The lane runs only the dependencies in ``RUNS`` (the gateway,
authentication, the JSON body) and path parameters that are plain strings with at most a
length limit. A marked route that needs anything else — another ``Depends``, a query,
header or cookie parameter, a body model, a ``yield`` dependency, an endpoint that does not
return a ``Response``, an earlier route that could take its requests — stops the start
with ``FastLaneConfigurationError`` naming the route and what it needs, instead of being
answered without it. Everything is resolved then: a request costs a look-up in the path
table, the route's calls and nothing else.

It runs inside the gateway's own layers (app.py), so request ids, the body limit,
rate-limit headers, idempotency keys and price overrides apply as for every route, and
outside FastAPI's. Errors leave as the usual error JSON, an unexpected one as a logged
500. Anything it does not recognise exactly (an unmarked path, another method, a path
parameter over its limit) goes on to the framework, which answers it as it always does. A
request that carries an Idempotency-Key arrives authenticated and counted against its rate
limit already (by the idempotency layer, which must authorize before it replays):
``authenticate`` hands back that principal, so every request is authenticated and counted
once, whichever path answers it.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, TypeVar

from annotated_types import MaxLen, MinLen
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.convertors import StringConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from apiinone.api.deps import authenticate, get_gateway, json_body
from apiinone.api.errors import error_response, unexpected_response
from apiinone.errors import APIError

__all__ = [
    "RUNS",
    "FastLane",
    "FastLaneConfigurationError",
    "FastLaneRoutes",
    "fast_lane",
    "is_marked",
]

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
MARK = "__fast_lane__"

# The dependencies the lane runs, each called as FastAPI calls it (with the request and the
# values of its own dependencies). A marked route that depends on anything else does not
# start: add the dependency here once it is cheap enough for the hot path.
RUNS: frozenset[Callable[..., Any]] = frozenset({get_gateway, authenticate, json_body})

# What a dependant may carry besides its dependencies and the request.
UNSUPPORTED = {
    "query_params": "a query parameter",
    "header_params": "a header parameter",
    "cookie_params": "a cookie parameter",
    "body_params": "a body model",
    "websocket_param_name": "a WebSocket",
    "http_connection_param_name": "an HTTPConnection",
    "response_param_name": "a Response parameter",
    "background_tasks_param_name": "background tasks",
    "security_scopes_param_name": "security scopes",
    "own_oauth_scopes": "OAuth scopes",
    "concurrency": "a concurrency limit",
}
# A request's values, by slot: the request, its path parameters, then each call's result.
REQUEST = 0


def fast_lane(endpoint: Endpoint) -> Endpoint:
    """Mark a route's endpoint to be answered by the fast lane (see the module docstring)."""
    setattr(endpoint, MARK, True)
    return endpoint


def is_marked(endpoint: object) -> bool:
    return getattr(endpoint, MARK, False) is True


class FastLaneConfigurationError(RuntimeError):
    """A marked route needs something the fast lane does not do; the gateway does not start."""


Invoke = Callable[[list[Any]], Awaitable[Any]]  # one call, its arguments from a request's values


def _invoker(call: Callable[..., Awaitable[Any]], args: list[tuple[str, int]]) -> Invoke:
    """``call`` with the arguments ``args`` names, taken from a request's values by slot:
    positionally, in the order of its signature, when it takes them so (the cheapest call
    per request), else by keyword."""
    by_name = dict(args)
    params = list(inspect.signature(call).parameters.values())
    if {p.name for p in params} != set(by_name) or any(
        p.kind is not p.POSITIONAL_OR_KEYWORD for p in params
    ):
        names, slots = tuple(by_name), tuple(by_name.values())
        return lambda values: call(**{n: values[s] for n, s in zip(names, slots, strict=True)})
    order = [by_name[p.name] for p in params]
    if not order:
        return lambda values: call()
    if len(order) == 1:
        only = order[0]
        return lambda values: call(values[only])
    get = itemgetter(*order)
    return lambda values: call(*get(values))


@dataclass(frozen=True, slots=True)
class PathParam:
    name: str  # in the path template and the endpoint's signature alike
    min_length: int
    max_length: int | None


@dataclass(frozen=True, slots=True)
class LaneRoute:
    path: str  # the template, with the routers' prefixes
    methods: frozenset[str]
    prefix: str  # the template's text before its first parameter
    regex: re.Pattern[str] | None  # None for a path without parameters
    params: tuple[PathParam, ...]
    calls: tuple[Invoke, ...]  # the dependencies in FastAPI's order, then the endpoint


def _label(route: RouteContext) -> str:
    methods = ",".join(sorted(route.methods or ()))
    return f"{methods} {route.path} ({getattr(route.endpoint, '__qualname__', route.endpoint)})"


def _name(call: Any) -> str:
    return f"{getattr(call, '__module__', '?')}.{getattr(call, '__qualname__', repr(call))}"


def _refuse(
    route: RouteContext,
    what: str,
    fix: str = "teach api/fastlane.py to run it, or remove @fast_lane from the route",
) -> FastLaneConfigurationError:
    return FastLaneConfigurationError(f"Fast lane: the marked route {_label(route)} {what}; {fix}.")


def _check_dependant(route: RouteContext, dependant: Any, whose: str) -> None:
    for attribute, what in UNSUPPORTED.items():
        if getattr(dependant, attribute):
            raise _refuse(route, f"has {what} in {whose}, which the fast lane does not run")
    if not inspect.iscoroutinefunction(dependant.call):
        raise _refuse(route, f"needs {whose} run in a thread (it is not an async function)")


def _path_param(route: RouteContext, field: Any) -> PathParam:
    convertor = route.param_convertors.get(field.alias)
    info = field.field_info
    if field.alias != field.name or not isinstance(convertor, StringConvertor):
        raise _refuse(route, f"has the path parameter {field.name!r} with a converter or alias")
    if info.annotation is not str:
        raise _refuse(route, f"has the path parameter {field.name!r} of a type other than str")
    min_length, max_length = 1, None  # the template's [^/]+ takes at least one character
    for rule in info.metadata:
        if isinstance(rule, MinLen):
            min_length = max(min_length, rule.min_length)
        elif isinstance(rule, MaxLen):
            max_length = rule.max_length
        else:
            raise _refuse(route, f"has the rule {rule!r} on the path parameter {field.name!r}")
    return PathParam(field.name, min_length, max_length)


def _returns_response(endpoint: Callable[..., Any]) -> bool:
    returned = typing.get_type_hints(endpoint).get("return")
    return inspect.isclass(returned) and issubclass(returned, Response)


class _Planner:
    """A route's calls, in the order ``fastapi.dependencies.utils.solve_dependencies`` makes
    them: each dependency's own dependencies first, in parameter order; a dependency met
    again is not called again unless it says ``use_cache=False``."""

    def __init__(self, route: RouteContext, slots: int) -> None:
        self.route = route
        self.slots = slots
        self.calls: list[Invoke] = []
        self.solved: dict[Callable[..., Any], int] = {}

    def arguments(self, dependant: Any) -> list[tuple[str, int]]:
        args = []
        for sub in dependant.dependencies:
            slot = self.solve(sub)
            if sub.name is not None:
                args.append((sub.name, slot))
        if dependant.request_param_name:
            args.append((dependant.request_param_name, REQUEST))
        return args

    def solve(self, dependant: Any) -> int:
        call = dependant.call
        if call not in RUNS:
            raise _refuse(self.route, f"depends on {_name(call)}, which the fast lane does not run")
        _check_dependant(self.route, dependant, f"its dependency {_name(call)}")
        if dependant.path_params:
            raise _refuse(self.route, f"has a path parameter in its dependency {_name(call)}")
        args = self.arguments(dependant)
        if dependant.use_cache and call in self.solved:
            return self.solved[call]
        self.calls.append(_invoker(call, args))
        slot = self.slots
        self.slots += 1
        self.solved.setdefault(call, slot)
        return slot


def plan(route: RouteContext) -> LaneRoute:
    """The lane's plan for one marked route, or ``FastLaneConfigurationError``."""
    if not isinstance(route.original_route, APIRoute):
        raise _refuse(route, "is not a FastAPI route", "remove @fast_lane from it")
    dependant = route.dependant
    endpoint: Callable[..., Awaitable[Any]] = dependant.call
    path = str(route.path)
    _check_dependant(route, dependant, "its endpoint")
    if not _returns_response(endpoint):
        raise _refuse(route, "returns a model, not a Response, for FastAPI to serialize")
    if getattr(route, "max_body_size", None) is not None:
        raise _refuse(route, "has a body size limit of its own")
    params = tuple(_path_param(route, field) for field in dependant.path_params)
    planner = _Planner(route, 1 + len(params))
    args = planner.arguments(dependant)
    args += [(param.name, 1 + i) for i, param in enumerate(params)]
    return LaneRoute(
        path=path,
        methods=frozenset(route.methods or ()),
        prefix=path.split("{", 1)[0],
        regex=route.path_regex if params else None,
        params=params,
        calls=(*planner.calls, _invoker(endpoint, args)),
    )


def _segments_may_meet(mine: list[str], theirs: list[str]) -> bool:
    """Whether two path templates, split at "/", could match the same path."""
    for a, b in zip(mine, theirs, strict=False):
        if ":path}" in a or ":path}" in b:
            return True  # the rest of the path, whatever it is
        if a != b and "{" not in a and "{" not in b:
            return False
    return len(mine) == len(theirs)


def _may_take(earlier: RouteContext, route: RouteContext) -> bool:
    """Whether an earlier route could answer some request the marked ``route`` matches."""
    kind: BaseRoute = earlier.original_route
    path = str(route.path)
    if isinstance(kind, WebSocketRoute):
        return False
    other: str | None = earlier.path
    if other is None or not isinstance(kind, Mount | Route):
        return True
    if isinstance(kind, Mount):
        return other in ("", "/") or path == other or path.startswith(other.rstrip("/") + "/")
    methods = earlier.methods
    if methods is not None and not methods & set(route.methods or ()):
        return False
    return _segments_may_meet(path.split("/"), other.split("/"))


class FastLaneRoutes:
    """The lane's path table: empty until ``load`` plans the marked routes at start-up."""

    def __init__(self) -> None:
        self.exact: dict[str, dict[str, LaneRoute]] = {}
        self.templates: tuple[LaneRoute, ...] = ()

    def load(self, routes: Iterable[BaseRoute]) -> None:
        """Plan every marked route of ``routes`` (an app's, in order); raises
        ``FastLaneConfigurationError`` if one needs what the lane does not do."""
        exact: dict[str, dict[str, LaneRoute]] = {}
        templates: list[LaneRoute] = []
        seen: list[RouteContext] = []
        for route in iter_route_contexts(list(routes)):
            if is_marked(route.endpoint):
                for earlier in seen:
                    if _may_take(earlier, route):
                        raise _refuse(
                            route,
                            f"may be answered by the earlier route {_label(earlier)}",
                            "declare it before that route, or remove @fast_lane from it",
                        )
                lane = plan(route)
                if lane.regex is None:
                    exact.setdefault(lane.path, {}).update(dict.fromkeys(lane.methods, lane))
                else:
                    templates.append(lane)
            seen.append(route)
        self.exact, self.templates = exact, tuple(templates)

    def find(self, method: str, path: str) -> tuple[LaneRoute, tuple[str, ...]] | None:
        """The marked route for a request and its path parameters; None for the framework."""
        by_method = self.exact.get(path)
        if by_method is not None:
            found = by_method.get(method)
            if found is not None:
                return found, ()
        for lane in self.templates:
            if method in lane.methods and path.startswith(lane.prefix):
                assert lane.regex is not None
                match = lane.regex.match(path)
                if match is None:
                    continue
                values: list[str] = []
                for param in lane.params:
                    value = match.group(param.name)
                    size = len(value)
                    if size < param.min_length or (
                        param.max_length is not None and size > param.max_length
                    ):
                        return None  # the framework answers with its validation error
                    values.append(value)
                return lane, tuple(values)
        return None


class FastLane:
    def __init__(self, app: ASGIApp, routes: FastLaneRoutes) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = (
            self.routes.find(scope["method"], scope["path"]) if scope["type"] == "http" else None
        )
        if found is None:
            await self.app(scope, receive, send)
            return
        lane, params = found
        if params:
            scope["path_params"] = {p.name: v for p, v in zip(lane.params, params, strict=True)}
        values: list[Any] = [Request(scope, receive), *params]  # REQUEST, then the parameters
        try:
            for invoke in lane.calls:
                values.append(await invoke(values))
            response: Response = values[-1]
        except APIError as error:
            response = error_response(error)
        except Exception as exc:
            response = unexpected_response(scope, exc)
        await response(scope, receive, send)
