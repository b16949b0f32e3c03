"""Still images: generated, cut out, upscaled, face-swapped, described. All deterministic."""

from __future__ import annotations

import io
import math
import re
import threading

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps, UnidentifiedImageError

from .errors import InvalidMedia
from .keying import background_alpha, border_colour
from .seeds import SeedStream
from .sizes import MAX_SIDE, MIN_SIDE

__all__ = [
    "IMAGE_FORMATS",
    "face_swap",
    "image_format",
    "image_info",
    "make_image",
    "open_image",
    "remove_background",
    "upscale_image",
]

IMAGE_FORMATS = ("png", "jpeg", "webp")
_ALIASES = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "webp": "webp"}
_PIL_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_MAX_SCALE = 8
_TEXT_CHARS = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_FONTS = threading.local()  # loading a font costs more than drawing with it; one set a thread


def image_format(fmt: str) -> str:
    """The canonical image format name (``png``, ``jpeg``, ``webp``); ValueError if unknown."""
    canonical = _ALIASES.get(fmt.strip().lower())
    if canonical is None:
        raise ValueError(f"image format must be one of {', '.join(IMAGE_FORMATS)}, got {fmt!r}")
    return canonical


def make_image(prompt: str, *, seed: int, width: int, height: int, fmt: str = "png") -> bytes:
    """A picture derived from sha256(prompt, seed): gradient, shapes, and the prompt's start."""
    fmt = image_format(fmt)
    _check_size(width, height)
    stream = SeedStream("image", prompt, seed)
    image = _gradient(stream, width, height).convert("RGBA")

    shapes = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    unit = min(width, height)
    for _ in range(stream.randint(4, 9)):
        cx, cy = stream.randint(0, width - 1), stream.randint(0, height - 1)
        rx = max(2, int(unit * stream.uniform(0.05, 0.28)))
        ry = max(2, int(unit * stream.uniform(0.05, 0.28)))
        fill = (*stream.colour(), stream.randint(110, 230))
        box = (cx - rx, cy - ry, cx + rx, cy + ry)
        kind = stream.randint(0, 2)
        if kind == 0:
            draw.ellipse(box, fill=fill)
        elif kind == 1:
            draw.rectangle(box, fill=fill)
        else:
            turn = stream.uniform(0.0, 2 * math.pi)
            points = [
                (cx + rx * math.cos(turn + k * 2 * math.pi / 3),
                 cy + ry * math.sin(turn + k * 2 * math.pi / 3))
                for k in range(3)
            ]  # fmt: skip
            draw.polygon(points, fill=fill)
    image = Image.alpha_composite(image, shapes)
    _caption(image, prompt)
    return _encode(image.convert("RGB"), fmt)


