"""Quotes: the exact price of a request, or the error it would get, with nothing run
(``apiinone.quotes``)."""

from __future__ import annotations

from fastapi import APIRouter

from apiinone import quotes
from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.shapes.bodies import read_as
from apiinone.api.shapes.catalog import Quote, QuoteRequest
from apiinone.api.shapes.envelope import enveloped

router = APIRouter(prefix="/api/v1", tags=["quotes"])


@router.post("/quotes", responses=enveloped(Quote), openapi_extra=read_as(QuoteRequest))
async def quote(body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep) -> FastJSON:
    return envelope(await quotes.quote(gateway, principal, body))
