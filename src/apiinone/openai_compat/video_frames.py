"""Still images of a video for ``/v1/videos/{id}/content``: a thumbnail and a spritesheet.

Both are JPEGs cut from the stored MP4 by the ffmpeg binary imageio-ffmpeg ships, with the
same guards as the sandbox's media code (a local file, an allow-list of demuxers, a
timeout):

* ``thumbnail``: the first frame at the video's own size;
* ``spritesheet``: :data:`COLUMNS` by :data:`ROWS` frames taken evenly over the video, each
  :data:`CELL_WIDTH` pixels wide, tiled left to right, top to bottom.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from apiinone.media.errors import MediaError
from apiinone.media.ffmpeg import VIDEO_DEMUXERS, run_ffmpeg

__all__ = ["CELL_WIDTH", "COLUMNS", "ROWS", "FrameError", "spritesheet", "thumbnail"]

COLUMNS = 3
ROWS = 3
CELL_WIDTH = 256
TIMEOUT_SECONDS = 60.0
_JPEG = ("-frames:v", "1", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg", "pipe:1")


class FrameError(Exception):
    """The video could not be read or cut."""


def _cut(video: bytes, filters: list[str]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="apiinone-frames-") as tmp:
        path = Path(tmp) / "video"
        path.write_bytes(video)
        args = ["-format_whitelist", VIDEO_DEMUXERS, "-i", str(path), "-an"]
        if filters:
            args += ["-vf", ",".join(filters)]
        try:
            data = run_ffmpeg([*args, *_JPEG], timeout=TIMEOUT_SECONDS)
        except MediaError as exc:
            raise FrameError(str(exc)) from exc
    if data[:2] != b"\xff\xd8":
        raise FrameError("ffmpeg made no JPEG")
    return data


async def thumbnail(video: bytes) -> bytes:
    """The first frame as a JPEG, at the video's size."""
    return await asyncio.to_thread(_cut, video, [])


async def spritesheet(video: bytes, seconds: float) -> bytes:
    """A JPEG grid of frames taken evenly over ``seconds`` of video."""
    cells = COLUMNS * ROWS
    rate = cells / max(seconds, 0.1)
    filters = [f"fps={rate:.6f}", f"scale={CELL_WIDTH}:-2", f"tile={COLUMNS}x{ROWS}"]
    return await asyncio.to_thread(_cut, video, filters)
