"""Generated, cut-out, upscaled and face-swapped images decode as what they claim to be."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from apiinone.media import (
    InvalidMedia,
    face_swap,
    image_info,
    make_image,
    remove_background,
    upscale_image,
)


def _decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(("fmt", "pil_name"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_make_image_has_the_requested_size_and_format(fmt: str, pil_name: str) -> None:
    data = make_image("A lighthouse at dusk, oil painting", seed=7, width=320, height=180, fmt=fmt)
    image = _decode(data)
    assert image.format == pil_name
    assert image.size == (320, 180)
    assert image_info(data) == (fmt, 320, 180, "RGB")


def test_make_image_1k_png() -> None:
    image = _decode(make_image("a cat", seed=1, width=1024, height=1024))
    assert (image.format, image.size) == ("PNG", (1024, 1024))


def test_make_image_is_deterministic_per_prompt_and_seed() -> None:
    first = make_image("same prompt", seed=42, width=256, height=256, fmt="webp")
    assert make_image("same prompt", seed=42, width=256, height=256, fmt="webp") == first
    assert make_image("same prompt", seed=43, width=256, height=256, fmt="webp") != first
    assert make_image("other prompt", seed=42, width=256, height=256, fmt="webp") != first


def test_make_image_accepts_empty_and_odd_prompts() -> None:
    for prompt in ("", "\n\t", "日本語のプロンプト 🎨" * 10):
        assert image_info(make_image(prompt, seed=0, width=64, height=48))[1:3] == (64, 48)


def test_make_image_refuses_bad_format_and_size() -> None:
    with pytest.raises(ValueError, match="format"):
        make_image("x", seed=0, width=64, height=64, fmt="gif")
    with pytest.raises(ValueError, match="size"):
        make_image("x", seed=0, width=0, height=64)


def _square_on_flat_background(fmt: str = "PNG") -> bytes:
    image = Image.new("RGB", (200, 160), (240, 240, 235))
    image.paste((200, 30, 40), (60, 40, 140, 120))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def test_remove_background_makes_the_background_transparent() -> None:
    cut = _decode(remove_background(_square_on_flat_background()))
    assert cut.format == "PNG"
    assert cut.mode == "RGBA"
    assert cut.size == (200, 160)
    alpha = cut.getchannel("A")
    for corner in ((0, 0), (199, 0), (0, 159), (199, 159), (30, 20)):
        assert alpha.getpixel(corner) == 0
    for inside in ((100, 80), (61, 41), (138, 118)):
        assert alpha.getpixel(inside) == 255
    assert cut.getpixel((100, 80)) == (200, 30, 40, 255)


def test_remove_background_works_on_lossy_input() -> None:
    alpha = _decode(remove_background(_square_on_flat_background("JPEG"))).getchannel("A")
    assert alpha.getpixel((0, 0)) == 0
    assert alpha.getpixel((100, 80)) == 255


@pytest.mark.parametrize(("fmt", "pil_name"), [("PNG", "PNG"), ("JPEG", "JPEG"), ("WEBP", "WEBP")])
def test_upscale_doubles_the_size_in_the_same_format(fmt: str, pil_name: str) -> None:
    bigger = _decode(upscale_image(_square_on_flat_background(fmt), 2))
    assert bigger.size == (400, 320)
    assert bigger.format == pil_name


def test_upscale_of_other_formats_gives_png_and_keeps_transparency() -> None:
    source = Image.new("P", (30, 20), 0)
    source.info["transparency"] = 0
    out = io.BytesIO()
    source.save(out, "GIF")
    bigger = _decode(upscale_image(out.getvalue(), 3))
    assert (bigger.format, bigger.size, bigger.mode) == ("PNG", (90, 60), "RGBA")


def test_upscale_refuses_bad_scales() -> None:
    with pytest.raises(ValueError, match="scale"):
        upscale_image(_square_on_flat_background(), 0)


def test_face_swap_keeps_the_target_size_and_changes_its_centre() -> None:
    target = make_image("a crowd", seed=1, width=320, height=240)
    face = Image.new("RGB", (100, 120), (250, 200, 10))
    out = io.BytesIO()
    face.save(out, "PNG")
    swapped = face_swap(target, out.getvalue(), target_index=0, fmt="png")
    before, after = _decode(target).convert("RGB"), _decode(swapped).convert("RGB")
    assert after.size == before.size == (320, 240)
    assert after.getpixel((160, 120)) == (250, 200, 10)
    assert before.getpixel((160, 120)) != after.getpixel((160, 120))
    assert after.getpixel((2, 2)) == before.getpixel((2, 2))
    assert face_swap(target, out.getvalue(), target_index=0, fmt="png") == swapped
    assert image_info(face_swap(target, out.getvalue(), target_index=2, fmt="jpeg"))[:3] == (
        "jpeg",
        320,
        240,
    )


def test_undecodable_input_is_invalid_media() -> None:
    with pytest.raises(InvalidMedia):
        remove_background(b"not an image")
    with pytest.raises(ValueError):  # InvalidMedia is a ValueError: a client error
        image_info(b"")


def test_oversized_images_are_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, "PNG")
    png = bytearray(out.getvalue())
    png[16:24] = (9000).to_bytes(4, "big") + (9000).to_bytes(4, "big")  # IHDR width, height
    png[29:33] = zlib.crc32(bytes(png[12:29])).to_bytes(4, "big")
    with pytest.raises(InvalidMedia, match="too large"):
        upscale_image(bytes(png), 2)
