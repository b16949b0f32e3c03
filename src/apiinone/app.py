"""The ASGI application: ``create_app(settings)``; the lifespan owns the gateway's services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from apiinone import __version__, openai_compat
from apiinone.api.errors import install_error_handlers
from apiinone.api.fastlane import FastLane
from apiinone.api.middleware import RequestContextMiddleware
from apiinone.api.openapi import install_openapi
from apiinone.api.render import FastJSON
from apiinone.api.routes import (
    account,
    admin,
    chat,
    files,
    generate,
    health,
    keys,
    models,
    music,
    provider_hooks,
    quotes,
    tasks,
    uploads,
    webhooks,
)
from apiinone.background import running_background
from apiinone.dashboard import install_dashboard
from apiinone.gateway import Gateway
from apiinone.idempotency import IdempotencyMiddleware
from apiinone.redact import install_log_redaction, register_settings
from apiinone.settings import Settings, load_settings

__all__ = ["create_app", "factory"]

DESCRIPTION = """\
One API key and one credit balance for chat, image, video, music, speech and AI-tool models.

Authenticate with `Authorization: Bearer aio_...`. Errors always have the shape
`{"error": {"code", "message", "type", "param"}}`.
"""


def create_app(settings: Settings) -> FastAPI:
    register_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = Gateway.open(settings)
        app.state.gateway = gateway
        try:
            async with running_background(gateway):
                yield
        finally:
            await gateway.close()

    app = FastAPI(
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
        keys,
        models,
        quotes,
        chat,
        generate,
        tasks,
        music,
        uploads,
        files,
        webhooks,
        openai_compat,
        provider_hooks,
        admin,
    ):
        app.include_router(module.router)
    if settings.fast_lane:
        app.add_middleware(FastLane)  # innermost of ours: after ids, limits, idempotency
    install_dashboard(app)
    install_openapi(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    return app


def factory() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (each worker process reads the settings)."""
    install_log_redaction()  # uvicorn has set up its log handlers by now
    return create_app(load_settings())
