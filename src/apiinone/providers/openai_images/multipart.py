"""A ``multipart/form-data`` body (RFC 7578) built as bytes, with no I/O and no randomness.

The boundary is derived from the content, so the same form always encodes to the same
bytes (testable on recorded payloads); it is changed until no part contains it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["FilePart", "encode_multipart"]


@dataclass(frozen=True, slots=True)
class FilePart:
    name: str  # the form field, e.g. "image[]"
    filename: str
    content_type: str
    data: bytes = field(repr=False)


def _quote(value: str) -> str:
    """A header parameter value, escaped as browsers do (WHATWG: quote and line breaks)."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _boundary(fields: Sequence[tuple[str, str]], files: Sequence[FilePart]) -> str:
    digest = hashlib.sha256()
    for name, value in fields:
        digest.update(name.encode() + b"\0" + value.encode() + b"\0")
    for part in files:
        digest.update(part.name.encode() + b"\0" + part.data)
    seed = digest.hexdigest()
    bodies = [value.encode() for _, value in fields] + [part.data for part in files]
    counter = 0
    while True:
        candidate = f"apiinone-{seed[:32]}{counter or ''}"
        token = candidate.encode()
        if not any(token in body for body in bodies):
            return candidate
        counter += 1


def encode_multipart(
    fields: Sequence[tuple[str, str]], files: Sequence[FilePart]
) -> tuple[bytes, str]:
    """``(body, content type with its boundary)`` for text fields and file parts, in order."""
    boundary = _boundary(fields, files)
    delimiter = f"--{boundary}\r\n".encode()
    chunks: list[bytes] = []
    for name, value in fields:
        chunks += [
            delimiter,
            f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode(),
            value.encode(),
            b"\r\n",
        ]
    for part in files:
        chunks += [
            delimiter,
            (
                f'Content-Disposition: form-data; name="{_quote(part.name)}"; '
                f'filename="{_quote(part.filename)}"\r\n'
                f"Content-Type: {part.content_type}\r\n\r\n"
            ).encode(),
            part.data,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"
