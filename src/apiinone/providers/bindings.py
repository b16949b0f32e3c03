"""One binding format for every adapter: a catalog model's variants and modes → upstream ids.

In a channel's ``[channels.models]`` table each catalog slug takes either

- a string: the one upstream id that serves **every** variant and mode of the model::

      "ideogram-v4" = "ideogram/v4"

- or a table of variants and modes (the model's axes: ``catalog/routing.py``, listed by
  ``GET /api/v1/models/{slug}`` and in docs/operator.md), each key one of
  ``"<variant>/<mode>"``, ``"<variant>"`` (all its modes) or ``"<mode>"`` (all variants),
  and a variant's value may itself be a table of its modes::

      "kling-3" = { "std/text-to-video" = "fal-ai/kling-video/v3/standard/text-to-video",
                    "std/image-to-video" = "fal-ai/kling-video/v3/standard/image-to-video",
                    pro = { "text-to-video" = "...", "image-to-video" = "..." } }

A variant and mode given together beats a key naming only one of them; two keys naming one
each (``"pro"`` and ``"image-to-video"``) may not both cover a pair with different ids. A
variant or mode the table does not cover is **not served** by the channel: a request for it
fails over only to channels that bind it, and is refused before any hold when none does.
The shapes are plain data (TOML here, the same JSON in an admin API body).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from apiinone.catalog.routing import RouteKey, mode_axis, route_keys, variant_axis
from apiinone.catalog.spec import ModelSpec

__all__ = ["Binding", "BindingError", "parse_binding"]


class BindingError(ValueError):
    """A ``[channels.models]`` entry that does not fit the model's variants and modes."""


@dataclass(frozen=True, slots=True)
class Binding:
    """What one channel serves of one model: the upstream id of each variant and mode, and
    the key the operator wrote for it (names a channel per upstream id)."""

    upstreams: Mapping[RouteKey, str]
    written: Mapping[str, str]  # upstream id -> the first key that binds it ("" for a string)

    @property
    def ids(self) -> list[str]:
        """Each distinct upstream id, in the order written."""
        return list(self.written)

    def routes_of(self, upstream: str) -> frozenset[RouteKey]:
        return frozenset(key for key, value in self.upstreams.items() if value == upstream)


def parse_binding(model: ModelSpec, value: object) -> Binding:
    """Read one ``[channels.models]`` value for ``model``; :class:`BindingError` names what
    does not fit (an unknown variant or mode, an empty id, two keys that disagree)."""
    keys = route_keys(model)
    if isinstance(value, str):
        return Binding({key: _id(model, "", value) for key in keys}, {value.strip(): ""})
    if not isinstance(value, Mapping) or not value:
        raise BindingError(
            f"{model.slug}: expected an upstream id or a table of variants and modes"
        )
    if not variant_axis(model) and not mode_axis(model):
        raise BindingError(
            f"{model.slug} has no variants or modes: bind it to one upstream id (a string)"
        )
    entries = _flatten(model, value)
    exact: dict[RouteKey, str] = {}
    written: dict[str, str] = {}
    for text, upstream in entries.items():
        exact[_parse_key(model, text)] = upstream
        written.setdefault(upstream, text)
    upstreams: dict[RouteKey, str] = {}
    for key in keys:
        found = _resolve(model, key, exact)
        if found is not None:
            upstreams[key] = found
    return Binding(upstreams, written)


def _flatten(model: ModelSpec, table: Mapping[object, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, item in table.items():
        if isinstance(item, Mapping):
            if str(key) not in variant_axis(model):
                raise BindingError(
                    f"{model.slug}: only a variant takes a table of modes, and "
                    f"{str(key)!r} is not one ({_axes(model)})"
                )
            if not item:
                raise BindingError(f"{model.slug}.{key}: an empty table binds nothing")
            for mode, upstream in item.items():
                text = f"{key}/{mode}"
                out[text] = _id(model, text, upstream)
        else:
            out[str(key)] = _id(model, str(key), item)
    return out


def _id(model: ModelSpec, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        where = f"{model.slug}.{key}" if key else model.slug
        raise BindingError(f"{where}: the upstream id must be a non-empty string")
    return value.strip()


def _parse_key(model: ModelSpec, text: str) -> RouteKey:
    variants, modes = variant_axis(model), mode_axis(model)
    found: list[RouteKey] = []
    if text in variants:
        found.append(RouteKey(text, None))
    if text in modes:
        found.append(RouteKey(None, text))
    for index, char in enumerate(text):
        if char == "/" and text[:index] in variants and text[index + 1 :] in modes:
            found.append(RouteKey(text[:index], text[index + 1 :]))
    if len(found) != 1:
        raise BindingError(
            f"{model.slug}: {text!r} is not a variant, a mode or '<variant>/<mode>' of the "
            f"model ({_axes(model)})"
        )
    return found[0]


def _resolve(model: ModelSpec, key: RouteKey, exact: Mapping[RouteKey, str]) -> str | None:
    if key in exact:
        return exact[key]
    by_variant = exact.get(RouteKey(key.variant, None)) if key.variant is not None else None
    by_mode = exact.get(RouteKey(None, key.mode)) if key.mode is not None else None
    if by_variant is not None and by_mode is not None and by_variant != by_mode:
        raise BindingError(
            f"{model.slug}: '{key.variant}' and '{key.mode}' both bind {key} to different "
            f"ids; add a '{key}' key to say which"
        )
    return by_variant if by_variant is not None else by_mode


def _axes(model: ModelSpec) -> str:
    variants = ", ".join(variant_axis(model)) or "none"
    modes = ", ".join(mode_axis(model)) or "none"
    return f"variants: {variants}; modes: {modes}"
