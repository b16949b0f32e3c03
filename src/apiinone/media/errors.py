"""The exceptions of the sandbox media functions."""

from __future__ import annotations

__all__ = ["InvalidMedia", "MediaError"]


class MediaError(Exception):
    """A media operation failed: ffmpeg exited non-zero or timed out, or an input was unusable.

    ``detail`` holds the tail of ffmpeg's stderr when there is one (for logs, not for clients).
    """

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(f"{message}: {detail}" if detail else message)
        self.detail = detail


class InvalidMedia(MediaError, ValueError):
    """Input bytes that cannot be decoded as the expected kind of media (a client error)."""
