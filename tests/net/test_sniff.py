"""Media types from magic bytes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from apiinone.net.sniff import extension_for, sniff


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_images_made_by_pillow(fmt: str, expected: str) -> None:
    assert sniff(_image(fmt)) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87", "video/webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\x00\x00", "audio/mpeg"),  # MPEG-1 layer III, 128 kbit/s
        (b"\xff\xf3\x84\xc4\x00\x00", "audio/mpeg"),  # MPEG-2 layer III
        (b"RIFF\x24\x08\x00\x00WAVEfmt ", "audio/wav"),
        (b"OggS\x00\x02\x00\x00", "audio/ogg"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
    ],
)
def test_containers(head: bytes, expected: str) -> None:
    assert sniff(head) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<!doctype html><html></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b"%PDF-1.7",
        b"RIFF\x00\x00\x00\x00AVI LIST",
        b"\xff\xf1\x50\x80",  # AAC ADTS: layer bits 00, not MPEG audio
        b"\xff\xfb\xf0\x64",  # bad bitrate index
        b"\xff\xd8",  # truncated JPEG
    ],
)
def test_unknown_is_none(data: bytes) -> None:
    assert sniff(data) is None


def test_extensions() -> None:
    assert extension_for("image/png") == ".png"
    assert extension_for("audio/mpeg") == ".mp3"
    assert extension_for("application/pdf") == ""
