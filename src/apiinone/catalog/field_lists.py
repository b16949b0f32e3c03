"""The fields the docs list for an endpoint, accepted on every model of that endpoint.

A native endpoint's fields are the union of what its docs list for it (:data:`DOCS_FIELDS`,
from the endpoint reference) and what every model of it takes. A client written from the
endpoint's docs therefore never meets "Unknown field" model by model. A field the chosen
model does not take is either

* **mapped** onto the model's equivalent (:data:`SAME_FIELDS`, :data:`MODEL_TARGETS`): the
  model's own name goes upstream and into the task's stored request; a single URL becomes a
  one-item list and a one-item list a single URL where the target wants that; or it picks
  the model's sub-model (:data:`VARIANT_FIELDS`, Seedream's ``type: "edit"``); or
* **ignored**: dropped before validation and pricing, named in the task's ``warnings``.

Names that no docs list and no model of the endpoint takes stay a 400 "Unknown field".
``field_table`` renders the result per model for the docs (``tests/catalog`` keeps the
pages in sync).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from apiinone.errors import InvalidRequest

from .spec import ModelSpec
from .values import check_json, check_value, show

__all__ = [
    "DOCS_FIELDS",
    "MODEL_TARGETS",
    "SAME_FIELDS",
    "VARIANT_FIELDS",
    "Adapted",
    "adapt_fields",
    "endpoint_fields",
    "field_table",
    "field_table_markdown",
]

IMAGES = "/api/v1/images/generations"
VIDEOS = "/api/v1/videos/generations"
MUSIC = "/api/v1/audio/music"
SPEECH = "/api/v1/audio/speech"
COVER = "/api/v1/audio/music/cover/generate"
LYRICS = "/api/v1/audio/music/timestamped-lyrics"

# The endpoint reference's own field lists (spec/000, CATALOG.md "Generic per-endpoint
# fields", the Suno pages' names for a task id).
DOCS_FIELDS: Mapping[str, tuple[str, ...]] = {
    IMAGES: (
        "prompt",
        "aspect_ratio",
        "type",
        "resolution",
        "quality",
        "input_urls",
        "negative_prompt",
        "seed",
        "image",
    ),
    VIDEOS: (
        "prompt",
        "image",
        "mode",
        "duration",
        "aspect_ratio",
        "resolution",
        "sound",
        "generateAudio",
        "generate_audio_switch",
    ),
    MUSIC: ("prompt", "gpt_description_prompt", "style", "title", "make_instrumental"),
    SPEECH: ("dialogue", "stability", "language_code"),
    COVER: ("task_id", "taskId", "workId"),
    LYRICS: ("task_id", "taskId", "workId", "audio_id"),
}

# Names that mean one thing on an endpoint: a model taking one of them receives the others
# under its own name (the first of the group it takes).
SAME_FIELDS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    IMAGES: (("input_urls", "image_urls", "images", "image"),),
    VIDEOS: (
        ("sound", "generateAudio", "generate_audio_switch", "generate_audio"),
        ("aspect_ratio", "resolution_ratio"),
    ),
    COVER: (("task_id", "taskId", "workId"),),
    LYRICS: (("task_id", "taskId", "workId"),),
}

# One model's own equivalent of a docs field, where no group says it.
MODEL_TARGETS: Mapping[tuple[str, str], str] = {
    ("ideogram-v4", "aspect_ratio"): "size",
}

# A docs field that chooses a model's sub-model: field -> {value: variant}.
VARIANT_FIELDS: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "seedream-4-5": (
        "type",
        {"text-to-image": "seedream/4.5-text-to-image", "edit": "seedream/4.5-edit"},
    ),
    "hailuo-2-3": (
        "mode",
        {"std": "hailuo/2-3-image-to-video-standard", "pro": "hailuo/2-3-image-to-video-pro"},
    ),
}


@dataclass(frozen=True)
class Adapted:
    """A body's fields made the model's own: mapped names, ignored ones gone."""

    fields: dict[str, object]
    variant: str | None
    mapped: dict[str, str]
    ignored: tuple[str, ...]
    warnings: tuple[str, ...]


def endpoint_fields(models: list[ModelSpec], endpoint: str) -> frozenset[str]:
    """Every field name accepted on ``endpoint``: its docs' list and all its models' params."""
    names: set[str] = set(DOCS_FIELDS.get(endpoint, ()))
    for model in models:
        names.update(model.params)
    return frozenset(names)


def _target(model: ModelSpec, name: str) -> str | None:
    """The model's own field for ``name`` (``None``: it has none)."""
    if name in model.params:
        return name
    own = MODEL_TARGETS.get((model.slug, name))
    if own is not None and own in model.params:
        return own
    for group in SAME_FIELDS.get(model.endpoint, ()):
        if name in group:
            return next((n for n in group if n in model.params), None)
    return None


