"""What the fast lane plans from marked routes at start-up, and what it refuses to plan.

Each test builds a tiny FastAPI app with a marked route and hands its routes to
``FastLaneRoutes.load``, as the gateway's lifespan does; nothing is served.
"""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from pydantic import BaseModel
from starlette.responses import JSONResponse

from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.fastlane import FastLaneConfigurationError, FastLaneRoutes, fast_lane


async def check_quota(request: Request) -> None:
    """A dependency the lane does not run."""


class Answer(BaseModel):
    ok: bool


def _load(app: FastAPI) -> FastLaneRoutes:
    routes = FastLaneRoutes()
    routes.load(app.routes)
    return routes


def _refusal(app: FastAPI) -> str:
    with pytest.raises(FastLaneConfigurationError) as refused:
        _load(app)
    return str(refused.value)


def test_known_dependencies_under_a_prefix_are_planned() -> None:
    router = APIRouter(prefix="/api/v1/things")

    @fast_lane
    @router.post("/{thing_id}")
    async def poke(
        thing_id: Annotated[str, Path(max_length=5)],
        body: JSONBody,
        principal: CurrentPrincipal,
        gateway: GatewayDep,
    ) -> JSONResponse:
        return JSONResponse({})

    @router.post("/{thing_id}/unmarked")
    async def unmarked(thing_id: str, gateway: GatewayDep) -> JSONResponse:
        return JSONResponse({})

    app = FastAPI()
    app.include_router(router)
    routes = _load(app)
    found = routes.find("POST", "/api/v1/things/abcde")
    assert found is not None and found[1] == ("abcde",)
    assert routes.find("POST", "/api/v1/things/abcdef") is None  # over the limit: FastAPI's
    assert routes.find("GET", "/api/v1/things/abc") is None  # another method
    assert routes.find("POST", "/api/v1/things/abc/unmarked") is None  # not marked
    assert len(found[0].calls) == 4  # the body, the gateway, the key, the endpoint


def test_an_unknown_dependency_names_the_route_and_the_dependency() -> None:
    app = FastAPI()

    @fast_lane
    @app.post("/v1/things")
    async def things(body: JSONBody, _quota: Annotated[None, Depends(check_quota)]) -> JSONResponse:
        return JSONResponse({})

    message = _refusal(app)
    assert "the marked route POST /v1/things (" in message, message
    assert "depends on tests.api.test_fastlane_plan.check_quota" in message, message


def test_a_dependency_of_the_router_is_not_skipped() -> None:
    router = APIRouter(prefix="/v1", dependencies=[Depends(check_quota)])

    @fast_lane
    @router.post("/things")
    async def things(body: JSONBody) -> JSONResponse:
        return JSONResponse({})

    app = FastAPI()
    app.include_router(router)
    assert "depends on tests.api.test_fastlane_plan.check_quota" in _refusal(app)


@pytest.mark.parametrize("what", ["query", "model"])
def test_what_only_the_framework_does_is_refused(what: str) -> None:
    app = FastAPI()
    if what == "query":

        @fast_lane
        @app.get("/v1/things")
        async def listed(gateway: GatewayDep, limit: Annotated[int, Query()] = 5) -> JSONResponse:
            return JSONResponse({})

        expected = "has a query parameter in its endpoint"
    else:

        @fast_lane
        @app.get("/v1/things")
        async def modelled(gateway: GatewayDep) -> Answer:
            return Answer(ok=True)

        expected = "returns a model, not a Response"
    assert expected in _refusal(app)


def test_a_route_an_earlier_one_could_answer_is_refused() -> None:
    app = FastAPI()

    @app.get("/v1/things/{name:path}")
    async def anything(name: str) -> JSONResponse:
        return JSONResponse({})

    @fast_lane
    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str, gateway: GatewayDep) -> JSONResponse:
        return JSONResponse({})

    message = _refusal(app)
    assert "may be answered by the earlier route GET /v1/things/{name:path}" in message
