"""Facts about a video or audio file, read from the ``Input #0`` block ffmpeg prints for ``-i``.

The shipped ffmpeg has no ffprobe, so this parses lines such as::

    Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '/tmp/.../input':
      Duration: 00:00:05.00, start: 0.000000, bitrate: 312 kb/s
      Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709,
        progressive), 1280x720, 180 kb/s, 24 fps, 24 tbr, 12288 tbn (default)
      Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 128 kb/s
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidMedia

__all__ = ["AudioInfo", "VideoInfo", "parse_audio_info", "parse_video_info"]


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    duration_seconds: float
    has_audio: bool
    codec: str
    fps: float = 0.0


@dataclass(frozen=True)
class AudioInfo:
    format: str
    duration_seconds: float
    sample_rate: int
    channels: int


_INPUT = re.compile(r"^Input #0, (?P<formats>[^ ]+?),? from ", re.MULTILINE)
_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #0:\d+.*?: (?P<kind>Video|Audio): (?P<rest>.*)$", re.MULTILINE)
_DIMENSIONS = re.compile(r"(?:^|[\s,])(\d{1,5})x(\d{1,5})(?=[\s,\[]|$)")
_FPS = re.compile(r"(\d+(?:\.\d+)?)(k?) (?:fps|tbr)\b")
_RATE = re.compile(r"(\d+) Hz")
_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "4.0": 4, "5.0": 5, "5.1": 6, "7.1": 8}
_CHANNELS = re.compile(r"(\d+) channels")


def _duration(text: str, what: str) -> float:
    match = _DURATION.search(text)
    if not match:
        raise InvalidMedia(f"the {what} has no known duration")
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _streams(text: str, kind: str) -> list[str]:
    return [m["rest"] for m in _STREAM.finditer(text) if m["kind"] == kind]


def parse_video_info(text: str) -> VideoInfo:
    videos = _streams(text, "Video")
    if not videos:
        raise InvalidMedia("the file has no video stream")
    stream = videos[0]
    dimensions = _DIMENSIONS.search(stream)
    if not dimensions:
        raise InvalidMedia("the video stream has no frame size")
    fps = 0.0
    fps_match = _FPS.search(stream)
    if fps_match:
        fps = float(fps_match[1]) * (1000 if fps_match[2] else 1)
    return VideoInfo(
        width=int(dimensions[1]),
        height=int(dimensions[2]),
        duration_seconds=_duration(text, "video"),
        has_audio=bool(_streams(text, "Audio")),
        codec=stream.split(maxsplit=1)[0].rstrip(","),
        fps=fps,
    )


def parse_audio_info(text: str) -> AudioInfo:
    audios = _streams(text, "Audio")
    if not audios:
        raise InvalidMedia("the file has no audio stream")
    stream = audios[0]
    codec = stream.split(maxsplit=1)[0].rstrip(",")
    container = _INPUT.search(text)
    fmt = container["formats"].split(",")[0] if container else codec
    if fmt == "ogg" and codec == "opus":
        fmt = "opus"
    elif fmt == "mov":
        fmt = "mp4"
    rate = _RATE.search(stream)
    parts = [part.strip() for part in stream.split(",")]
    channels = next((_LAYOUTS[p.split("(")[0]] for p in parts if p.split("(")[0] in _LAYOUTS), 0)
    if not channels:
        counted = _CHANNELS.search(stream)
        channels = int(counted[1]) if counted else 1
    return AudioInfo(
        format=fmt,
        duration_seconds=_duration(text, "audio"),
        sample_rate=int(rate[1]) if rate else 0,
        channels=channels,
    )