def _convert(value: object, target_type: str) -> tuple[bool, object]:
    """A URL for a list, or a one-item list for a single URL; ``(False, _)`` when it cannot."""
    if target_type == "array" and isinstance(value, str):
        return True, [value]
    if target_type == "string" and isinstance(value, list):
        if len(value) == 1:
            return True, value[0]
        return False, value
    return True, value


def adapt_fields(
    model: ModelSpec,
    variant: str | None,
    fields: Mapping[str, object],
    accepted: frozenset[str],
    *,
    variant_named: bool,
) -> Adapted:
    """Map or drop the fields ``model`` does not take; raise for names nobody takes.

    ``variant_named`` says the client chose the sub-model in ``model``: a docs field that
    would choose another one is then a 400 rather than a silent override."""
    out: dict[str, object] = {}
    mapped: dict[str, str] = {}
    ignored: list[str] = []
    warnings: list[str] = []
    chooser = VARIANT_FIELDS.get(model.slug)
    for name, value in fields.items():
        if name in model.params:
            out[name] = value
            continue
        if name not in accepted:
            allowed = ", ".join(("model", *model.params))
            also = ", ".join(sorted(accepted.difference(model.params)))
            raise InvalidRequest(
                f"Unknown field '{name}'. Allowed fields: {allowed}"
                + (f"; also accepted on this endpoint: {also}" if also else ""),
                param=name,
            )
        if chooser is not None and name == chooser[0] and value is not None:
            variant = _choose_variant(model, variant, name, value, chooser[1], variant_named)
            mapped[name] = "model"
            continue
        target = _target(model, name)
        if target is None or value is None:
            check_json(value, name)
            ignored.append(name)
            warnings.append(f"{name} is not used by {model.slug} and was ignored")
            continue
        if target in fields or target in out:
            check_json(value, name)
            ignored.append(name)
            warnings.append(
                f"{name} was ignored: {model.slug} takes {target}, which the request also gives"
            )
            continue
        spec = model.params[target]
        fits, converted = _convert(value, spec.type)
        if not fits:
            check_json(value, name)
            ignored.append(name)
            warnings.append(
                f"{name} was ignored: {model.slug} takes a single URL in {target}, "
                f"and {name} gives {len(value) if isinstance(value, list) else 0}"
            )
            continue
        out[target] = check_value(spec, converted, name)
        mapped[name] = target
    return Adapted(out, variant, mapped, tuple(ignored), tuple(warnings))


def _choose_variant(
    model: ModelSpec,
    variant: str | None,
    name: str,
    value: object,
    choices: Mapping[str, str],
    variant_named: bool,
) -> str | None:
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(choices)
        raise InvalidRequest(f"'{name}' must be one of {allowed}", param=name)
    chosen = choices[value]
    if variant_named and chosen != variant:
        raise InvalidRequest(
            f"'{name}' is {show(value)}, but model '{variant}' was asked for; "
            f"send model '{model.slug}' or '{chosen}'",
            param=name,
        )
    return chosen


def field_table(models: list[ModelSpec], endpoint: str) -> list[tuple[str, dict[str, str]]]:
    """Per docs-listed field of ``endpoint``: what each model does with it
    (``"native"``, ``"→ <field>"``, ``"→ model"`` or ``"ignored"``)."""
    rows: list[tuple[str, dict[str, str]]] = []
    for name in DOCS_FIELDS.get(endpoint, ()):
        cells: dict[str, str] = {}
        for model in models:
            chooser = VARIANT_FIELDS.get(model.slug)
            target = _target(model, name)
            if name in model.params:
                cells[model.slug] = "native"
            elif chooser is not None and chooser[0] == name:
                cells[model.slug] = "→ model"
            elif target is not None:
                cells[model.slug] = f"→ {target}"
            else:
                cells[model.slug] = "ignored"
        rows.append((name, cells))
    return rows


def field_table_markdown(models: list[ModelSpec], endpoint: str) -> str:
    """:func:`field_table` as the Markdown table of the endpoint's docs page: per model,
    the docs-listed fields it takes as they are, those it maps, and those it ignores."""
    rows = field_table(models, endpoint)
    lines = ["| model | taken as they are | mapped | ignored |", "|---|---|---|---|"]
    for model in models:
        native = [f"`{n}`" for n, cells in rows if cells[model.slug] == "native"]
        mapped = [
            f"`{n}` → `{cells[model.slug][2:]}`"
            for n, cells in rows
            if cells[model.slug].startswith("→")
        ]
        ignored = [f"`{n}`" for n, cells in rows if cells[model.slug] == "ignored"]
        cells_text = [", ".join(group) or "—" for group in (native, mapped, ignored)]
        lines.append(f"| `{model.slug}` | " + " | ".join(cells_text) + " |")
    return "\n".join(lines)
