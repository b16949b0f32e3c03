"""Which catalog model a /v1 request names, for the kind of work the route does."""

from __future__ import annotations

from apiinone.auth.principal import Principal
from apiinone.catalog import Catalog, Resolved
from apiinone.catalog.spec import Kind
from apiinone.errors import InvalidRequest, NotFound

__all__ = ["allowed_names", "resolve_model"]

_SHOWN = 100


def allowed_names(catalog: Catalog, principal: Principal, kind: Kind) -> str:
    """The slugs of ``kind`` this key may use, for error messages."""
    names = [m.slug for m in catalog.models if m.kind == kind and principal.allows_model(m.slug)]
    return ", ".join(names) or "none for this API key"


def resolve_model(
    catalog: Catalog, principal: Principal, name: str | None, kind: Kind, *, endpoint: str
) -> Resolved:
    """The model (and variant) for ``name``: a 404 when no model answers to it, a 400 when
    it is a model of another kind or route; both list the models of ``kind``."""
    listed = allowed_names(catalog, principal, kind)
    if not name:
        raise InvalidRequest(f"'model' is required; {kind} models: {listed}", param="model")
    resolved = catalog.get(name, endpoint)
    shown = name if len(name) <= _SHOWN else name[:_SHOWN] + "..."
    if resolved is None:
        raise NotFound(f"Unknown model '{shown}'; {kind} models: {listed}", param="model")
    if resolved.model.kind != kind or resolved.model.endpoint != endpoint:
        raise InvalidRequest(
            f"Model '{shown}' is not available here; {kind} models: {listed}", param="model"
        )
    return resolved
