"""Pixel dimensions from aspect ratio, resolution and explicit size strings."""

from __future__ import annotations

import pytest

from apiinone.media import image_dimensions, video_dimensions


@pytest.mark.parametrize(
    ("aspect", "resolution", "expected"),
    [
        (None, None, (1024, 1024)),
        ("1:1", "1K", (1024, 1024)),
        ("auto", "1K", (1024, 1024)),
        ("16:9", "1K", (1024, 576)),
        ("9:16", "1K", (576, 1024)),
        ("4:3", "1k", (1024, 768)),
        ("3:4", "1K", (768, 1024)),
        ("3:2", "1K", (1024, 682)),
        ("2:3", "1K", (682, 1024)),
        ("21:9", "1K", (1024, 438)),
        ("9:21", "1K", (438, 1024)),
        ("16:9", "2K", (2048, 1152)),
        ("1:1", "2k", (2048, 2048)),
        ("16:9", "4K", (4096, 2304)),
        ("16:9", "720p", (1280, 720)),
        ("9:16", "720p", (720, 1280)),
        ("16:9", "1080p", (1920, 1080)),
        ("16:9", "1080P", (1920, 1080)),
        ("16:9", "768P", (1366, 768)),
        ("16:9", "480p", (854, 480)),
        ("16:9", "540p", (960, 540)),
        ("16:9", "360p", (640, 360)),
        ("1:1", "720p", (720, 720)),
        ("21:9", "1080p", (2520, 1080)),
    ],
)
def test_image_dimensions_from_aspect_and_resolution(
    aspect: str | None, resolution: str | None, expected: tuple[int, int]
) -> None:
    width, height = image_dimensions(aspect, resolution, None)
    assert (width, height) == expected
    assert width % 2 == 0 and height % 2 == 0


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("1024x1024", (1024, 1024)),
        ("1024*1024", (1024, 1024)),
        ("1280*720", (1280, 720)),
        ("768*1344", (768, 1344)),
        ("1536x1024", (1536, 1024)),
        ("1365x1024", (1364, 1024)),  # odd sides are rounded down to even
    ],
)
def test_explicit_size_wins(size: str, expected: tuple[int, int]) -> None:
    assert image_dimensions("9:16", "4K", size) == expected
    assert video_dimensions("9:16", "1080p", size) == expected


def test_size_may_be_an_aspect_ratio_and_auto_is_ignored() -> None:
    assert image_dimensions(None, "1K", "16:9") == (1024, 576)
    assert image_dimensions("16:9", "1K", "auto") == (1024, 576)


@pytest.mark.parametrize(
    ("aspect", "resolution", "expected"),
    [
        (None, None, (1280, 720)),
        ("9:16", None, (720, 1280)),
        (None, "1080p", (1920, 1080)),
        ("1:1", "480p", (480, 480)),
        ("4:3", "720p", (960, 720)),
        ("16:9", "768P", (1366, 768)),
    ],
)
def test_video_dimensions_default_to_16_9_720p(
    aspect: str | None, resolution: str | None, expected: tuple[int, int]
) -> None:
    assert video_dimensions(aspect, resolution, None) == expected


@pytest.mark.parametrize(
    ("aspect", "resolution", "size", "words"),
    [
        ("wide", None, None, "aspect ratio"),
        ("16:0", None, None, "aspect ratio"),
        ("100:1", None, None, "out of range"),
        (None, "huge", None, "resolution"),
        (None, "16K", None, "each side"),
        (None, None, "big", "size"),
        (None, None, "4x4", "each side"),
        (None, None, "99999x1024", "each side"),
    ],
)
def test_garbage_is_refused_clearly(
    aspect: str | None, resolution: str | None, size: str | None, words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        image_dimensions(aspect, resolution, size)
