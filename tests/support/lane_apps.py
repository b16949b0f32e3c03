"""Gateways with one more route marked ``@fast_lane``, for the fast lane's start-up tests.

Served with ``python -m uvicorn --factory tests.support.lane_apps:<factory>``: ``probe``
adds a marked route the lane can run, ``unknown_dependency`` the same route with one more
``Depends`` the lane does not know.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request
from starlette.responses import JSONResponse

from apiinone.api.deps import GatewayDep
from apiinone.api.fastlane import fast_lane
from apiinone.app import create_app
from apiinone.settings import load_settings

PROBE = "/api/v1/lane-probe/{name}"
NAME_MAX_LENGTH = 8

Name = Annotated[str, Path(max_length=NAME_MAX_LENGTH)]


def _answer(name: str, request: Request) -> JSONResponse:
    # FastAPI's router writes the endpoint it chose into the request's scope; the lane does not.
    return JSONResponse({"name": name, "routed": "endpoint" in request.scope})


def probe() -> FastAPI:
    app = create_app(load_settings())

    @fast_lane
    @app.get(PROBE)
    async def lane_probe(name: Name, request: Request, gateway: GatewayDep) -> JSONResponse:
        return _answer(name, request)

    return app


async def quota_check(request: Request) -> None:
    """A dependency the fast lane does not run."""


def unknown_dependency() -> FastAPI:
    app = create_app(load_settings())

    @fast_lane
    @app.get(PROBE)
    async def lane_probe(
        name: Name,
        request: Request,
        gateway: GatewayDep,
        _quota: Annotated[None, Depends(quota_check)],
    ) -> JSONResponse:
        return _answer(name, request)

    return app
