"""The ASGI application: ``create_app(settings)``; the lifespan owns the gateway's services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from apiinone import __version__, heap, openai_compat
from apiinone.api.envelope import FastJSON
from apiinone.api.errors import install_error_handlers
from apiinone.api.fastlane import FastLane, FastLaneRoutes
from apiinone.api.idempotency import IdempotencyMiddleware
from apiinone.api.middleware import RequestContextMiddleware
from apiinone.api.openapi import install_openapi
from apiinone.api.routes import (
    account,
    admin,
    admin_audit,
    admin_channels,
    chat,
    files,
    generate,
    health,
    keys,
    messages,
    models,
    music,
    provider_hooks,
    quotes,
    requests,
    responses,
    tasks,
    uploads,
    webhooks,
)
from apiinone.background import running_background
from apiinone.catalog.overrides import CatalogSync
from apiinone.dashboard import install_dashboard
from apiinone.gateway import Gateway
from apiinone.messages.errors import AnthropicErrors
from apiinone.redact import install_log_redaction, register_settings
from apiinone.settings import Settings, load_settings

__all__ = ["create_app", "factory"]

DESCRIPTION = """\
One API key and one credit balance for chat, image, video, music, speech and AI-tool models.

Authenticate with `Authorization: Bearer aio_...`. Errors always have the shape
`{"error": {"code", "message", "type", "param"}}`.
"""


class GatewayApp(FastAPI):
    """FastAPI with the gateway's own layers outermost.

    FastAPI puts its own layers (the server-error handler, exception telemetry, a body limit)
    around every user middleware; here the gateway's layers wrap all of them instead: request
    ids, the body's limits and rate-limit headers; idempotency keys (a request with one is
    authenticated and rate limited there, before its record is read or written); price
    overrides; then the fast lane, which answers the routes marked ``@fast_lane`` (chat,
    task submission and task polling) itself, from the table it builds from the routes at
    start-up. Every other request goes on into FastAPI as usual. The request layer turns an
    unexpected exception into the usual error JSON, as FastAPI's handler does inside; around
    it all, the Anthropic paths' errors are given Anthropic's shape.
    """

    def __init__(self, *, settings: Settings, fast_lane: FastLaneRoutes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gateway_settings = settings
        self.fast_lane_routes = fast_lane

    def build_middleware_stack(self) -> ASGIApp:
        settings = self.gateway_settings
        app = super().build_middleware_stack()
        if settings.fast_lane:
            app = FastLane(app, self.fast_lane_routes)
        app = CatalogSync(app)
        app = IdempotencyMiddleware(app)
        app = RequestContextMiddleware(
            app,
            max_body_bytes=settings.max_body_bytes,
            max_json_depth=settings.max_json_depth,
            body_timeout_seconds=settings.body_timeout_seconds,
        )
        return AnthropicErrors(app)  # errors on the Anthropic paths in Anthropic's shape


def create_app(settings: Settings, *, server_process: bool = False) -> FastAPI:
    """The app; ``server_process`` when it is all its process serves (``serve``): the
    process's collector is then tuned once it has started (:mod:`apiinone.heap`)."""
    register_settings(settings)
    fast_lane = FastLaneRoutes()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The marked routes, planned from the routes as they are now; a route the lane
        # cannot answer as FastAPI would stops the start (even with the lane switched off).
        fast_lane.load(app.routes)
        gateway = Gateway.open(settings)
        app.state.gateway = gateway
        try:
            async with running_background(gateway):
                if server_process:
                    heap.settle()
                yield
        finally:
            await gateway.close()

    app = GatewayApp(
        settings=settings,
        fast_lane=fast_lane,
        # /metrics is the gateway's own; FastAPI's OpenTelemetry hooks would cost every
        # request a look at the environment and the global providers.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        title="API in One",
        version=__version__,
        description=DESCRIPTION,
        default_response_class=FastJSON,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    for module in (
        health,
        account,
        requests,
        keys,
        models,
        quotes,
        chat,
        responses,
        messages,
        generate,
        tasks,
        music,
        uploads,
        files,
        webhooks,
        openai_compat,
        provider_hooks,
        admin,
        admin_audit,
        admin_channels,
    ):
        app.include_router(module.router)
    install_dashboard(app)
    install_openapi(app)
    return app


def factory() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (each worker process reads the settings)."""
    install_log_redaction()  # uvicorn has set up its log handlers by now
    return create_app(load_settings(), server_process=True)
