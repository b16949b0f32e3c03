"""Models and prices: the catalog, each model's parameters, example and cost calculator;
and the playground page (its work is done by the JSON endpoints in ``api.py``)."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.catalog import price_table, public_model
from apiinone.dashboard.deps import MaybeUser, PageError, PageUser
from apiinone.dashboard.examples import curl_command, example_body, parameter_rows
from apiinone.dashboard.model_pages import availability, compare, io_kinds
from apiinone.dashboard.web import page
from apiinone.gateway import Gateway

router = APIRouter(include_in_schema=False)

KIND_TITLES = {
    "chat": "Chat",
    "image": "Images",
    "video": "Video",
    "music": "Music",
    "speech": "Speech",
    "tool": "AI tools",
}


def grouped(gateway: Gateway) -> list[tuple[str, list[dict[str, object]]]]:
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for model in gateway.catalog.models:
        inputs, output = io_kinds(model)
        groups[model.kind].append({**public_model(model), "io": f"{' + '.join(inputs)} → {output}"})
    return [(KIND_TITLES.get(kind, kind.title()), items) for kind, items in groups.items()]


@router.get("/models")
async def models_page(request: Request, user: MaybeUser, gateway: GatewayDep) -> Response:
    """Public: the catalog answers without sign-in, at the prices in force."""
    return page(request, "models.html", user=user, public=True, groups=grouped(gateway))


@router.get("/models/{slug:path}")
async def model_page(request: Request, slug: str, user: MaybeUser, gateway: GatewayDep) -> Response:
    """Public: the call contract, parameters, prices, an example request, and the models
    on the same endpoint side by side."""
    resolved = gateway.catalog.get(slug[:200])
    if resolved is None:
        raise PageError(404, "No such model", f"The catalog has no model '{slug[:200]}'.")
    model = resolved.model
    example = example_body(model)
    inputs, output = io_kinds(model)
    return page(
        request,
        "model.html",
        user=user,
        public=True,
        model=public_model(model),
        inputs=inputs,
        output=output,
        live=availability(gateway, model),
        peers=compare(gateway, model),
        params=parameter_rows(model),
        prices=price_table(model),
        example=example,
        curl=curl_command(str(request.base_url), model.endpoint, example),
    )


@router.get("/playground")
async def playground_page(
    request: Request, user: PageUser, gateway: GatewayDep, model: str = "flux-2"
) -> Response:
    chosen = gateway.catalog.get(model[:200])
    return page(
        request,
        "playground.html",
        user=user,
        groups=grouped(gateway),
        chosen=chosen.model.slug if chosen else gateway.catalog.models[0].slug,
    )
