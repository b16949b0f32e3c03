"""What the public model pages show beyond the catalog entry: each model's input → output
kinds, its lowest price (for sorting), whether this gateway serves it now, and the models
on the same endpoint side by side."""

from __future__ import annotations

from apiinone.catalog import ModelSpec, price_summary
from apiinone.catalog.pricing import price_bounds
from apiinone.errors import APIError
from apiinone.gateway import Gateway

__all__ = ["availability", "compare", "io_kinds"]

_OUTPUT = {"chat": "text", "image": "image", "video": "video", "music": "audio", "speech": "audio"}
_TEXT_FIELDS = ("prompt", "messages", "text", "input", "lyrics", "dialogue", "style")
_TASK_FIELDS = ("task_id", "origin_task_id", "audio_id")
_MEDIA_WORDS = (("image", "image"), ("mask", "image"), ("video", "video"), ("audio", "audio"))


def _media_kind(name: str, fallback: str) -> str:
    for word, kind in _MEDIA_WORDS:
        if word in name:
            return kind
    if "voice" in name or "music" in name or "song" in name:
        return "audio"
    return fallback


def io_kinds(model: ModelSpec) -> tuple[list[str], str]:
    """(what a request can take, what it returns): e.g. (["text", "image"], "video")."""
    inputs: list[str] = []
    for name, spec in model.params.items():
        is_url = spec.format == "url" or (spec.items is not None and spec.items.format == "url")
        if "callback" in name or "webhook" in name:
            continue
        if name in _TASK_FIELDS:
            kind = "audio" if model.kind == "music" else "task"
        elif is_url:
            kind = _media_kind(name, _OUTPUT.get(model.kind, "file"))
        elif name in _TEXT_FIELDS and spec.type in ("string", "array"):
            kind = "text"
        else:
            continue
        if kind not in inputs:
            inputs.append(kind)
    inputs.sort(key=lambda k: (k != "text", k))
    output = _OUTPUT.get(model.kind) or (
        "video" if "video" in inputs else next((k for k in inputs if k != "text"), "file")
    )
    return inputs or ["text"], output


def availability(gateway: Gateway, model: ModelSpec) -> str:
    """``sandbox`` (no provider configured: the built-in sandbox answers), ``live``,
    ``failing`` (every channel's circuit is open) or ``unavailable`` (no channel)."""
    providers = gateway.providers
    if providers.sandbox_mode:
        return "sandbox"
    try:
        return "live" if providers.candidates(model.slug) else "failing"
    except APIError:
        return "unavailable"


def _lowest(model: ModelSpec) -> float:
    bounds = price_bounds(model)
    return float("inf") if bounds is None else float(bounds[0])


def compare(gateway: Gateway, model: ModelSpec) -> list[dict[str, object]]:
    """Every model on ``model``'s endpoint, cheapest first (by the lowest price of one
    request; prices that grow with the input last)."""
    peers = [m for m in gateway.catalog.models if m.endpoint == model.endpoint]
    peers.sort(key=lambda m: (_lowest(m), m.display_name))
    rows: list[dict[str, object]] = []
    for peer in peers:
        inputs, output = io_kinds(peer)
        bounds = price_bounds(peer)
        rows.append(
            {
                "slug": peer.slug,
                "display_name": peer.display_name,
                "provider": peer.provider,
                "inputs": inputs,
                "output": output,
                "capabilities": list(peer.capabilities),
                "price": price_summary(peer),
                "from": None if bounds is None else bounds[0],
                "availability": availability(gateway, peer),
                "current": peer.slug == model.slug,
            }
        )
    return rows
