"""What an image-to-video endpoint takes from its image instead of from the request.

Several image-to-video endpoints have no ``aspect_ratio`` (the clip has the first frame's
framing) and Vidu's have no ``style`` either (the image sets it). fal and WaveSpeed ignore
a field an endpoint does not declare, so sending one would promise the client something the
upstream silently drops; the catalog fills such parameters with defaults, so the body
building leaves them out for these endpoints. Each entry follows the endpoint's fixture
schema in tests/fixtures/<provider>/schemas/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["FRAMED_BY_IMAGE", "without_image_led"]

FRAMED_BY_IMAGE: Mapping[str, tuple[str, ...]] = {
    # fal
    "fal-ai/kling-video/v3/standard/image-to-video": ("aspect_ratio",),
    "fal-ai/kling-video/v3/pro/image-to-video": ("aspect_ratio",),
    "fal-ai/pixverse/v5.6/image-to-video": ("aspect_ratio",),
    "fal-ai/vidu/q3/image-to-video": ("aspect_ratio", "style"),
    "wan/v2.6/image-to-video": ("aspect_ratio",),
    # WaveSpeed
    "vidu/q3/image-to-video": ("aspect_ratio", "style"),
}


def without_image_led(upstream_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` without the fields ``upstream_id`` takes from its input image."""
    dropped = FRAMED_BY_IMAGE.get(upstream_id, ())
    return {key: value for key, value in body.items() if key not in dropped}
