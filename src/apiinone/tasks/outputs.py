"""What a finished task must deliver, judged from the bytes, not from what was declared.

An upstream can answer "succeeded" with the wrong thing: a raster PNG where an SVG was
asked (a vector variant bound to a raster endpoint), a still image where a video was, an
error page saved as a file. Each result's type is sniffed from its first bytes
(:mod:`apiinone.net.sniff`, plus SVG here); a task whose results do not match what its
model and variant make fails with a full refund and is never delivered.

=====================  ========================  ==================================
model                  must include              may also include
=====================  ========================  ==================================
image (vector variant) ``image/svg+xml``          nothing else
image                  an image                   images
video                  a video                    images (thumbnails)
music, speech          audio                      images (cover art), video
cover art              an image                   images
tool                   a video if it takes one,   the same kind
                       else an image
=====================  ========================  ==================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apiinone.catalog.spec import ModelSpec
from apiinone.net.sniff import sniff

__all__ = ["Expected", "WrongOutput", "expected_output", "media_type", "output_problem"]

_SVG_HEAD = 1024


class WrongOutput(Exception):
    """A result that is not what the task asked for; the message is for the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Expected:
    """``required``: a media type or ``family/`` prefix at least one result must have;
    ``allowed``: what every result must be one of."""

    required: str
    allowed: tuple[str, ...]
    what: str


def _is_svg(data: bytes) -> bool:
    head = data[:_SVG_HEAD].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith(b"<!--") or head.startswith(b"<!doctype"):
        return b"<svg" in head
    return head.startswith(b"<svg")


def media_type(data: bytes) -> str | None:
    """The type ``data`` proves by its bytes (SVG included), or ``None``."""
    return sniff(data) or ("image/svg+xml" if _is_svg(data) else None)


def expected_output(model: ModelSpec, variant: str | None) -> Expected:
    if model.kind == "image" and variant is not None and "vector" in variant:
        return Expected("image/svg+xml", ("image/svg+xml",), "an SVG image")
    if model.kind == "image" or "cover-art" in model.capabilities:
        return Expected("image/", ("image/",), "an image")
    if model.kind == "video":
        return Expected("video/", ("video/", "image/"), "a video")
    if model.kind in ("music", "speech"):
        return Expected("audio/", ("audio/", "image/", "video/"), "audio")
    if "video" in model.params:
        return Expected("video/", ("video/", "image/"), "a video")
    return Expected("image/", ("image/",), "an image")


def output_problem(model: ModelSpec, variant: str | None, results: Sequence[bytes]) -> str | None:
    """Why these results are not what the task asked for (a message for the client)."""
    if not results:
        return None  # results as data only (timestamped lyrics): nothing to sniff
    expected = expected_output(model, variant)
    found = [media_type(data) for data in results]
    for index, kind in enumerate(found, start=1):
        if kind is None or not kind.startswith(expected.allowed):
            shown = kind or "unrecognised bytes"
            return (
                f"The upstream returned {shown} as result {index} where {expected.what} was "
                "asked; nothing was delivered and the credits were refunded"
            )
    if not any(kind is not None and kind.startswith(expected.required) for kind in found):
        shown = ", ".join(sorted({k for k in found if k is not None}))
        return (
            f"The upstream returned {shown} where {expected.what} was asked; nothing was "
            "delivered and the credits were refunded"
        )
    return None
