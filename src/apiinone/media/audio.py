"""Audio: seed-derived melodies, dialogue-like speech, encoding, and inspection."""

from __future__ import annotations

import hashlib
import io
import tempfile
import wave
from pathlib import Path

import numpy as np

from .ffmpeg import AUDIO_DEMUXERS, BITEXACT, probe, run_ffmpeg
from .probe import AudioInfo, parse_audio_info
from .seeds import SeedStream
from .tones import Samples, babble, melody, silence, to_int16

__all__ = [
    "AUDIO_FORMATS",
    "MAX_AUDIO_SECONDS",
    "SPEECH_SAMPLE_RATE",
    "audio_format",
    "audio_info",
    "encode_audio",
    "make_audio",
    "make_speech",
    "speech_duration",
    "voice_pitch",
]

AUDIO_FORMATS = ("mp3", "wav", "flac", "opus", "aac", "pcm")
SPEECH_SAMPLE_RATE = 24000
MAX_AUDIO_SECONDS = 600.0
_SPEECH_CHARS_PER_SECOND = 14.0
_SPEECH_MIN_SECONDS = 1.0
_SPEECH_MAX_SECONDS = 600.0
_LINE_GAP_SECONDS = 0.35
_MIN_RATE, _MAX_RATE = 8000, 96000
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

# fmt -> (ffmpeg muxer, codec arguments)
_ENCODERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mp3": ("mp3", ("-c:a", "libmp3lame", "-b:a", "128k")),
    "flac": ("flac", ("-c:a", "flac")),
    "opus": ("opus", ("-c:a", "libopus", "-b:a", "64k")),
    "aac": ("adts", ("-c:a", "aac", "-b:a", "128k")),
}


def audio_format(fmt: str) -> str:
    """The canonical audio format name; ValueError if it is not one of AUDIO_FORMATS."""
    canonical = fmt.strip().lower()
    if canonical not in AUDIO_FORMATS:
        raise ValueError(f"audio format must be one of {', '.join(AUDIO_FORMATS)}, got {fmt!r}")
    return canonical


def make_audio(
    text: str, *, seed: int, duration: float, fmt: str = "mp3", sample_rate: int = 44100
) -> bytes:
    """A melody derived from (text, seed), exactly ``duration`` seconds long, mono."""
    fmt = audio_format(fmt)
    _check_rate(sample_rate, fmt)
    if not 0 < duration <= MAX_AUDIO_SECONDS:
        raise ValueError(f"duration must be in (0, {MAX_AUDIO_SECONDS:g}] seconds, got {duration}")
    samples = melody(SeedStream("audio", text, seed), duration, sample_rate)
    return encode_audio(samples, sample_rate, fmt)


def speech_duration(text: str) -> float:
    """How long ``text`` takes to say: about 14 characters a second, within [1, 600] seconds."""
    seconds = len(" ".join(text.split())) / _SPEECH_CHARS_PER_SECOND
    return min(_SPEECH_MAX_SECONDS, max(_SPEECH_MIN_SECONDS, seconds))


def make_speech(lines: list[tuple[str, str | None]], *, seed: int, fmt: str = "mp3") -> bytes:
    """Dialogue: each ``(text, voice)`` line is babble pitched by its voice, with pauses between.

    Each line lasts ``speech_duration(text)``; lines are separated by 0.35 s of silence.
    The same voice name always gets the same pitch, in any request.
    """
    fmt = audio_format(fmt)
    if not lines:
        raise ValueError("make_speech needs at least one line")
    rate = SPEECH_SAMPLE_RATE
    parts: list[Samples] = []
    for number, (text, voice) in enumerate(lines):
        if number:
            parts.append(silence(_LINE_GAP_SECONDS, rate))
        stream = SeedStream("speech", seed, number, voice, text)
        parts.append(babble(stream, speech_duration(text), rate, pitch=voice_pitch(voice)))
    return encode_audio(np.concatenate(parts), rate, fmt)


def voice_pitch(voice: str | None) -> float:
    """A fundamental frequency (Hz) in [95, 255) that depends only on the voice name."""
    digest = hashlib.sha256((voice or "").strip().lower().encode("utf-8", "surrogatepass"))
    return 95.0 + 160.0 * int.from_bytes(digest.digest()[:4], "big") / 2**32


def encode_audio(samples: Samples, sample_rate: int, fmt: str) -> bytes:
    """Mono float samples as a file of ``fmt`` (``pcm`` is raw signed 16-bit little-endian)."""
    pcm = to_int16(samples).astype("<i2").tobytes()
    if fmt == "pcm":
        return pcm
    wav = _wav(pcm, sample_rate)
    if fmt == "wav":
        return wav
    muxer, codec = _ENCODERS[fmt]
    with tempfile.TemporaryDirectory(prefix="apiinone-audio-") as tmp:
        out = Path(tmp) / f"out.{fmt}"
        run_ffmpeg(
            [
                *("-f", "wav", "-i", "pipe:0", *codec, *BITEXACT, "-flags:a", "+bitexact"),
                *("-f", muxer, "-y", str(out)),
            ],
            stdin=wav,
        )
        return out.read_bytes()


def audio_info(data: bytes) -> AudioInfo:
    """Format, duration, sample rate and channel count of an audio file (WAV read directly)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            with wave.open(io.BytesIO(data), "rb") as reader:
                frames, rate, channels = (
                    reader.getnframes(),
                    reader.getframerate(),
                    reader.getnchannels(),
                )
            return AudioInfo("wav", frames / rate, rate, channels)
        except (wave.Error, EOFError, ZeroDivisionError):
            pass  # e.g. float or extensible WAV; ffmpeg knows those
    return parse_audio_info(probe(data, demuxers=AUDIO_DEMUXERS, what="audio file"))


def _wav(pcm: bytes, sample_rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(pcm)
    return out.getvalue()


def _check_rate(sample_rate: int, fmt: str) -> None:
    if not _MIN_RATE <= sample_rate <= _MAX_RATE:
        raise ValueError(f"sample_rate must be in [{_MIN_RATE}, {_MAX_RATE}], got {sample_rate}")
    if fmt == "mp3" and sample_rate not in _MP3_RATES:
        raise ValueError(f"mp3 supports sample rates {_MP3_RATES}, got {sample_rate}")
