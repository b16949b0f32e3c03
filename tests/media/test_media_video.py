"""Generated and transformed videos are real MP4s, checked with the shipped ffmpeg."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from apiinone.media import (
    InvalidMedia,
    make_video,
    replace_video_background,
    upscale_video,
    video_info,
)
from apiinone.media.ffmpeg import ffmpeg_exe


def _frame(video: bytes, tmp_path: Path, at: float = 0.5) -> Image.Image:
    """One decoded frame, by the real decoder, as RGB."""
    source = tmp_path / "frame-source.mp4"
    source.write_bytes(video)
    png = subprocess.run(
        [
            *(ffmpeg_exe(), "-v", "error", "-ss", str(at), "-i", str(source)),
            *("-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "pipe:1"),
        ],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def _decodes_fully(video: bytes, tmp_path: Path) -> None:
    source = tmp_path / "decode.mp4"
    source.write_bytes(video)
    done = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-xerror", "-i", str(source), "-f", "null", "-"],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr.strip()


@pytest.fixture(scope="module")
def clip() -> bytes:
    return make_video("A paper boat on a pond", seed=5, duration=2.0, width=320, height=180)


def test_make_video_has_the_requested_size_and_duration(clip: bytes, tmp_path: Path) -> None:
    info = video_info(clip)
    assert (info.width, info.height, info.codec, info.has_audio) == (320, 180, "h264", False)
    assert info.duration_seconds == pytest.approx(2.0, abs=0.1)
    assert info.fps == 24
    assert clip[4:8] == b"ftyp"
    assert clip.index(b"moov") < clip.index(b"mdat")  # +faststart
    _decodes_fully(clip, tmp_path)


def test_make_video_with_audio_has_an_audio_track(tmp_path: Path) -> None:
    video = make_video("x", seed=1, duration=3.5, width=256, height=144, fps=30, with_audio=True)
    info = video_info(video)
    assert info.has_audio
    assert info.duration_seconds == pytest.approx(3.5, abs=0.1)
    assert info.fps == 30
    _decodes_fully(video, tmp_path)


def test_make_video_1080p() -> None:
    info = video_info(make_video("big", seed=2, duration=1.0, width=1920, height=1080))
    assert (info.width, info.height) == (1920, 1080)
    assert info.duration_seconds == pytest.approx(1.0, abs=0.1)


def test_make_video_is_deterministic_per_seed(clip: bytes) -> None:
    again = make_video("A paper boat on a pond", seed=5, duration=2.0, width=320, height=180)
    assert again == clip
    other = make_video("A paper boat on a pond", seed=6, duration=2.0, width=320, height=180)
    assert other != clip


def test_make_video_frames_move(clip: bytes, tmp_path: Path) -> None:
    assert _frame(clip, tmp_path, 0.1).tobytes() != _frame(clip, tmp_path, 1.5).tobytes()


def test_make_video_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="duration"):
        make_video("x", seed=0, duration=0, width=320, height=180)
    with pytest.raises(ValueError, match="even"):
        make_video("x", seed=0, duration=1, width=321, height=180)
    with pytest.raises(ValueError, match="fps"):
        make_video("x", seed=0, duration=1, width=320, height=180, fps=0)


def test_upscale_video_doubles_the_size_and_keeps_audio() -> None:
    video = make_video("up", seed=3, duration=1.0, width=160, height=90, with_audio=True)
    bigger = video_info(upscale_video(video, 2))
    assert (bigger.width, bigger.height, bigger.has_audio) == (320, 180, True)
    assert bigger.duration_seconds == pytest.approx(1.0, abs=0.1)


def _square_on_flat_background(tmp_path: Path, seconds: float) -> bytes:
    out = tmp_path / "square.mp4"
    subprocess.run(
        [
            *(ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i"),
            f"color=c=0xF0F0F0:s=160x120:r=24:d={seconds}",
            *("-vf", "drawbox=x=60:y=40:w=40:h=40:color=0x2040C0:t=fill"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-y", str(out)),
        ],
        check=True,
        timeout=30,
    )
    return out.read_bytes()


def _close(
    frame: Image.Image, xy: tuple[int, int], expected: tuple[int, int, int], tolerance: int = 40
) -> bool:
    pixel = frame.getpixel(xy)
    assert isinstance(pixel, tuple)
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def test_replace_video_background_with_green(tmp_path: Path) -> None:
    source = _square_on_flat_background(tmp_path, 1.5)
    replaced = replace_video_background(source, None)
    info = video_info(replaced)
    assert (info.width, info.height, info.codec) == (160, 120, "h264")
    assert info.duration_seconds == pytest.approx(video_info(source).duration_seconds, abs=0.1)
    frame = _frame(replaced, tmp_path)
    assert _close(frame, (5, 5), (0, 255, 0))
    assert _close(frame, (80, 60), (0x20, 0x40, 0xC0))


def test_replace_video_background_with_an_image(tmp_path: Path) -> None:
    source = _square_on_flat_background(tmp_path, 1.0)
    plate = io.BytesIO()
    Image.new("RGB", (300, 300), (220, 30, 30)).save(plate, "JPEG")
    frame = _frame(replace_video_background(source, plate.getvalue()), tmp_path)
    assert _close(frame, (150, 110), (220, 30, 30))
    assert _close(frame, (80, 60), (0x20, 0x40, 0xC0))


def test_garbage_video_is_invalid_media() -> None:
    with pytest.raises(InvalidMedia):
        video_info(b"\x00" * 1000)
    with pytest.raises(InvalidMedia):
        upscale_video(b"#EXTM3U\n#EXTINF:1,\n/etc/passwd\n", 2)
