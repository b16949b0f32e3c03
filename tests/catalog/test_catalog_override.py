"""The operator's override file: price changes, new models, and refusals of bad data."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiinone.catalog import CatalogError, load_catalog, price_request, validate_request

IMAGES = "/api/v1/images/generations"

NEW_MODEL = """
[[models]]
slug = "my-sdxl"
kind = "image"
endpoint = "/api/v1/images/generations"
display_name = "My SDXL"
provider = "Self-hosted"
description = "A local SDXL."
aliases = ["sdxl"]
capabilities = ["text-to-image"]
timeout_seconds = 300
[models.params.prompt]
type = "string"
required = true
max_length = 1000
[models.params.resolution]
type = "string"
enum = ["1K", "2K"]
default = "1K"
[models.price]
table_keys = ["resolution"]
table = { "1K" = 2, "2K" = 3 }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "override.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_override_replaces_a_price_and_adds_a_model(tmp_path: Path) -> None:
    override = write(
        tmp_path,
        """
[[models]]
slug = "flux-2"
[models.price]
base = 9
operator_set = true
price_note = "flat price on this server"
"""
        + NEW_MODEL,
    )
    catalog = load_catalog(override)
    flux = validate_request(catalog, IMAGES, {"model": "flux-2", "prompt": "abc", "type": "flex"})
    assert price_request(flux.model, flux) == 9
    assert flux.model.operator_set and flux.model.params["type"].enum == ("pro", "flex")
    sdxl = validate_request(catalog, IMAGES, {"model": "sdxl", "prompt": "abc", "resolution": "2K"})
    assert sdxl.model.slug == "my-sdxl" and price_request(sdxl.model, sdxl) == 3
    assert "callback_url" in sdxl.model.params
    assert [m.slug for m in catalog.models][-1] == "my-sdxl"
    shipped = load_catalog()
    assert len(catalog.models) == len(shipped.models) + 1


def _new_model(replace: str, by: str) -> str:
    assert replace in NEW_MODEL
    return NEW_MODEL.replace(replace, by)


BAD = [
    (
        "default outside its enum",
        _new_model('default = "1K"', 'default = "3K"'),
        "my-sdxl",
        "params.resolution.default",
    ),
    (
        "table lacks a combination",
        _new_model('"1K" = 2, "2K" = 3', '"1K" = 2'),
        "my-sdxl",
        "price.table",
    ),
    (
        "table has an extra row",
        _new_model('"2K" = 3', '"2K" = 3, "4K" = 5'),
        "my-sdxl",
        "price.table",
    ),
    (
        "alias claimed twice",
        _new_model('aliases = ["sdxl"]', 'aliases = ["seedream"]'),
        "my-sdxl",
        None,
    ),
    ("typo in a key", _new_model("table_keys", "table_key"), "my-sdxl", "price"),
    ("unknown kind", _new_model('kind = "image"', 'kind = "picture"'), "my-sdxl", "kind"),
    ("new model missing fields", '[[models]]\nslug = "half"\nkind = "image"\n', "half", "endpoint"),
    (
        "tokens on an image model",
        '[[models]]\nslug = "flux-2"\n[models.price]\ntokens = { input_per_million = 1, '
        "output_per_million = 1, default_max_tokens = 1 }\n",
        "flux-2",
        "price.tokens",
    ),
    (
        "price keyed by a free-text param",
        '[[models]]\nslug = "flux-2"\n[models.price]\ntable_keys = ["prompt"]\n'
        'table = { "a" = 1 }\n',
        "flux-2",
        "price.table_keys",
    ),
    (
        "per a string param",
        '[[models]]\nslug = "flux-2"\n[models.price]\nbase = 1\nper = "type"\n',
        "flux-2",
        "price.per",
    ),
    (
        "multiplier on a value the param cannot take",
        '[[models]]\nslug = "pixverse-5-6"\n[models.price]\nbase = 1\nmultipliers = '
        '[{ param = "resolution", equals = "8K", num = 2 }]\n',
        "pixverse-5-6",
        "price.multipliers[0].equals",
    ),
    (
        "required_when names no param",
        _new_model('default = "1K"', 'default = "1K"\nrequired_when = { style = "x" }'),
        "my-sdxl",
        "params.resolution.required_when.style",
    ),
    (
        "variant default not among values",
        '[[models]]\nslug = "imagen-4"\n[models.variants]\ndefault = "imagen5"\n'
        'values = ["imagen4"]\n',
        "imagen-4",
        "variants.default",
    ),
    ("listed twice", '[[models]]\nslug = "flux-2"\n[[models]]\nslug = "flux-2"\n', "flux-2", None),
    (
        "negative price",
        '[[models]]\nslug = "flux-2"\n[models.price]\nbase = -1\n',
        "flux-2",
        "price.base",
    ),
    (
        "min above max",
        _new_model("max_length = 1000", "max_length = 1000\nmin_length = 2000"),
        "my-sdxl",
        "params.prompt.min_length",
    ),
]


@pytest.mark.parametrize(("case", "text", "model", "field"), BAD, ids=[b[0] for b in BAD])
def test_malformed_overrides_are_refused(
    tmp_path: Path, case: str, text: str, model: str, field: str | None
) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(write(tmp_path, text))
    assert info.value.model == model, case
    assert info.value.field == field, case
    assert model in str(info.value)


def test_unreadable_or_invalid_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.toml")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(write(tmp_path, "[[models]\nslug = 1"))
    with pytest.raises(CatalogError, match="unknown top-level"):
        load_catalog(write(tmp_path, "version = 2\n"))
    with pytest.raises(CatalogError, match="slug"):
        load_catalog(write(tmp_path, '[[models]]\nkind = "image"\n'))
