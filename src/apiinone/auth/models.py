"""Which models a key may use: the allow-list a key is given, and the one check every
request that names a model goes through (tasks, quotes, chat, Anthropic Messages)."""

from __future__ import annotations

from typing import Any

from apiinone.auth.principal import Principal
from apiinone.catalog import Catalog
from apiinone.catalog.validate import ValidatedRequest, validate_request
from apiinone.errors import InvalidRequest, PermissionDenied

__all__ = ["admit", "resolve_allowed_models"]


def admit(principal: Principal, catalog: Catalog, endpoint: str, body: Any) -> ValidatedRequest:
    """``body`` validated for ``endpoint``, if ``principal``'s key may use its model.

    Raises what validation raises (400, or 404 for an unknown model) and 403
    ``permission_denied`` for a model outside the key's allow-list.
    """
    validated = validate_request(catalog, endpoint, body)
    if not principal.allows_model(validated.model.slug):
        raise PermissionDenied(f"This API key may not use the model '{validated.model.slug}'")
    return validated


def resolve_allowed_models(catalog: Catalog, models: list[str] | None) -> tuple[str, ...] | None:
    """A key's allow-list as its owner wrote it → the models' slugs (``None``: every model)."""
    if models is None:
        return None
    slugs: list[str] = []
    for index, name in enumerate(models):
        resolved = catalog.get(name)
        if resolved is None:
            raise InvalidRequest(f"Unknown model '{name}'", param=f"allowed_models[{index}]")
        slugs.append(resolved.model.slug)
    return tuple(dict.fromkeys(slugs))
