"""Generated melodies and speech decode with the requested length."""

from __future__ import annotations

import io
import wave

import pytest

from apiinone.media import (
    InvalidMedia,
    audio_info,
    make_audio,
    make_speech,
    speech_duration,
)


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
@pytest.mark.parametrize("seconds", [0.5, 3.3])
def test_make_audio_has_the_requested_duration(fmt: str, seconds: float) -> None:
    info = audio_info(make_audio("a calm tune", seed=4, duration=seconds, fmt=fmt))
    assert info.format == fmt
    assert info.duration_seconds == pytest.approx(seconds, abs=0.1)
    assert (info.sample_rate, info.channels) == (44100, 1)


def test_wav_is_a_real_wav() -> None:
    data = make_audio("x", seed=1, duration=1.0, fmt="wav", sample_rate=22050)
    with wave.open(io.BytesIO(data), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (
            1,
            2,
            22050,
        )
        frames = reader.readframes(reader.getnframes())
    assert reader.getnframes() == 22050
    assert frames.count(0) < len(frames) // 2  # not silence


def test_mp3_is_an_mp3() -> None:
    data = make_audio("x", seed=1, duration=1.0)
    assert data[:3] == b"ID3" or data[0] == 0xFF


@pytest.mark.parametrize("fmt", ["flac", "opus", "aac"])
def test_other_formats_decode(fmt: str) -> None:
    info = audio_info(make_audio("x", seed=1, duration=2.0, fmt=fmt))
    assert info.format == fmt
    assert info.duration_seconds == pytest.approx(2.0, abs=0.25)


def test_pcm_is_raw_16_bit() -> None:
    assert len(make_audio("x", seed=1, duration=1.0, fmt="pcm", sample_rate=24000)) == 48000


def test_make_audio_is_deterministic() -> None:
    first = make_audio("tune", seed=9, duration=1.5)
    assert make_audio("tune", seed=9, duration=1.5) == first
    assert make_audio("tune", seed=10, duration=1.5) != first


def test_make_audio_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="format"):
        make_audio("x", seed=0, duration=1, fmt="midi")
    with pytest.raises(ValueError, match="duration"):
        make_audio("x", seed=0, duration=0)
    with pytest.raises(ValueError, match="sample rate"):
        make_audio("x", seed=0, duration=1, sample_rate=96000)


def test_speech_duration_bounds() -> None:
    assert speech_duration("") == 1.0
    assert speech_duration("hi") == 1.0
    assert speech_duration("x" * 140) == pytest.approx(10.0)
    assert speech_duration("x" * 100_000) == 600.0


def test_speech_grows_with_text() -> None:
    short = audio_info(make_speech([("Hello there.", "alloy")], seed=1, fmt="wav"))
    text = "This is a much longer sentence that takes quite a while to say out loud."
    long = audio_info(make_speech([(text, "alloy")], seed=1, fmt="wav"))
    assert long.duration_seconds > short.duration_seconds
    assert long.duration_seconds == pytest.approx(speech_duration(text), abs=0.1)


def test_dialogue_is_the_sum_of_its_lines_and_pauses() -> None:
    lines: list[tuple[str, str | None]] = [
        ("Did you see the game last night?", "alloy"),
        ("I did, what a finish!", "onyx"),
        ("Unbelievable.", None),
    ]
    info = audio_info(make_speech(lines, seed=2))
    expected = sum(speech_duration(text) for text, _ in lines) + 2 * 0.35
    assert info.format == "mp3"
    assert info.duration_seconds == pytest.approx(expected, abs=0.1)


def test_speech_depends_on_voice_and_is_deterministic() -> None:
    alloy = make_speech([("Same words.", "alloy")], seed=3, fmt="wav")
    assert make_speech([("Same words.", "alloy")], seed=3, fmt="wav") == alloy
    assert make_speech([("Same words.", "onyx")], seed=3, fmt="wav") != alloy


def test_garbage_audio_is_invalid_media() -> None:
    with pytest.raises(InvalidMedia):
        audio_info(b"definitely not audio")
