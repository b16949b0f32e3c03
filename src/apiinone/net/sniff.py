"""Media types from magic bytes, so a client's or a server's declared type is not trusted.

``sniff`` knows the image, video and audio containers the gateway accepts as inputs
(PNG, JPEG, WebP, GIF, MP4/MOV/M4A, WebM/Matroska, MP3, WAV, Ogg, FLAC) and answers
``None`` for anything else.
"""

from __future__ import annotations

__all__ = ["extension_for", "sniff"]

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "audio/mp4": ".m4a",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
}

# ISO base media "ftyp" major brands that are audio-only or QuickTime.
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_QUICKTIME_BRANDS = {b"qt  "}


def _ftyp(data: bytes) -> str | None:
    if len(data) < 12 or data[4:8] != b"ftyp":
        return None
    brand = data[8:12]
    if brand in _AUDIO_BRANDS:
        return "audio/mp4"
    if brand in _QUICKTIME_BRANDS:
        return "video/quicktime"
    return "video/mp4"


def _ebml(data: bytes) -> str | None:
    if not data.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    # The DocType element (0x42 0x82) sits in the first few dozen bytes of the header.
    return "video/webm" if b"\x42\x82\x84webm" in data[:64] else "video/x-matroska"


def _mpeg_audio_frame(data: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a known version, a layer that is not reserved."""
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return False
    version = (data[1] >> 3) & 0b11
    layer = (data[1] >> 1) & 0b11
    bitrate = data[2] >> 4
    sample_rate = (data[2] >> 2) & 0b11
    return version != 0b01 and layer != 0 and bitrate != 0b1111 and sample_rate != 0b11


def sniff(data: bytes) -> str | None:
    """The media type the first bytes of ``data`` prove, or ``None``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF"):
        form = data[8:12]
        if form == b"WEBP":
            return "image/webp"
        if form == b"WAVE":
            return "audio/wav"
        return None
    found = _ftyp(data) or _ebml(data)
    if found is not None:
        return found
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data.startswith(b"fLaC"):
        return "audio/flac"
    if data.startswith(b"ID3") or _mpeg_audio_frame(data):
        return "audio/mpeg"
    return None


def extension_for(content_type: str) -> str:
    """The usual file extension of a media type this module knows, else ``""``."""
    return _EXTENSIONS.get(content_type, "")
