"""Synthesised sound as float32 mono samples in [-1, 1]: melodies and speech-like babble.

Oscillators use integer phase accumulators and a sine table built with ``math.sin``, and the
rest is plain arithmetic, so the samples are bit-identical on every machine (vectorised
``np.sin`` may differ in the last bit between CPUs).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from .seeds import SeedStream

__all__ = ["Samples", "babble", "melody", "silence", "to_int16"]

Samples = npt.NDArray[np.float32]

_TABLE_BITS = 16  # nearest-entry lookup: error under 5e-5, below 16-bit quantisation
_TABLE = np.array(
    [math.sin(2 * math.pi * i / 2**_TABLE_BITS) for i in range(2**_TABLE_BITS)],
    dtype=np.float32,
)
_PENTATONIC = (0, 2, 4, 7, 9)
_MINOR_PENTATONIC = (0, 3, 5, 7, 10)
# (first, second) formant frequencies of a few vowels, Hz.
_VOWELS = ((730.0, 1090.0), (270.0, 2290.0), (530.0, 1840.0), (570.0, 840.0), (300.0, 870.0))


def silence(seconds: float, sample_rate: int) -> Samples:
    return np.zeros(round(seconds * sample_rate), dtype=np.float32)


def _phase_increment(frequency: float, sample_rate: int) -> int:
    return round(frequency * 2**32 / sample_rate) % 2**32


def _sine_from_phase(phase: npt.NDArray[np.uint64]) -> Samples:
    """sin(2 pi phase / 2**32) for integer phases (only the low 32 bits count)."""
    index = (phase >> np.uint64(32 - _TABLE_BITS)) & np.uint64(2**_TABLE_BITS - 1)
    result: Samples = _TABLE[index.astype(np.intp)]
    return result


def _note(frequency: float, count: int, sample_rate: int) -> Samples:
    """A plucked-sounding note: three harmonics under an attack/decay envelope."""
    steps = np.arange(count, dtype=np.uint64)
    increment = np.uint64(_phase_increment(frequency, sample_rate))
    phase = steps * increment
    tone = (
        _sine_from_phase(phase)
        + np.float32(0.35) * _sine_from_phase(phase * np.uint64(2))
        + np.float32(0.12) * _sine_from_phase(phase * np.uint64(3))
    )
    shaped: Samples = tone * _envelope(count, sample_rate, attack=0.012)
    return shaped


def _envelope(count: int, sample_rate: int, *, attack: float) -> Samples:
    position = np.arange(count, dtype=np.float32)
    rise = np.minimum(np.float32(1.0), position / np.float32(max(1.0, attack * sample_rate)))
    fall = np.float32(1.0) - position / np.float32(count)
    result: Samples = rise * fall * fall
    return result


def _midi_to_hz(note: int) -> float:
    return 440.0 * math.pow(2.0, (note - 69) / 12)


def melody(stream: SeedStream, seconds: float, sample_rate: int) -> Samples:
    """A seed-chosen pentatonic tune over a soft drone, exactly ``seconds`` long."""
    total = max(1, round(seconds * sample_rate))
    out = np.zeros(total, dtype=np.float32)
    scale = _PENTATONIC if stream.unit() < 0.6 else _MINOR_PENTATONIC
    root = stream.randint(55, 67)
    beat = round(stream.uniform(0.16, 0.36) * sample_rate)
    start = 0
    degree = stream.randint(0, len(scale) - 1)
    while start < total:
        length = beat * stream.choice((1, 1, 2, 2, 3))
        degree = max(0, min(2 * len(scale) - 1, degree + stream.randint(-2, 2)))
        octave, step = divmod(degree, len(scale))
        if stream.unit() > 0.1:  # an occasional rest
            count = min(length, total - start)
            note = _note(_midi_to_hz(root + 12 * octave + scale[step]), length, sample_rate)
            out[start : start + count] += note[:count]
        start += length
    drone_phase = np.arange(total, dtype=np.uint64) * np.uint64(
        _phase_increment(_midi_to_hz(root - 12), sample_rate)
    )
    out += np.float32(0.18) * _sine_from_phase(drone_phase)
    return _normalised(_faded(out, sample_rate))


def babble(stream: SeedStream, seconds: float, sample_rate: int, *, pitch: float) -> Samples:
    """Speech-like sound: one voiced, gliding, vowel-coloured syllable per word-ish chunk."""
    total = max(1, round(seconds * sample_rate))
    out = np.zeros(total, dtype=np.float32)
    syllable = round(stream.uniform(0.16, 0.24) * sample_rate)
    start = 0
    while start < total:
        length = min(total - start, round(syllable * stream.uniform(0.6, 1.5)))
        voiced = round(length * stream.uniform(0.7, 0.9))
        if voiced > 8:
            out[start : start + voiced] = _syllable(stream, voiced, sample_rate, pitch)
        start += length
    return _normalised(_faded(out, sample_rate))


def _syllable(stream: SeedStream, count: int, sample_rate: int, pitch: float) -> Samples:
    begin = pitch * stream.uniform(0.85, 1.2)
    end = pitch * stream.uniform(0.8, 1.15)
    first, second = stream.choice(_VOWELS)
    position = np.arange(count, dtype=np.float32) / np.float32(count)
    begin_inc = np.float32(_phase_increment(begin, sample_rate))
    end_inc = np.float32(_phase_increment(end, sample_rate))
    increments = np.rint(begin_inc + (end_inc - begin_inc) * position).astype(np.uint64)
    phase = np.cumsum(increments, dtype=np.uint64)
    mean = (begin + end) / 2
    tone = np.zeros(count, dtype=np.float32)
    harmonic = 1
    while harmonic * mean < min(3500.0, sample_rate / 2 - 200) and harmonic <= 14:
        frequency = harmonic * mean
        weight = 1.0 / (1.0 + ((frequency - first) / 120.0) ** 2) + 0.7 / (
            1.0 + ((frequency - second) / 160.0) ** 2
        )
        weight += 0.08 / harmonic
        tone += np.float32(weight) * _sine_from_phase(phase * np.uint64(harmonic))
        harmonic += 1
    return tone * _envelope(count, sample_rate, attack=0.025)


def _faded(samples: Samples, sample_rate: int) -> Samples:
    """Short linear fades at both ends, so the sound starts and stops without a click."""
    ramp = min(len(samples) // 2, round(0.01 * sample_rate))
    if ramp > 0:
        shape = np.arange(ramp, dtype=np.float32) / np.float32(ramp)
        samples[:ramp] *= shape
        samples[-ramp:] *= shape[::-1]
    return samples


def _normalised(samples: Samples, peak: float = 0.8) -> Samples:
    loudest = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if loudest > 0:
        samples *= np.float32(peak / loudest)
    return samples


def to_int16(samples: Samples) -> npt.NDArray[np.int16]:
    clipped = np.clip(samples, -1.0, 1.0) * np.float32(32767.0)
    result: npt.NDArray[np.int16] = np.rint(clipped).astype(np.int16)
    return result
