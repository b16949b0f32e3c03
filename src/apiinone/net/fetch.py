"""Fetching a client's input URL: guarded, size-limited, type-checked.

A URL of this gateway's own ``/files/...`` (relative, or on the host and port of
``settings.base_url``) is read straight from the blob store, so a gateway that only
listens on loopback can still use its own results and uploads; an upload is readable
only by the account that made it. Any other URL is checked by the ``UrlGuard`` before
the request and before every redirect it follows (at most 3; aiohttp's own redirect
following is off), and fetched with the gateway's ``fetch_session``, whose resolver and
middleware refuse private addresses again at connect time (docs/ssrf.md).

Every failure is an ``InvalidRequest`` naming ``param``; foreign errors are chained.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

import aiohttp
from yarl import URL

from apiinone.errors import InvalidRequest
from apiinone.net.guard import AddressRefused, UrlGuard, UrlRefused
from apiinone.net.sniff import sniff
from apiinone.storage.files import get_file

if TYPE_CHECKING:
    from apiinone.db.engine import Database
    from apiinone.settings import Settings
    from apiinone.storage.base import BlobStore

__all__ = ["MEDIA_TYPES", "FetchContext", "accepted_type", "fetch_input", "own_file_ref"]

MEDIA_TYPES = ("image/", "video/", "audio/")
TIMEOUT_SECONDS = 60.0
MAX_REDIRECTS = 3
CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Declared types that can carry script: never trusted, whatever ``accept`` says.
_ACTIVE = ("svg", "xml", "html", "javascript")


class FetchContext(Protocol):
    """What a fetch needs of the gateway: its own files, and a session that checks addresses."""

    settings: Settings
    db: Database
    store: BlobStore
    guard: UrlGuard

    @property
    def fetch_session(self) -> aiohttp.ClientSession: ...


def _what(param: str | None) -> str:
    return f"'{param}'" if param else "the input URL"


def own_file_ref(base_url: str, url: str) -> tuple[str, str] | None:
    """``(file_id, name)`` when ``url`` names one of this gateway's files, else ``None``.

    A malformed ``/files/`` path of this gateway gives ``("", "")``: it names no file.
    """
    parts = urlsplit(url)
    base = urlsplit(base_url)
    path = parts.path
    if parts.scheme or parts.netloc:
        if parts.scheme not in _DEFAULT_PORTS or parts.hostname is None:
            return None
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            return None
        base_port = base.port or _DEFAULT_PORTS.get(base.scheme, 0)
        if (parts.hostname.lower(), port) != ((base.hostname or "").lower(), base_port):
            return None
        prefix = base.path.rstrip("/")
        if prefix:
            if not path.startswith(prefix + "/"):
                return None
            path = path[len(prefix) :]
    if not path.startswith("/files/"):
        return None
    segments = path.split("/")
    if len(segments) != 4 or not segments[2] or not segments[3]:
        return ("", "")
    return unquote(segments[2]), unquote(segments[3])


def accepted_type(
    data: bytes, declared: str | None, accept: tuple[str, ...], *, param: str | None = None
) -> str:
    """The sniffed type of ``data`` (else the declared one) if it starts with one of ``accept``."""
    content_type = sniff(data)
    if content_type is None and declared:
        content_type = declared.split(";", 1)[0].strip().lower() or None
    if (
        content_type is None
        or not content_type.startswith(accept)
        or any(word in content_type for word in _ACTIVE)
    ):
        kinds = ", ".join(prefix.rstrip("/") for prefix in accept)
        raise InvalidRequest(
            f"{_what(param)} is not an accepted file: its type is "
            f"{content_type or 'unknown'}, expected {kinds}",
            param=param,
        )
    return content_type


def _too_large(param: str | None, max_bytes: int) -> InvalidRequest:
    return InvalidRequest(f"{_what(param)}: input larger than {max_bytes} bytes", param=param)


async def _read_own(
    gateway: FetchContext,
    ref: tuple[str, str],
    *,
    account_id: str | None,
    max_bytes: int,
    param: str | None,
) -> tuple[bytes, str]:
    file_id, name = ref
    stored = await get_file(gateway.db, file_id) if file_id else None
    if (
        stored is None
        or stored.name != name
        or (stored.purpose == "upload" and stored.account_id != account_id)
    ):
        raise InvalidRequest(f"{_what(param)}: file not found", param=param)
    if stored.size > max_bytes:
        raise _too_large(param, max_bytes)
    try:
        data = await gateway.store.get(stored.storage_key)
    except FileNotFoundError as exc:
        raise InvalidRequest(f"{_what(param)}: file not found", param=param) from exc
    return data, stored.content_type


async def _check(guard: UrlGuard, url: str, param: str | None) -> None:
    try:
        await guard.check(url)
    except UrlRefused as exc:
        raise InvalidRequest(
            f"{_what(param)} is not an acceptable URL: {exc}", param=param
        ) from exc


async def _read_body(response: aiohttp.ClientResponse, max_bytes: int, param: str | None) -> bytes:
    length = response.content_length
    if length is not None and length > max_bytes:
        raise _too_large(param, max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(param, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


async def _follow(
    gateway: FetchContext, url: str, max_bytes: int, param: str | None
) -> tuple[bytes, str]:
    session = gateway.fetch_session
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        await _check(gateway.guard, current, param)
        async with session.get(current, allow_redirects=False, timeout=timeout) as response:
            if response.status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise InvalidRequest(
                        f"{_what(param)} answered HTTP {response.status} without a Location",
                        param=param,
                    )
                try:
                    current = str(response.url.join(URL(location)))
                except ValueError as exc:
                    raise InvalidRequest(
                        f"{_what(param)} redirected to a malformed URL", param=param
                    ) from exc
                continue
            if not 200 <= response.status < 300:
                raise InvalidRequest(
                    f"{_what(param)} could not be fetched: it answered HTTP {response.status}",
                    param=param,
                )
            data = await _read_body(response, max_bytes, param)
            return data, response.headers.get("Content-Type", "")
    raise InvalidRequest(f"{_what(param)} redirected more than {MAX_REDIRECTS} times", param=param)


async def _download(
    gateway: FetchContext, url: str, max_bytes: int, param: str | None
) -> tuple[bytes, str]:
    what = _what(param)
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            return await _follow(gateway, url, max_bytes, param)
    except TimeoutError as exc:
        raise InvalidRequest(
            f"{what} could not be fetched within {TIMEOUT_SECONDS:.0f} s", param=param
        ) from exc
    except UrlRefused as exc:  # the session's middleware, at connect time
        raise InvalidRequest(f"{what} is not an acceptable URL: {exc}", param=param) from exc
    except aiohttp.ClientConnectorDNSError as exc:
        if isinstance(exc.os_error, AddressRefused):  # the guarded resolver, at connect time
            message = f"{what} is not an acceptable URL: {exc.os_error.message}"
        else:
            message = f"{what} could not be fetched: its host does not resolve"
        raise InvalidRequest(message, param=param) from exc
    except aiohttp.ClientConnectorError as exc:
        raise InvalidRequest(
            f"{what} could not be fetched: cannot connect to {exc.host}:{exc.port}", param=param
        ) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise InvalidRequest(
            f"{what} could not be fetched: {type(exc).__name__}", param=param
        ) from exc


async def fetch_input(
    gateway: FetchContext,
    url: str,
    *,
    account_id: str | None,
    max_bytes: int,
    accept: tuple[str, ...] = MEDIA_TYPES,
    param: str | None = None,
) -> tuple[bytes, str]:
    """The bytes at ``url`` and their media type (sniffed), or ``InvalidRequest``."""
    ref = own_file_ref(gateway.settings.base_url, url)
    if ref is not None:
        data, declared = await _read_own(
            gateway, ref, account_id=account_id, max_bytes=max_bytes, param=param
        )
    else:
        data, declared = await _download(gateway, url, max_bytes, param)
    return data, accepted_type(data, declared, accept, param=param)
