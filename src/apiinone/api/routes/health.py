"""Liveness, readiness and Prometheus metrics (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.api.envelope import FastJSON
from apiinone.api.shapes.envelope import answers
from apiinone.api.shapes.ops import Health, Ready

router = APIRouter(tags=["ops"])

SERVICE_UNAVAILABLE = {
    "description": "service_unavailable: the database is not reachable",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


@router.get("/healthz", responses=answers(Health))
async def healthz() -> FastJSON:
    return FastJSON({"status": "ok"})


@router.get("/readyz", responses={**answers(Ready), 503: SERVICE_UNAVAILABLE})
async def readyz(gateway: GatewayDep) -> FastJSON:
    if await gateway.db.ping():
        return FastJSON({"status": "ready", "database": "ok"})
    return FastJSON(
        {
            "error": {
                "code": 503,
                "message": "The database is not reachable",
                "type": "service_unavailable",
                "param": None,
            }
        },
        status_code=503,
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(gateway: GatewayDep) -> Response:
    body = generate_latest() + generate_latest(gateway.providers.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
