"""What the sync and async clients share: credentials, request building, reading answers."""

from __future__ import annotations

import json
import mimetypes
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import httpx

from apiinone import __version__
from apiinone.client.config import resolve
from apiinone.client.errors import APIStatusError, error_for_response
from apiinone.client.transport import RetryPolicy

__all__ = [
    "DEFAULT_TIMEOUT",
    "ClientCore",
    "FileInput",
    "chunk_error",
    "download_targets",
    "file_part",
    "is_terminal",
    "partial_path",
    "raise_for_stream",
    "result_name",
    "unwrap",
]

DEFAULT_TIMEOUT = 60.0
TERMINAL = frozenset({"SUCCESS", "FAILED", "CANCELED"})
FileInput = str | Path | bytes | IO[bytes]


def is_terminal(status: object) -> bool:
    return status in TERMINAL


class ClientCore:
    """Credentials, default headers and the retry policy of one client."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        *,
        timeout: float,
        max_retries: int,
        retry: RetryPolicy | None,
    ) -> None:
        credentials = resolve(api_key, base_url)
        self.api_key = credentials.api_key
        self.base_url = credentials.base_url
        self.timeout = timeout
        self.retry = retry or RetryPolicy(max_retries=max_retries)

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def build(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        authenticated: bool = True,
        stream: bool = False,
    ) -> httpx.Request:
        """One request, ready to be sent as many times as the retries need.

        Every POST that is not a stream carries an ``Idempotency-Key`` (a fresh uuid4 unless
        given), so a retry replays the first answer instead of running the request again.
        """
        headers = {"User-Agent": f"apiinone-python/{__version__}", "Accept": "application/json"}
        if authenticated:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if method == "POST" and not stream:
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        elif idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if stream:
            headers["Accept"] = "text/event-stream"
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        request = httpx.Request(
            method,
            self.url(path),
            params=query,
            headers=headers,
            json=dict(json_body) if json_body is not None else None,
            files=dict(files) if files else None,
            extensions={"timeout": httpx.Timeout(timeout or self.timeout, connect=10.0).as_dict()},
        )
        request.read()  # the body is bytes from now on: every attempt sends the same bytes
        return request


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def unwrap(response: httpx.Response) -> Any:
    """The ``data`` of a native answer (or the whole JSON of an OpenAI-shaped one);
    an error answer raises its exception."""
    text = response.text
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if response.status_code >= 400:
        raise error_for_response(response.status_code, body, response.headers, text)
    if body is None and text:
        raise APIStatusError(
            f"The gateway answered {response.status_code} with a body that is not JSON",
            status=response.status_code,
            headers=response.headers,
        )
    if isinstance(body, dict) and "code" in body and "data" in body:
        return body["data"]
    return body


def raise_for_stream(response: httpx.Response, body: bytes) -> None:
    """Raise the error of a streamed answer whose status is an error (body already read)."""
    text = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    raise error_for_response(response.status_code, parsed, response.headers, text)


def chunk_error(chunk: Mapping[str, Any]) -> APIStatusError | None:
    """An ``{"error": {...}}`` chunk of a chat stream, as its exception."""
    error = chunk.get("error")
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    status = code if isinstance(code, int) else 502
    return error_for_response(status, dict(chunk), {})


def file_part(
    file: FileInput, name: str | None, content_type: str | None
) -> tuple[str, bytes, str]:
    """``(filename, bytes, content type)`` for a multipart upload, read once into memory."""
    if isinstance(file, str | Path):
        path = Path(file)
        data = path.read_bytes()
        filename = name or path.name
    elif isinstance(file, bytes):
        data = file
        filename = name or "upload"
    else:
        data = file.read()
        filename = name or Path(str(getattr(file, "name", "") or "upload")).name
    guessed = mimetypes.guess_type(filename)[0]
    return filename, data, content_type or guessed or "application/octet-stream"


def result_name(url: str, fallback: str = "result") -> str:
    """A safe local file name from a result URL's last path segment."""
    name = Path(unquote(urlsplit(url).path.rsplit("/", 1)[-1])).name
    return name if name and name not in (".", "..") else fallback


def partial_path(dest: Path) -> Path:
    """Where a download is written before it is complete."""
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")


def download_targets(
    urls: list[str], path: str | Path, index: int | None
) -> list[tuple[str, Path]]:
    """Where each result goes: a directory keeps the names; a file name takes one result,
    or numbered siblings (``out-1.mp3``, ``out-2.mp3``) for several."""
    chosen = urls if index is None else [urls[index]]
    target = Path(path)
    if target.is_dir() or str(path).endswith(("/", "\\")):
        return [(url, target / result_name(url)) for url in chosen]
    if len(chosen) == 1:
        return [(chosen[0], target)]
    out = []
    for number, url in enumerate(chosen, 1):
        suffix = Path(result_name(url)).suffix or target.suffix
        out.append((url, target.with_name(f"{target.stem}-{number}{suffix}")))
    return out
