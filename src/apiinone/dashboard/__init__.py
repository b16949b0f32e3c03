"""The dashboard: server-rendered pages at ``/`` for people (sign-up, keys, tasks, usage,
webhooks, models, playground, billing) and the admin console at ``/admin``.

The JSON API stays the product; these pages call the same services as the API routes,
as the signed-in account. ``install_dashboard(app)`` is the one wiring call.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from apiinone.dashboard.deps import LoginRequired, PageError
from apiinone.dashboard.routes import (
    admin,
    admin_audit,
    admin_channels,
    admin_prices,
    api,
    auth,
    billing,
    chat_stream,
    keys,
    models,
    overview,
    requests,
    tasks,
    usage,
    webhooks,
)
from apiinone.dashboard.web import DocsPageHeaders, ask_login, page

__all__ = ["install_dashboard"]

STATIC = Path(__file__).parent / "static"


async def _login_required(request: Request, exc: Exception) -> Response:
    return ask_login(request)


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    user = request.scope.get("state", {}).get("dashboard_user")
    return page(
        request,
        "error.html",
        user=user,
        status=exc.status,
        title=exc.title,
        text=exc.message,
    )


def install_dashboard(app: FastAPI) -> None:
    """Add the pages, their JSON endpoints and the static files (the price-override sync,
    ``CatalogSync``, is one of the gateway's outer layers: app.py)."""
    for module in (
        auth,
        overview,
        requests,
        keys,
        tasks,
        usage,
        webhooks,
        models,
        billing,
        admin,
        admin_prices,
        admin_audit,
        admin_channels,
        api,
        chat_stream,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PageError, _page_error)
    app.add_middleware(DocsPageHeaders, paths=(app.docs_url, app.swagger_ui_oauth2_redirect_url))
