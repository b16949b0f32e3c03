"""Background estimation shared by image cut-outs and video keying."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["background_alpha", "border_colour"]

# Distances (Euclidean, RGB 0-255) below FULL are background, above SOLID are foreground,
# and in between the alpha ramps up linearly: a soft edge instead of a jagged one.
_FULL = 28.0
_SOLID = 64.0


def border_colour(rgb: npt.NDArray[np.uint8]) -> tuple[int, int, int]:
    """The median colour of the outer ring of an ``(h, w, 3)`` image: its likely background."""
    height, width = rgb.shape[:2]
    ring = max(1, min(height, width) // 64)
    pixels = np.concatenate(
        [
            rgb[:ring].reshape(-1, 3),
            rgb[-ring:].reshape(-1, 3),
            rgb[:, :ring].reshape(-1, 3),
            rgb[:, -ring:].reshape(-1, 3),
        ]
    )
    median = np.median(pixels, axis=0)
    return (int(median[0]), int(median[1]), int(median[2]))


def background_alpha(
    rgb: npt.NDArray[np.uint8], background: tuple[int, int, int]
) -> npt.NDArray[np.uint8]:
    """Alpha 0 where a pixel is near ``background``, 255 where it is far, a ramp between."""
    diff = rgb.astype(np.float32) - np.asarray(background, dtype=np.float32)
    distance = np.sqrt(np.square(diff).sum(axis=2, dtype=np.float32))
    ramp = np.clip((distance - _FULL) / (_SOLID - _FULL), 0.0, 1.0)
    alpha: npt.NDArray[np.uint8] = np.rint(ramp * 255.0).astype(np.uint8)
    return alpha
