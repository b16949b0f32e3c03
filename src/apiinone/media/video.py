"""Video: generated clips, upscaling, background replacement, inspection. H.264 MP4 out."""

from __future__ import annotations

import io
import math
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .audio import encode_audio
from .ffmpeg import BITEXACT, VIDEO_DEMUXERS, probe, run_ffmpeg, stream_to_ffmpeg
from .frames import FramePainter
from .images import open_image
from .keying import border_colour
from .probe import VideoInfo, parse_video_info
from .seeds import SeedStream
from .sizes import MIN_SIDE
from .tones import melody

__all__ = [
    "MAX_VIDEO_SECONDS",
    "MAX_VIDEO_SIDE",
    "make_video",
    "replace_video_background",
    "upscale_video",
    "video_info",
]

MAX_VIDEO_SIDE = 4096
MAX_VIDEO_SECONDS = 600.0
_MAX_FPS = 60
_MAX_SCALE = 4
_AUDIO_RATE = 44100
_SOLID_GREEN = (0, 255, 0)
# colorkey: how close (0-1 of the RGB distance range) counts as background, and the soft edge.
_KEY_SIMILARITY = 0.2
_KEY_BLEND = 0.08

_H264 = (
    "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1",
    "-pix_fmt", "yuv420p", "-flags:v", "+bitexact",
)  # fmt: skip
_AAC = ("-c:a", "aac", "-b:a", "128k", "-flags:a", "+bitexact")
_MP4 = (*BITEXACT, "-movflags", "+faststart", "-f", "mp4", "-y")
_BT709 = (
    "-colorspace", "bt709", "-color_primaries", "bt709",
    "-color_trc", "bt709", "-color_range", "tv",
)  # fmt: skip


def make_video(
    prompt: str,
    *,
    seed: int,
    duration: float,
    width: int,
    height: int,
    fps: int = 24,
    with_audio: bool = False,
) -> bytes:
    """An H.264 MP4 animated from (prompt, seed), ``round(duration * fps)`` frames long.

    Frames are painted at a lower internal rate for large sizes (ffmpeg repeats them up to
    ``fps``) so a 1080p clip costs little more than the encoder's own time.
    ``with_audio`` adds an AAC track with a melody of the same length.
    """
    if not 0 < duration <= MAX_VIDEO_SECONDS:
        raise ValueError(f"duration must be in (0, {MAX_VIDEO_SECONDS:g}] seconds, got {duration}")
    if not 1 <= fps <= _MAX_FPS:
        raise ValueError(f"fps must be between 1 and {_MAX_FPS}, got {fps}")
    if not (MIN_SIDE <= width <= MAX_VIDEO_SIDE and MIN_SIDE <= height <= MAX_VIDEO_SIDE):
        raise ValueError(
            f"video size {width}x{height} is out of range; each side must be in "
            f"[{MIN_SIDE}, {MAX_VIDEO_SIDE}]"
        )
    if width % 2 or height % 2:
        raise ValueError(f"video sides must be even, got {width}x{height}")
    frames = max(1, round(duration * fps))
    seconds = frames / fps
    painter = FramePainter(prompt, seed, width, height, seconds)
    rate = _painting_rate(width, height, fps)
    painted = math.ceil(frames * rate / fps) + 1
    with tempfile.TemporaryDirectory(prefix="apiinone-video-") as tmp:
        out = Path(tmp) / "out.mp4"
        args = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}"]
        args += ["-framerate", str(rate), "-i", "pipe:0"]
        if with_audio:
            track = Path(tmp) / "audio.wav"
            samples = melody(SeedStream("video-audio", prompt, seed), seconds, _AUDIO_RATE)
            track.write_bytes(encode_audio(samples, _AUDIO_RATE, "wav"))
            args += ["-i", str(track), "-map", "0:v:0", "-map", "1:a:0", *_AAC]
        args += ["-vf", f"fps={fps}", "-frames:v", str(frames), *_H264, *_BT709, *_MP4, str(out)]
        stream_to_ffmpeg(args, painter.frames(painted, rate))
        return out.read_bytes()


