"""The shipped catalog: every model, alias and endpoint of DESIGN.md section 6."""

from __future__ import annotations

import apiinone.catalog as catalog_package
from apiinone.catalog import Catalog, ParamSpec

KINDS = {
    "chat": {"gemini", "deepseek-chat"},
    "image": {
        "flux-2",
        "gpt-image-1.5-official",
        "ideogram-v3",
        "ideogram-v4",
        "imagen-4",
        "cogview-4",
        "grok-imagine",
        "kling-image-o1",
        "recraft-v4",
        "hunyuan-image-3",
        "seedream-4-5",
        "wan2.7-image",
    },
    "video": {
        "kling-3",
        "hailuo-2-3",
        "wan-2-6",
        "vidu-q3",
        "pixverse-5-6",
        "seedance-1-5-pro",
        "wan2.7-t2v",
    },
    "music": {
        "suno",
        "minimax-music",
        "suno-extend",
        "suno-cover",
        "suno-upload-cover",
        "suno-lyrics",
    },
    "speech": {"elevenlabs-v3"},
    "tool": {"bg-remover", "face-swap", "image-upscale", "video-bg-remover", "video-upscale"},
}
ALIASES = {
    "gpt-image-1.5": "gpt-image-1.5-official",
    "gpt-image-1-5": "gpt-image-1.5-official",
    "seedream": "seedream-4-5",
    "hailuo-2.3": "hailuo-2-3",
    "wan-2.6": "wan-2-6",
    "pixverse-5.6": "pixverse-5-6",
    "seedance": "seedance-1-5-pro",
}
ENDPOINTS = {
    "suno-extend": "/api/v1/audio/music/extend",
    "suno-cover": "/api/v1/audio/music/cover/generate",
    "suno-upload-cover": "/api/v1/audio/music/upload-cover/generate",
    "suno-lyrics": "/api/v1/audio/music/timestamped-lyrics",
    "elevenlabs-v3": "/api/v1/audio/speech",
    "bg-remover": "/api/v1/images/tools/remove-bg",
    "face-swap": "/api/v1/images/tools/face-swap",
    "image-upscale": "/api/v1/images/tools/upscale",
    "video-bg-remover": "/api/v1/videos/tools/bg-remover",
    "video-upscale": "/api/v1/videos/tools/upscale",
}
SUNO_VARIANTS = [
    "chirp-v3-5",
    "chirp-v4-0",
    "chirp-v4-5",
    "chirp-v4-5-plus",
    "chirp-v5",
    "chirp-v5-5",
]


def test_every_model_is_there_with_its_kind(catalog: Catalog) -> None:
    found: dict[str, set[str]] = {}
    for model in catalog.models:
        found.setdefault(model.kind, set()).add(model.slug)
    assert found == KINDS


def test_aliases_resolve_to_their_model(catalog: Catalog) -> None:
    for alias, slug in ALIASES.items():
        resolved = catalog.get(alias)
        assert resolved is not None and resolved.model.slug == slug


def test_endpoints(catalog: Catalog) -> None:
    for slug, endpoint in ENDPOINTS.items():
        resolved = catalog.get(slug)
        assert resolved is not None and resolved.model.endpoint == endpoint
    images = catalog.for_endpoint("/api/v1/images/generations")
    assert {m.slug for m in images} == KINDS["image"]
    assert {m.slug for m in catalog.for_endpoint("/api/v1/audio/music")} == {
        "suno",
        "minimax-music",
    }
    assert catalog.for_endpoint("/api/v1/nothing") == []


def test_suno_variants_and_old_names(catalog: Catalog) -> None:
    suno = catalog.get("suno")
    assert suno is not None and suno.variant == "chirp-v4-5"
    assert suno.model.variants is not None and list(suno.model.variants.values) == SUNO_VARIANTS
    for old, new in {
        "suno-v3-5": "chirp-v3-5",
        "suno-v4-0": "chirp-v4-0",
        "suno-v4-5": "chirp-v4-5",
        "suno-v5-0": "chirp-v5",
    }.items():
        resolved = catalog.get(old)
        assert resolved is not None and (resolved.model.slug, resolved.variant) == ("suno", new)


def test_variant_names_resolve_per_endpoint(catalog: Catalog) -> None:
    extend = catalog.get("chirp-v5", "/api/v1/audio/music/extend")
    assert extend is not None and (extend.model.slug, extend.variant) == ("suno-extend", "chirp-v5")
    generate = catalog.get("chirp-v5")
    assert generate is not None and generate.model.slug == "suno"
    imagen = catalog.get("imagen4-ultra")
    assert imagen is not None and (imagen.model.slug, imagen.variant) == (
        "imagen-4",
        "imagen4-ultra",
    )
    recraft = catalog.get("recraft-v4-text-to-vector-pro")
    assert recraft is not None and recraft.variant == "recraft-v4-pro-text-to-vector"
    assert catalog.get("no-such-model") is None


def test_default_model_only_for_single_model_endpoints_without_model_field(
    catalog: Catalog,
) -> None:
    for slug, endpoint in ENDPOINTS.items():
        if slug == "elevenlabs-v3":
            assert catalog.default_for_endpoint(endpoint) is None
            continue
        default = catalog.default_for_endpoint(endpoint + "/")
        assert default is not None and default.slug == slug
    assert catalog.default_for_endpoint("/api/v1/images/generations") is None
    assert catalog.default_for_endpoint("/api/v1/chat/completions") is None


def test_async_models_take_callback_url_and_chat_does_not(catalog: Catalog) -> None:
    for model in catalog.models:
        has_callback = "callback_url" in model.params
        assert has_callback == (model.kind != "chat"), model.slug
        assert ("webhook" in model.capabilities) == has_callback


def _walk(spec: ParamSpec) -> list[ParamSpec]:
    nested = [spec]
    for child in (spec.items, *spec.any_of, *spec.properties.values()):
        if child is not None:
            nested.extend(_walk(child))
    return nested


def test_no_string_or_array_is_unbounded(catalog: Catalog) -> None:
    for model in catalog.models:
        for top in model.params.values():
            for spec in _walk(top):
                if spec.type == "string" and not spec.enum:
                    assert spec.max_length is not None, (model.slug, spec.name)
                if spec.type == "array":
                    assert spec.max_items is not None, (model.slug, spec.name)


def test_generic_video_defaults(catalog: Catalog) -> None:
    for slug in ("kling-3", "vidu-q3", "wan-2-6"):
        resolved = catalog.get(slug)
        assert resolved is not None
        params = resolved.model.params
        assert params["duration"].default == 5
        assert params["aspect_ratio"].default == "16:9"


def test_exports_are_explicit_and_real() -> None:
    assert sorted(catalog_package.__all__) == catalog_package.__all__
    for name in catalog_package.__all__:
        assert getattr(catalog_package, name).__module__.startswith("apiinone.catalog")
