"""OpenAI sizes onto the shipped catalog's models, and back to OpenAI video sizes."""

from __future__ import annotations

import pytest

from apiinone.catalog import Catalog, load_catalog
from apiinone.errors import InvalidRequest
from apiinone.openai_compat.sizes import VIDEO_SIZES, parse_size, size_params, video_size_of


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(None)


def params(catalog: Catalog, slug: str, size: str) -> dict[str, str]:
    resolved = catalog.get(slug)
    assert resolved is not None
    return size_params(resolved.model, parse_size(size))


@pytest.mark.parametrize(
    ("slug", "size", "expected"),
    [
        ("flux-2", "1792x1024", {"aspect_ratio": "16:9", "resolution": "2K"}),
        ("flux-2", "1024x1024", {"aspect_ratio": "1:1", "resolution": "1K"}),
        ("flux-2", "512x512", {"aspect_ratio": "1:1", "resolution": "1K"}),
        ("flux-2", "1536x1024", {"aspect_ratio": "3:2", "resolution": "2K"}),
        ("flux-2", "1024x1792", {"aspect_ratio": "9:16", "resolution": "2K"}),
        ("gpt-image-1.5-official", "1792x1024", {"aspect_ratio": "3:2"}),
        ("ideogram-v4", "1024x1536", {"size": "2:3"}),
        ("cogview-4", "1792x1024", {"size": "1344*768"}),
        ("recraft-v4", "1792x1024", {"image_size": "1820x1024"}),
        ("recraft-v4", "1024x1024", {"image_size": "1024x1024"}),
        ("wan2.7-image", "1024x1792", {"size": "1024x1792"}),
        ("hunyuan-image-3", "1536x1024", {"size": "1536*1024"}),
        ("kling-image-o1", "1792x1024", {"aspect_ratio": "16:9", "resolution": "2k"}),
        ("imagen-4", "1024x1536", {"aspect_ratio": "3:4"}),
        ("kling-3", "1280x720", {"aspect_ratio": "16:9"}),
        ("kling-3", "720x1280", {"aspect_ratio": "9:16"}),
        ("wan-2-6", "1792x1024", {"aspect_ratio": "16:9", "resolution": "1080p"}),
        ("hailuo-2-3", "1280x720", {"resolution": "768P"}),
        ("seedance-1-5-pro", "1024x1792", {"aspect_ratio": "9:16", "resolution": "720p"}),
        ("pixverse-5-6", "720x1280", {"resolution": "720p", "resolution_ratio": "9:16"}),
        ("wan2.7-t2v", "1280x720", {"resolution": "1280*720"}),
        ("wan2.7-t2v", "1792x1024", {"resolution": "1920*1080"}),
    ],
)
def test_size_params(catalog: Catalog, slug: str, size: str, expected: dict[str, str]) -> None:
    assert params(catalog, slug, size) == expected


def test_every_mapped_value_is_allowed(catalog: Catalog) -> None:
    sizes = ("256x256", "512x512", "1024x1024", "1536x1024", "1024x1536", "1792x1024")
    for model in catalog.models:
        if model.kind not in ("image", "video"):
            continue
        for size in (*sizes, *VIDEO_SIZES):
            for name, value in size_params(model, parse_size(size)).items():
                enum = model.params[name].enum
                assert enum is None or value in enum, (model.slug, size, name, value)


def test_auto_and_bad_sizes() -> None:
    assert parse_size("auto") is None and parse_size(None) is None
    assert parse_size("1024X768") == (1024, 768)
    for bad in ("big", "1024", "0x100", "99999x1"):
        with pytest.raises(InvalidRequest) as caught:
            parse_size(bad)
        assert caught.value.param == "size"


@pytest.mark.parametrize(
    ("task_params", "expected"),
    [
        ({"aspect_ratio": "16:9"}, "1280x720"),
        ({"aspect_ratio": "9:16", "resolution": "720p"}, "720x1280"),
        ({"aspect_ratio": "9:16", "resolution": "1080p"}, "1024x1792"),
        ({"resolution": "1920*1080"}, "1792x1024"),
        ({"resolution_ratio": "3:4"}, "720x1280"),
        ({}, "1280x720"),
    ],
)
def test_video_size_of(task_params: dict[str, str], expected: str) -> None:
    assert video_size_of(task_params) == expected
