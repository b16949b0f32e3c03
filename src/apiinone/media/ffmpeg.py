"""Running the ffmpeg binary shipped by imageio-ffmpeg: one-shot, streamed, and probing.

Every run is ``-nostdin -hide_banner -loglevel error``, has a timeout, reads only local files
and pipes (``-protocol_whitelist``), and raises :class:`MediaError` with the tail of ffmpeg's
stderr when it fails. Inputs that come from clients are opened with an allow-list of demuxers
so a "video" that is really a playlist cannot make ffmpeg read other files.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import imageio_ffmpeg

from .errors import InvalidMedia, MediaError

__all__ = [
    "AUDIO_DEMUXERS",
    "BITEXACT",
    "TIMEOUT_SECONDS",
    "VIDEO_DEMUXERS",
    "ffmpeg_exe",
    "probe",
    "run_ffmpeg",
    "stream_to_ffmpeg",
]

TIMEOUT_SECONDS = 300.0
_TAIL_CHARS = 2000

VIDEO_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,flv,ogg,gif"
AUDIO_DEMUXERS = "mp3,wav,flac,ogg,aac,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"

# Flags that keep ffmpeg from writing anything that varies between runs.
BITEXACT = ("-fflags", "+bitexact", "-map_metadata", "-1")

_COMMON = ("-nostdin", "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file,pipe")


def ffmpeg_exe() -> str:
    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


def _tail(stderr: bytes) -> str:
    return stderr.decode("utf-8", "replace").strip()[-_TAIL_CHARS:]


def run_ffmpeg(
    args: Sequence[str], *, stdin: bytes | None = None, timeout: float = TIMEOUT_SECONDS
) -> bytes:
    """Run ffmpeg with ``args`` (after the common flags); returns its stdout."""
    try:
        done = subprocess.run(
            [ffmpeg_exe(), *_COMMON, *args],
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"ffmpeg timed out after {timeout:g} s") from exc
    if done.returncode != 0:
        raise MediaError(f"ffmpeg failed (exit {done.returncode})", detail=_tail(done.stderr))
    return done.stdout


def stream_to_ffmpeg(
    args: Sequence[str],
    chunks: Iterable[bytes | memoryview],
    *,
    timeout: float = TIMEOUT_SECONDS,
) -> None:
    """Run ffmpeg reading ``chunks`` on stdin (e.g. raw frames); output goes where ``args`` say."""
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [ffmpeg_exe(), *_COMMON, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        assert process.stdin is not None
        try:
            try:
                for chunk in chunks:
                    if time.monotonic() > deadline:
                        raise MediaError(f"ffmpeg timed out after {timeout:g} s")
                    process.stdin.write(chunk)
                process.stdin.close()
            except BrokenPipeError:
                pass  # ffmpeg quit early; its exit code and stderr say why
            returncode = process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired as exc:
            raise MediaError(f"ffmpeg timed out after {timeout:g} s") from exc
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if not process.stdin.closed:
                with contextlib.suppress(BrokenPipeError):
                    process.stdin.close()
        if returncode != 0:
            errors.seek(0)
            raise MediaError(f"ffmpeg failed (exit {returncode})", detail=_tail(errors.read()))


def probe(data: bytes, *, demuxers: str, what: str, timeout: float = 60.0) -> str:
    """ffmpeg's description of ``data`` (the ``Input #0`` block of ``ffmpeg -i``)."""
    if not data:
        raise InvalidMedia(f"empty {what}")
    with tempfile.TemporaryDirectory(prefix="apiinone-probe-") as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(data)
        try:
            done = subprocess.run(
                [
                    ffmpeg_exe(),
                    "-nostdin",
                    "-hide_banner",
                    "-protocol_whitelist",
                    "file,pipe",
                    "-format_whitelist",
                    demuxers,
                    "-i",
                    str(path),
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise MediaError(f"ffmpeg timed out after {timeout:g} s probing the {what}") from exc
    text = done.stderr.decode("utf-8", "replace")
    if "Input #0" not in text:
        raise InvalidMedia(f"not a decodable {what}", detail=text.strip()[-_TAIL_CHARS:])
    return text
