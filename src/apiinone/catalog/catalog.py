"""The loaded catalog: models in order, looked up by name or by endpoint."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import CatalogError
from .spec import ModelSpec

__all__ = ["Catalog", "Resolved", "normalise_endpoint"]


def normalise_endpoint(path: str) -> str:
    """``/api/v1/images/generations/`` and ``/api/v1/images/generations`` are one endpoint."""
    return path.rstrip("/") or "/"


@dataclass(frozen=True)
class Resolved:
    """A ``model`` value resolved: the model and the variant it selects (or its default)."""

    model: ModelSpec
    variant: str | None


class Catalog:
    """An immutable set of models with name and endpoint indexes.

    Slugs and aliases are unique across the catalog; variant names (and their aliases) are
    unique per endpoint, so Suno's sub-routes can reuse ``chirp-v4-5``.
    """

    def __init__(self, models: Iterable[ModelSpec]) -> None:
        self._models = tuple(models)
        self._by_name: dict[str, ModelSpec] = {}
        self._variants: dict[tuple[str, str], Resolved] = {}
        for model in self._models:
            for name in (model.slug, *model.aliases):
                self._claim(name, model)
        for model in self._models:
            if model.variants is None:
                continue
            for name in model.variants.values:
                self._claim_variant(name, Resolved(model, name))
            for alias, value in model.variants.aliases.items():
                self._claim_variant(alias, Resolved(model, value))

    def _claim(self, name: str, model: ModelSpec) -> None:
        holder = self._by_name.get(name)
        if holder is not None:
            raise CatalogError(
                f"name '{name}' is already used by '{holder.slug}'", model=model.slug
            )
        self._by_name[name] = model

    def _claim_variant(self, name: str, resolved: Resolved) -> None:
        model = resolved.model
        key = (model.endpoint, name)
        holder = self._by_name.get(name) or (
            self._variants[key].model if key in self._variants else None
        )
        if holder is not None:
            raise CatalogError(
                f"variant name '{name}' is already used by '{holder.slug}'",
                model=model.slug,
                field="variants",
            )
        self._variants[key] = resolved

    @property
    def models(self) -> tuple[ModelSpec, ...]:
        """Every model, in catalog order."""
        return self._models

    def endpoints(self) -> list[str]:
        """Every endpoint served, in catalog order."""
        return list(dict.fromkeys(m.endpoint for m in self._models))

    def get(self, name: str, endpoint: str | None = None) -> Resolved | None:
        """Resolve a slug, alias or variant name; ``None`` when nothing answers to it.

        Variant names are looked up on ``endpoint`` first, then on any endpoint in catalog
        order (so ``chirp-v4-5`` alone means Suno's generate model).
        """
        model = self._by_name.get(name)
        if model is not None:
            return Resolved(model, model.variants.default if model.variants else None)
        if endpoint is not None:
            found = self._variants.get((normalise_endpoint(endpoint), name))
            if found is not None:
                return found
        for path in self.endpoints():
            found = self._variants.get((path, name))
            if found is not None:
                return found
        return None

    def for_endpoint(self, path: str) -> list[ModelSpec]:
        """The models served on an endpoint, in catalog order."""
        path = normalise_endpoint(path)
        return [m for m in self._models if m.endpoint == path]

    def default_for_endpoint(self, path: str) -> ModelSpec | None:
        """The model used when the body has no ``model``: only a lone model that needs none."""
        models = self.for_endpoint(path)
        if len(models) == 1 and not models[0].model_field_required:
            return models[0]
        return None