def upscale_video(data: bytes, scale: int) -> bytes:
    """The video ``scale`` times larger (lanczos), audio kept (as AAC)."""
    if not 1 <= scale <= _MAX_SCALE:
        raise ValueError(f"scale must be between 1 and {_MAX_SCALE}, got {scale}")
    info = video_info(data)
    width, height = _even_down(info.width * scale), _even_down(info.height * scale)
    if width > MAX_VIDEO_SIDE or height > MAX_VIDEO_SIDE:
        raise ValueError(
            f"{info.width}x{info.height} times {scale} exceeds {MAX_VIDEO_SIDE} pixels per side"
        )
    with tempfile.TemporaryDirectory(prefix="apiinone-video-") as tmp:
        source, out = Path(tmp) / "input", Path(tmp) / "out.mp4"
        source.write_bytes(data)
        run_ffmpeg(
            [
                *_video_input(source),
                *("-map", "0:v:0", "-map", "0:a:0?"),
                *("-vf", f"scale={width}:{height}:flags=lanczos+accurate_rnd+bitexact,setsar=1"),
                *(*_H264, *_AAC, *_MP4, str(out)),
            ]
        )
        return out.read_bytes()


def replace_video_background(data: bytes, background: bytes | None) -> bytes:
    """Key out the background colour (from the first frame's border) and put ``background``
    (an image, scaled to cover the frame) or solid green behind what remains. Audio is kept."""
    info = video_info(data)
    size = (info.width, info.height)
    if background is None:
        plate = Image.new("RGB", size, _SOLID_GREEN)
    else:
        picture = open_image(background).convert("RGB")
        plate = ImageOps.fit(picture, size, Image.Resampling.LANCZOS)
    with tempfile.TemporaryDirectory(prefix="apiinone-video-") as tmp:
        source, plate_path, out = Path(tmp) / "input", Path(tmp) / "bg.png", Path(tmp) / "out.mp4"
        source.write_bytes(data)
        plate.save(plate_path, "PNG")
        first = run_ffmpeg(
            [*_video_input(source), "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "pipe:1"]
        )
        rgb = np.asarray(Image.open(io.BytesIO(first)).convert("RGB"))
        red, green, blue = border_colour(rgb)
        key = f"0x{red:02X}{green:02X}{blue:02X}"
        # The plate is laid over a copy of the video itself (repeating its one frame), so the
        # new background follows the video's own timestamps; then the keyed video goes on top.
        graph = (
            "[0:v]split[src][timing];"
            "[timing][1:v]overlay=0:0:eof_action=repeat[plate];"
            f"[src]format=rgba,colorkey={key}:{_KEY_SIMILARITY}:{_KEY_BLEND}[keyed];"
            "[plate][keyed]overlay=0:0:format=auto,"
            "crop=trunc(iw/2)*2:trunc(ih/2)*2:0:0,format=yuv420p[out]"
        )
        run_ffmpeg(
            [
                *_video_input(source),
                *("-f", "png_pipe", "-i", str(plate_path)),
                *("-filter_complex", graph, "-map", "[out]", "-map", "0:a:0?"),
                *("-sws_flags", "bicubic+accurate_rnd+bitexact"),
                *(*_H264, *_AAC, *_MP4, str(out)),
            ]
        )
        return out.read_bytes()


def video_info(data: bytes) -> VideoInfo:
    """Size, duration, audio presence, codec and frame rate of a video (via ``ffmpeg -i``)."""
    return parse_video_info(probe(data, demuxers=VIDEO_DEMUXERS, what="video"))


def _video_input(path: Path) -> list[str]:
    return ["-format_whitelist", VIDEO_DEMUXERS, "-i", str(path)]


def _painting_rate(width: int, height: int, fps: int) -> int:
    """Frames painted per second: all of them for small videos, fewer as the size grows."""
    pixels = width * height
    if pixels <= 640 * 360:
        cap = 24
    elif pixels <= 1280 * 720:
        cap = 12
    elif pixels <= 1920 * 1080:
        cap = 8
    else:
        cap = 6
    return min(fps, cap)


def _even_down(value: int) -> int:
    return value - value % 2
