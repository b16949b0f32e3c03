"""Quotes: the exact price of a request, or the error it would get, with nothing run
(``apiinone.quotes``)."""

from __future__ import annotations

from fastapi import APIRouter

from apiinone import quotes
from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.envelope import FastJSON, envelope

router = APIRouter(prefix="/api/v1", tags=["quotes"])


@router.post("/quotes")
async def quote(body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep) -> FastJSON:
    return envelope(await quotes.quote(gateway, principal, body))