def remove_background(data: bytes) -> bytes:
    """A PNG whose alpha hides the background (estimated from the border colour), soft-edged."""
    image = open_image(data).convert("RGBA")
    pixels = np.asarray(image)
    rgb = np.ascontiguousarray(pixels[..., :3])
    alpha = background_alpha(rgb, border_colour(rgb))
    alpha = ((alpha.astype(np.uint16) * pixels[..., 3] + 127) // 255).astype(np.uint8)
    out = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    return _encode(out, "png")


def upscale_image(data: bytes, scale: int) -> bytes:
    """The image ``scale`` times larger (LANCZOS), in its own format (PNG if not png/jpeg/webp)."""
    if not 1 <= scale <= _MAX_SCALE:
        raise ValueError(f"scale must be between 1 and {_MAX_SCALE}, got {scale}")
    image = open_image(data)
    fmt = _ALIASES.get((image.format or "").lower(), "png")
    width, height = image.width * scale, image.height * scale
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValueError(
            f"{image.width}x{image.height} times {scale} exceeds {MAX_SIDE} pixels per side"
        )
    image = _workable(image)
    return _encode(image.resize((width, height), Image.Resampling.LANCZOS), fmt)


def face_swap(target: bytes, face: bytes, *, target_index: int, fmt: str) -> bytes:
    """The target with an elliptical, feathered crop of ``face`` pasted over its centre region.

    ``target_index`` 0 is the centre; 1, 2, 3, ... step left, right, further left, ... by about
    one face width (clamped to the picture), as if choosing among faces standing in a row.
    """
    fmt = image_format(fmt)
    if target_index < 0:
        raise ValueError(f"target_index must be 0 or more, got {target_index}")
    base = _workable(open_image(target)).convert("RGBA")
    source = _workable(open_image(face)).convert("RGBA")
    unit = min(base.width, base.height)
    face_w, face_h = max(4, int(unit * 0.38)), max(4, int(unit * 0.5))
    step = (target_index + 1) // 2 * (1 if target_index % 2 == 0 else -1)
    centre_x = base.width // 2 + int(step * face_w * 1.1)
    centre_x = min(max(centre_x, face_w // 2), base.width - face_w + face_w // 2)
    left, top = centre_x - face_w // 2, base.height // 2 - face_h // 2

    crop = ImageOps.fit(source, (face_w, face_h), Image.Resampling.LANCZOS, centering=(0.5, 0.45))
    feather = max(1, face_w // 24)
    mask = Image.new("L", (face_w, face_h), 0)
    ImageDraw.Draw(mask).ellipse(
        (feather, feather, face_w - 1 - feather, face_h - 1 - feather), fill=255
    )
    mask = mask.filter(ImageFilter.GaussianBlur(feather))
    crop_alpha = crop.getchannel("A")
    mask = Image.fromarray(
        ((np.asarray(mask, np.uint16) * np.asarray(crop_alpha, np.uint16) + 127) // 255).astype(
            np.uint8
        ),
        "L",
    )
    base.paste(crop, (left, top), mask)
    return _encode(base if fmt != "jpeg" else base.convert("RGB"), fmt)


def image_info(data: bytes) -> tuple[str, int, int, str]:
    """``(format, width, height, mode)``, e.g. ``("png", 1024, 1024, "RGB")``."""
    image = open_image(data, transpose=False)
    return (image.format or "unknown").lower(), image.width, image.height, image.mode


def open_image(data: bytes, *, transpose: bool = True) -> Image.Image:
    """Decode ``data`` (InvalidMedia if it is not an image), upright per its EXIF orientation."""
    unreadable = (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError)
    try:
        image = Image.open(io.BytesIO(data))
    except unreadable as exc:
        raise InvalidMedia(f"not a decodable image ({exc})") from exc
    if image.width * image.height > MAX_SIDE * MAX_SIDE:
        raise InvalidMedia(f"image too large ({image.width}x{image.height})")
    try:
        image.load()
    except unreadable as exc:
        raise InvalidMedia(f"not a decodable image ({exc})") from exc
    if not transpose:
        return image
    fmt = image.format
    upright = ImageOps.exif_transpose(image)
    upright.format = fmt
    return upright


def _check_size(width: int, height: int) -> None:
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(
            f"image size {width}x{height} is out of range; each side must be in "
            f"[{MIN_SIDE}, {MAX_SIDE}]"
        )


def _workable(image: Image.Image) -> Image.Image:
    """The image in a mode that resizes and saves everywhere: RGB, RGBA or L."""
    if image.mode in ("RGB", "RGBA", "L"):
        return image
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _gradient(stream: SeedStream, width: int, height: int) -> Image.Image:
    """A smooth two-colour gradient at a seed-chosen angle, computed small and scaled up."""
    small_w = max(2, min(64, round(64 * width / max(width, height))))
    small_h = max(2, min(64, round(64 * height / max(width, height))))
    start = np.asarray(stream.colour(20, 235), dtype=np.float64)
    end = np.asarray(stream.colour(20, 235), dtype=np.float64)
    angle = stream.uniform(0.0, 2 * math.pi)
    xs = np.arange(small_w, dtype=np.float64) / max(1, small_w - 1) * math.cos(angle)
    ys = np.arange(small_h, dtype=np.float64) / max(1, small_h - 1) * math.sin(angle)
    ramp = ys[:, None] + xs[None, :]
    ramp = (ramp - ramp.min()) / max(1e-9, float(ramp.max() - ramp.min()))
    pixels = start + (end - start) * ramp[..., None]
    small = Image.fromarray(np.rint(pixels).astype(np.uint8), "RGB")
    return small.resize((width, height), Image.Resampling.BILINEAR)


def _caption(image: Image.Image, prompt: str) -> None:
    """Draw the first characters of the prompt, white on a dark band, near the bottom."""
    text = " ".join(_CONTROL.sub(" ", prompt).split())[:_TEXT_CHARS]
    if not text:
        return
    width, height = image.size
    size = max(8, min(height // 14, int(width * 0.9 / (0.6 * _TEXT_CHARS))))
    draw = ImageDraw.Draw(image)
    font = _font(size)
    while True:
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        if right - left <= width * 0.92 or size <= 8:
            break
        size = max(8, size * 9 // 10)
        font = _font(size)
    pad = max(2, size // 4)
    x, y = max(pad, width // 25), height - (bottom - top) - 3 * pad
    band = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(band).rectangle(
        (x - pad, y - pad, x + (right - left) + pad, y + (bottom - top) + pad),
        fill=(0, 0, 0, 130),
    )
    image.alpha_composite(band)
    ImageDraw.Draw(image).text((x - left, y - top), text, font=font, fill=(255, 255, 255, 255))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The default font at ``size``, loaded once per thread (a font is not shared between
    threads: FreeType faces are not safe to use from two at once)."""
    fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] | None = getattr(
        _FONTS, "by_size", None
    )
    if fonts is None:
        fonts = _FONTS.by_size = {}
    font = fonts.get(size)
    if font is None:
        font = fonts[size] = ImageFont.load_default(size=size)
    return font


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "jpeg":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        image.save(out, "JPEG", quality=90)
    elif fmt == "webp":
        image.save(out, "WEBP", quality=90, method=4)
    else:
        image.save(out, _PIL_NAMES[fmt])
    return out.getvalue()
