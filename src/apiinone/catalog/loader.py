"""Load the shipped catalog and merge the operator's override file onto it."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from .catalog import Catalog
from .errors import CatalogError
from .parse_model import parse_model

__all__ = ["load_catalog"]

_DATA_FILE = "catalog.toml"


def load_catalog(override: Path | None = None) -> Catalog:
    """Read the shipped catalog, apply ``override`` if given, and check every model.

    An override entry whose ``slug`` is already in the catalog replaces only the keys it
    lists (typically the whole ``price`` table); an entry with a new slug adds a model and
    must be complete. Anything malformed raises :class:`CatalogError`.
    """
    shipped = resources.files("apiinone.catalog") / "data" / _DATA_FILE
    raw = _models(_parse(shipped.read_text(encoding="utf-8"), source=_DATA_FILE), source=_DATA_FILE)
    if override is not None:
        try:
            text = override.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(f"cannot read the override file {override}: {exc}") from exc
        raw = _merge(raw, _models(_parse(text, source=str(override)), source=str(override)))
    return Catalog(parse_model(entry, index=i) for i, entry in enumerate(raw))


def _parse(text: str, *, source: str) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source} is not valid TOML: {exc}") from exc


def _models(document: dict[str, object], *, source: str) -> list[dict[str, object]]:
    extra = sorted(set(document) - {"models"})
    if extra:
        raise CatalogError(
            f"{source}: unknown top-level key(s) {', '.join(extra)}; only [[models]]"
        )
    entries = document.get("models", [])
    if not isinstance(entries, list):
        raise CatalogError(f"{source}: 'models' must be an array of tables ([[models]])")
    models = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("slug"), str):
            raise CatalogError(
                "every [[models]] entry needs a string slug", model=f"models[{i}]", field="slug"
            )
        models.append(entry)
    return models


def _merge(
    shipped: list[dict[str, object]], override: list[dict[str, object]]
) -> list[dict[str, object]]:
    merged = list(shipped)
    position = {str(entry["slug"]): i for i, entry in enumerate(shipped)}
    seen: set[str] = set()
    for entry in override:
        slug = str(entry["slug"])
        if slug in seen:
            raise CatalogError("is listed twice in the override file", model=slug)
        seen.add(slug)
        if slug in position:
            merged[position[slug]] = {**merged[position[slug]], **entry}
        else:
            position[slug] = len(merged)
            merged.append(entry)
    return merged
