"""Animated frames for generated videos, painted directly in YUV 4:2:0 with NumPy.

Each frame is a window panning over a seed-coloured gradient, a few discs gliding on
Lissajous paths, the prompt's start on a dark band, and a progress bar. Painting in YUV lets
ffmpeg skip colour conversion; only integer indexing and plain float arithmetic are used
(``math.sin`` on scalars), so frames are identical on every run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from .seeds import SeedStream

__all__ = ["FramePainter", "rgb_to_yuv"]

Plane = npt.NDArray[np.uint8]
_Float = npt.NDArray[np.float32]
_TEXT_CHARS = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def rgb_to_yuv(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """BT.709 limited-range Y, Cb, Cr of an 8-bit RGB colour."""
    red, green, blue = rgb
    luma = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return (
        16 + 219 * luma / 255,
        128 + 224 * (blue - luma) / 1.8556 / 255,
        128 + 224 * (red - luma) / 1.5748 / 255,
    )


def _even(value: float) -> int:
    return math.floor(value / 2 + 0.5) * 2


@dataclass(frozen=True)
class _Disc:
    radius: int  # even, in full-resolution pixels
    yuv: tuple[int, int, int]
    speed: tuple[float, float]  # Hz along x and y
    phase: tuple[float, float]
    mask: npt.NDArray[np.bool_]  # (2r, 2r)
    half_mask: npt.NDArray[np.bool_]  # (r, r), for the chroma planes


@dataclass(frozen=True)
class _Caption:
    x: int
    y: int
    luma_scale: _Float
    luma_add: _Float
    chroma_scale: _Float
    chroma_add: _Float


class FramePainter:
    """Paints frame ``t`` (seconds) of a ``width`` x ``height`` video of ``duration`` seconds."""

    def __init__(self, prompt: str, seed: int, width: int, height: int, duration: float) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"video frames need even sides, got {width}x{height}")
        self.width, self.height, self.duration = width, height, duration
        stream = SeedStream("video", prompt, seed)
        self._pan = max(2, _even(min(width, height) / 10))
        self._pan_speed = (stream.uniform(0.04, 0.12), stream.uniform(0.04, 0.12))
        self._pan_phase = (stream.uniform(0, 2 * math.pi), stream.uniform(0, 2 * math.pi))
        self._planes = self._gradient(stream)
        self._discs = [self._disc(stream) for _ in range(stream.randint(3, 6))]
        self._caption = self._make_caption(prompt)

    def frames(self, count: int, rate: float) -> Iterator[memoryview]:
        """The Y, U and V planes of frames ``0 .. count-1`` at ``rate`` frames a second."""
        for number in range(count):
            for plane in self.paint(number / rate):
                yield memoryview(plane.data)

    def paint(self, t: float) -> tuple[Plane, Plane, Plane]:
        width, height, pan = self.width, self.height, self._pan
        left = min(2 * pan, max(0, _even(pan + pan * math.sin(self._phase(t, 0)))))
        top = min(2 * pan, max(0, _even(pan + pan * math.sin(self._phase(t, 1)))))
        canvas_y, canvas_u, canvas_v = self._planes
        luma = canvas_y[top : top + height, left : left + width].copy()
        cb = canvas_u[top // 2 : (top + height) // 2, left // 2 : (left + width) // 2].copy()
        cr = canvas_v[top // 2 : (top + height) // 2, left // 2 : (left + width) // 2].copy()
        for disc in self._discs:
            self._draw_disc(disc, t, luma, cb, cr)
        self._draw_caption(luma, cb, cr)
        bar = max(2, _even(height / 90))
        done = min(width, _even(width * t / self.duration)) if self.duration > 0 else 0
        luma[height - bar :, :done] = 235
        cb[(height - bar) // 2 :, : done // 2] = 128
        cr[(height - bar) // 2 :, : done // 2] = 128
        return luma, cb, cr

    def _phase(self, t: float, axis: int) -> float:
        return 2 * math.pi * self._pan_speed[axis] * t + self._pan_phase[axis]

    def _gradient(self, stream: SeedStream) -> tuple[Plane, Plane, Plane]:
        rows, cols = self.height + 2 * self._pan, self.width + 2 * self._pan
        start = rgb_to_yuv(stream.colour(20, 235))
        end = rgb_to_yuv(stream.colour(20, 235))
        angle = stream.uniform(0, 2 * math.pi)
        xs = np.arange(cols, dtype=np.float32) * np.float32(math.cos(angle) / cols)
        ys = np.arange(rows, dtype=np.float32) * np.float32(math.sin(angle) / rows)
        ramp: _Float = ys[:, None] + xs[None, :]
        ramp -= ramp.min()
        ramp /= max(np.float32(1e-6), ramp.max())
        half = np.ascontiguousarray(ramp[::2, ::2])
        planes = []
        for channel, source in enumerate((ramp, half, half)):
            low, high = np.float32(start[channel]), np.float32(end[channel])
            plane = low + (high - low) * source + np.float32(0.5)
            planes.append(plane.astype(np.uint8))
        return planes[0], planes[1], planes[2]

    def _disc(self, stream: SeedStream) -> _Disc:
        unit = min(self.width, self.height)
        radius = max(4, _even(unit * stream.uniform(0.05, 0.13)))
        yuv = rgb_to_yuv(stream.colour())
        full = np.arange(2 * radius, dtype=np.float32) + np.float32(0.5 - radius)
        half = np.arange(radius, dtype=np.float32) + np.float32(0.5 - radius / 2)
        return _Disc(
            radius=radius,
            yuv=(round(yuv[0]), round(yuv[1]), round(yuv[2])),
            speed=(stream.uniform(0.05, 0.35), stream.uniform(0.05, 0.35)),
            phase=(stream.uniform(0, 2 * math.pi), stream.uniform(0, 2 * math.pi)),
            mask=(full[:, None] ** 2 + full[None, :] ** 2) <= np.float32(radius**2),
            half_mask=(half[:, None] ** 2 + half[None, :] ** 2) <= np.float32((radius / 2) ** 2),
        )

    def _draw_disc(self, disc: _Disc, t: float, luma: Plane, cb: Plane, cr: Plane) -> None:
        size = 2 * disc.radius
        room_x, room_y = max(0, self.width - size), max(0, self.height - size)
        swing_x = math.sin(2 * math.pi * disc.speed[0] * t + disc.phase[0])
        swing_y = math.sin(2 * math.pi * disc.speed[1] * t + disc.phase[1])
        x = min(room_x, max(0, _even(room_x * (0.5 + 0.48 * swing_x))))
        y = min(room_y, max(0, _even(room_y * (0.5 + 0.48 * swing_y))))
        mask = disc.mask[: self.height - y, : self.width - x]
        luma[y : y + size, x : x + size][mask] = disc.yuv[0]
        half_mask = disc.half_mask[: (self.height - y) // 2, : (self.width - x) // 2]
        cb[y // 2 : y // 2 + disc.radius, x // 2 : x // 2 + disc.radius][half_mask] = disc.yuv[1]
        cr[y // 2 : y // 2 + disc.radius, x // 2 : x // 2 + disc.radius][half_mask] = disc.yuv[2]

    def _make_caption(self, prompt: str) -> _Caption | None:
        text = " ".join(_CONTROL.sub(" ", prompt).split())[:_TEXT_CHARS]
        if not text:
            return None
        width, height = self.width, self.height
        size = max(8, min(height // 14, int(width * 0.9 / (0.6 * _TEXT_CHARS))))
        font = ImageFont.load_default(size=size)
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        while True:
            left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
            if right - left <= width * 0.92 or size <= 8:
                break
            size = max(8, size * 9 // 10)
            font = ImageFont.load_default(size=size)
        pad = max(2, size // 4)
        box_w = min(width, _even(right - left + 2 * pad))
        box_h = min(height, _even(bottom - top + 2 * pad))
        glyphs = Image.new("L", (box_w, box_h), 0)
        ImageDraw.Draw(glyphs).text((pad - left, pad - top), text, font=font, fill=255)
        text_alpha = np.asarray(glyphs, dtype=np.float32) / np.float32(255)
        keep = (np.float32(1) - np.float32(0.55)) * (np.float32(1) - text_alpha)
        luma_add = np.float32(16 * 0.55) * (np.float32(1) - text_alpha) + np.float32(235) * (
            text_alpha
        )
        chroma_scale = np.ascontiguousarray(keep[::2, ::2])
        x = min(max(0, width - box_w), _even(max(pad, width / 25)))
        y = max(0, _even(height - box_h - 2 * pad - max(2, height / 90)))
        return _Caption(
            x=x,
            y=y,
            luma_scale=keep,
            luma_add=luma_add + np.float32(0.5),
            chroma_scale=chroma_scale,
            chroma_add=np.float32(128) * (np.float32(1) - chroma_scale) + np.float32(0.5),
        )

    def _draw_caption(self, luma: Plane, cb: Plane, cr: Plane) -> None:
        caption = self._caption
        if caption is None:
            return
        rows, cols = caption.luma_scale.shape
        x, y = caption.x, caption.y
        region = luma[y : y + rows, x : x + cols]
        region[...] = np.minimum(region * caption.luma_scale + caption.luma_add, np.float32(255))
        for plane in (cb, cr):
            region = plane[y // 2 : y // 2 + rows // 2, x // 2 : x // 2 + cols // 2]
            painted = region * caption.chroma_scale + caption.chroma_add
            region[...] = np.minimum(painted, np.float32(255))
