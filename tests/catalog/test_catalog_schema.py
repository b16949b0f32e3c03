"""JSON Schema of each model: valid 2020-12, and it accepts whatever the validator accepts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from apiinone.catalog import (
    Catalog,
    ModelSpec,
    json_schema,
    list_item,
    load_catalog,
    public_model,
    validate_request,
)
from apiinone.errors import InvalidRequest, NotFound

from .strategies import NOISE, body

MODELS = load_catalog().models


def validator(model: ModelSpec) -> Draft202012Validator:
    return Draft202012Validator(json_schema(model))


def model_of(catalog: Catalog, name: str) -> ModelSpec:
    resolved = catalog.get(name)
    assert resolved is not None, name
    return resolved.model


def schema_of(catalog: Catalog, name: str) -> dict[str, Any]:
    return json_schema(model_of(catalog, name))


@pytest.mark.parametrize("model", MODELS, ids=[m.slug for m in MODELS])
def test_every_schema_is_valid_2020_12(model: ModelSpec) -> None:
    Draft202012Validator.check_schema(json_schema(model))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_accepted_bodies_validate_against_the_schema(catalog: Catalog, data: st.DataObject) -> None:
    model = data.draw(st.sampled_from(MODELS), label="model")
    sent: dict[str, Any] = data.draw(body(model), label="body")
    if data.draw(st.booleans(), label="mutate") and sent:
        key = data.draw(st.sampled_from([*sent, "unexpected"]), label="key")
        sent[key] = data.draw(NOISE, label="noise")
    try:
        validated = validate_request(catalog, model.endpoint, sent)
    except (InvalidRequest, NotFound):  # NotFound: the noise named no model
        return
    schema = validator(validated.model)
    errors = [e.message for e in schema.iter_errors(sent)]
    assert not errors, (sent, errors)
    normalised = {**validated.params, **({"model": sent["model"]} if "model" in sent else {})}
    assert not [e.message for e in schema.iter_errors(normalised)]


def test_schema_shapes(catalog: Catalog) -> None:
    flux = schema_of(catalog, "flux-2")
    assert flux["additionalProperties"] is False
    assert flux["required"] == ["model", "prompt"]
    props = flux["properties"]
    assert props["resolution"] == {"type": "string", "enum": ["1K", "2K"], "default": "1K"}
    assert props["input_urls"]["maxItems"] == 8
    assert props["input_urls"]["items"]["format"] == "uri"
    assert props["prompt"]["minLength"] == 3 and props["prompt"]["maxLength"] == 5000
    kling = schema_of(catalog, "kling-3")["properties"]
    assert [alt["type"] for alt in kling["duration"]["anyOf"]] == ["integer", "string"]
    bg = schema_of(catalog, "bg-remover")
    assert bg["required"] == ["image"]
    assert bg["properties"]["model"]["default"] == "bg-remover"
    suno = schema_of(catalog, "suno")
    assert "suno-v4-5" in suno["properties"]["model"]["enum"]


def test_schema_rejects_what_the_validator_rejects(catalog: Catalog) -> None:
    hunyuan = validator(model_of(catalog, "hunyuan-image-3"))
    assert hunyuan.is_valid({"model": "hunyuan-image-3", "prompt": "abc"})
    assert not hunyuan.is_valid({"model": "hunyuan-image-3", "prompt": "abc", "type": "edit"})
    assert not hunyuan.is_valid({"model": "hunyuan-image-3", "prompt": "abc", "steps": 3})
    seedream = validator(model_of(catalog, "seedream"))
    assert seedream.is_valid({"model": "seedream", "prompt": "abc"})
    assert not seedream.is_valid({"model": "seedream/4.5-edit", "prompt": "abc"})
    kling = validator(model_of(catalog, "kling-3"))
    assert not kling.is_valid({"model": "kling-3"})
    assert kling.is_valid({"model": "kling-3", "multi_shots": True, "multi_prompt": []})


def test_public_model_and_list_item(catalog: Catalog) -> None:
    kling = model_of(catalog, "kling-3")
    public: dict[str, Any] = public_model(kling)
    assert public["slug"] == "kling-3" and public["kind"] == "video"
    assert public["endpoint"] == "/api/v1/videos/generations"
    price = public["price"]
    assert price["operator_set"] is True and price["note"]
    assert price["range"] == [120, 1200]
    assert public["parameters"] == json_schema(kling)
    hailuo: dict[str, Any] = public_model(model_of(catalog, "hailuo-2.3"))
    assert hailuo["aliases"] == ["hailuo-2.3"]
    assert hailuo["variants"]["default"] == "hailuo/2-3-image-to-video-standard"
    item = list_item(kling)
    assert set(item) == {
        "slug",
        "object",
        "display_name",
        "kind",
        "endpoint",
        "provider",
        "aliases",
        "capabilities",
        "price_summary",
    }
    assert item["price_summary"] == "40-80 credits per duration by mode, sound"
