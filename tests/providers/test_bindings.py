"""The binding format: a catalog model's variants and modes -> upstream ids, one format for
every adapter; and the variant and mode a request is in (``catalog/routing.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apiinone.catalog import ModelSpec, load_catalog
from apiinone.catalog.errors import CatalogError
from apiinone.catalog.routing import RouteKey, route_keys, route_of
from apiinone.providers.bindings import BindingError, parse_binding
from apiinone.providers.channels import ChannelFileError, load_channels

CATALOG = load_catalog()


def model(slug: str) -> ModelSpec:
    return next(m for m in CATALOG.models if m.slug == slug)


KLING = model("kling-3")


def test_a_string_binds_every_variant_and_mode() -> None:
    binding = parse_binding(KLING, "fal-ai/kling-video/v3/standard/text-to-video")
    assert set(binding.upstreams) == set(route_keys(KLING))
    assert binding.ids == ["fal-ai/kling-video/v3/standard/text-to-video"]


def test_a_table_binds_only_what_it_names() -> None:
    binding = parse_binding(
        KLING, {"std/text-to-video": "t2v-std", "pro": {"image-to-video": "i2v-pro"}}
    )
    assert dict(binding.upstreams) == {
        RouteKey("std", "text-to-video"): "t2v-std",
        RouteKey("pro", "image-to-video"): "i2v-pro",
    }
    assert binding.written == {"t2v-std": "std/text-to-video", "i2v-pro": "pro/image-to-video"}


def test_an_exact_key_beats_a_variant_or_mode_key() -> None:
    binding = parse_binding(
        KLING, {"pro": "pro-any", "text-to-video": "t2v-any", "pro/text-to-video": "exact"}
    )
    assert binding.upstreams[RouteKey("pro", "text-to-video")] == "exact"
    assert binding.upstreams[RouteKey("pro", "image-to-video")] == "pro-any"
    assert binding.upstreams[RouteKey("std", "text-to-video")] == "t2v-any"
    assert RouteKey("std", "image-to-video") not in binding.upstreams


def test_variant_names_with_slashes_are_parsed_against_the_catalog() -> None:
    hailuo = model("hailuo-2-3")
    binding = parse_binding(hailuo, {"hailuo/2-3-image-to-video-pro/1080P": "pro"})
    assert dict(binding.upstreams) == {RouteKey("hailuo/2-3-image-to-video-pro", "1080P"): "pro"}


@pytest.mark.parametrize(
    ("slug", "value", "message"),
    [
        ("kling-3", {"ultra": "x"}, "'ultra' is not a variant, a mode"),
        ("kling-3", {"pro/edit": "x"}, "is not a variant, a mode"),
        ("kling-3", {"pro": "a", "image-to-video": "b"}, "to different ids"),
        ("kling-3", {"std": ""}, "non-empty string"),
        ("kling-3", {}, "expected an upstream id"),
        ("kling-3", 12, "expected an upstream id"),
        ("kling-3", {"text-to-video": {"std": "x"}}, "only a variant takes a table"),
        ("cogview-4", {"x": "y"}, "has no variants or modes"),
    ],
)
def test_a_binding_that_does_not_fit_is_refused(slug: str, value: Any, message: str) -> None:
    with pytest.raises(BindingError, match=message):
        parse_binding(model(slug), value)


@pytest.mark.parametrize(
    ("slug", "variant", "params", "expected"),
    [
        ("kling-3", None, {"mode": "pro", "image": "https://x.test/a.png"}, "pro/image-to-video"),
        ("kling-3", None, {"mode": "std"}, "std/text-to-video"),
        ("kling-3", None, {}, "std/text-to-video"),
        ("wan-2-6", None, {"image": "https://x.test/a.png"}, "image-to-video"),
        ("wan-2-6", None, {"image": ""}, "text-to-video"),
        (
            "flux-2",
            None,
            {"type": "flex", "input_urls": ["https://x.test/a"]},
            "flex/image-to-image",
        ),
        ("flux-2", None, {"input_urls": []}, "pro/text-to-image"),
        ("hunyuan-image-3", None, {"type": "edit"}, "edit"),
        ("kling-image-o1", None, {"type": "ai-multi-shot", "images": ["u"]}, "multi-shot"),
        ("kling-image-o1", None, {"images": ["u"]}, "image-to-image"),
        ("kling-image-o1", None, {}, "text-to-image"),
        ("recraft-v4", "recraft-v4-pro-text-to-vector", {}, "recraft-v4-pro-text-to-vector"),
        ("recraft-v4", None, {}, "recraft-v4-text-to-image"),
        ("hailuo-2-3", None, {"resolution": "1080P"}, "hailuo/2-3-image-to-video-standard/1080P"),
        ("video-bg-remover", None, {"background_image": "u"}, "replace-background"),
        ("cogview-4", None, {}, "*"),
    ],
)
def test_the_route_of_a_request(
    slug: str, variant: str | None, params: dict[str, Any], expected: str
) -> None:
    assert str(route_of(model(slug), variant, params)) == expected


def test_the_older_options_variants_key_reads_as_a_binding_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WS_KEY", "x" * 20)
    path = tmp_path / "providers.toml"
    path.write_text(
        """
[[channels]]
name = "ws"
adapter = "wavespeed"
base_url = "https://ws.test"
credential_env = "WS_KEY"
[channels.models]
"seedream-4-5" = "bytedance/seedream-v4.5"
[channels.options.variants]
"seedream/4.5-edit" = "bytedance/seedream-v4.5/edit"
"""
    )
    (plain, edit) = load_channels(path, CATALOG)["seedream-4-5"]
    assert (plain.upstream_model, edit.upstream_model) == (
        "bytedance/seedream-v4.5",
        "bytedance/seedream-v4.5/edit",
    )
    assert plain.routes == {RouteKey("seedream/4.5-text-to-image", None)}
    assert edit.routes == {RouteKey("seedream/4.5-edit", None)}
    assert "variants" not in edit.options
    path.write_text(path.read_text().replace('"seedream/4.5-edit" =', '"nope" ='))
    with pytest.raises(ChannelFileError, match="a variant of none of the channel's models"):
        load_channels(path, CATALOG)


def test_a_bad_binding_fails_the_providers_file_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAL_KEY", "x" * 20)
    path = tmp_path / "providers.toml"
    path.write_text(
        """
[[channels]]
name = "fal"
adapter = "fal"
base_url = "https://fal.test"
credential_env = "FAL_KEY"
[channels.models.kling-3]
"pro/sideways" = "fal-ai/kling-video/v3/pro/text-to-video"
"""
    )
    with pytest.raises(ChannelFileError, match=r"channel fal: kling-3: 'pro/sideways'"):
        load_channels(path, CATALOG)


def test_catalog_routing_is_checked_when_the_catalog_loads(tmp_path: Path) -> None:
    override = tmp_path / "catalog.toml"
    override.write_text(
        """
[[models]]
slug = "kling-3"
routing = { modes = [{ mode = "image-to-video", present = "picture" }, { mode = "t2v" }] }
"""
    )
    with pytest.raises(CatalogError, match=r"kling-3\.routing\.modes\[0\]\.present"):
        load_catalog(override)
    override.write_text(
        """
[[models]]
slug = "kling-3"
routing = { modes = [{ mode = "image-to-video" }, { mode = "t2v", present = "image" }] }
"""
    )
    with pytest.raises(CatalogError, match="the last rule is the default"):
        load_catalog(override)
