"""``GET`` / ``HEAD /files/{file_id}/{name}``: results and uploads, with single Range support.

No authentication, on purpose: the file id is 24 random bytes, so the URL itself is the
capability to read the file, like a presigned URL of S3 (anyone holding it can read the
file until it expires; nobody can guess one). This is what lets a task's ``response``
URLs be opened by a browser, a ``<video>`` tag or another service.

An unknown id, a wrong name or an expired file is a 404 in the error JSON. The body is
streamed from the blob store (``store.stream``), so any backend serves ranges the same way.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response, StreamingResponse

from apiinone.api.deps import GatewayDep
from apiinone.errors import InvalidRequest, NotFound
from apiinone.storage.base import BlobStore
from apiinone.storage.files import StoredFile, get_file

__all__ = ["parse_range", "router"]

router = APIRouter(tags=["files"])

FileId = Annotated[str, Path(max_length=64)]
FileName = Annotated[str, Path(max_length=200)]
_RANGE = re.compile(r"^bytes=\s*(\d*)\s*-\s*(\d*)\s*$")


class RangeNotSatisfiable(InvalidRequest):
    """416, with the error type of every other bad request."""

    status = 416


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive ``(start, end)`` of a single byte range, or ``None`` for the whole file.

    Multiple ranges, other units and malformed values are ignored (whole file, as RFC 9110
    allows); a well-formed range that selects nothing raises ``RangeNotSatisfiable``.
    """
    if not header or "," in header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - suffix), size - 1
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise _unsatisfiable(size)
    return start, min(int(last), size - 1) if last else size - 1


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        f"The requested range is not satisfiable: the file has {size} bytes",
        param="Range",
        headers={"Content-Range": f"bytes */{size}"},
    )


def _headers(stored: StoredFile, etag: str) -> dict[str, str]:
    return {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Cache-Control": "private, max-age=3600",
        "Content-Disposition": f'inline; filename="{stored.name}"',
        "X-Content-Type-Options": "nosniff",
        # Files are data, never a page: no script, no plugins, no same-origin access.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }


async def _body(store: BlobStore, key: str, start: int, end: int) -> AsyncIterator[bytes]:
    """The blob's bytes; a missing blob is a 404 before any header is sent."""
    chunks = store.stream(key, start, end)
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        first = b""
    except FileNotFoundError as exc:
        raise NotFound("No such file") from exc

    async def rest() -> AsyncIterator[bytes]:
        try:
            if first:
                yield first
            async for chunk in chunks:
                yield chunk
        finally:
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()

    return rest()


def _matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file's bytes, with its own content type",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    },
    206: {
        "description": "The requested byte range",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    },
    304: {"description": "Not modified (If-None-Match matched the ETag)"},
}


@router.get(
    "/files/{file_id}/{name}",
    response_model=None,
    response_class=Response,
    responses=FILE_RESPONSES,
)
@router.head(
    "/files/{file_id}/{name}",
    response_model=None,
    response_class=Response,
    responses=FILE_RESPONSES,
    operation_id="head_file",
)
async def read_file(
    file_id: FileId, name: FileName, request: Request, gateway: GatewayDep
) -> Response:
    stored = await get_file(gateway.db, file_id)
    if stored is None or stored.name != name:
        raise NotFound("No such file (it may have expired)")
    etag = f'"{stored.id}"'
    headers = _headers(stored, etag)
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)

    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        range_header = None  # the client's copy is another file: send it whole
    selected = parse_range(range_header, stored.size)
    status = 200
    start, end = 0, stored.size - 1
    if selected is not None:
        status = 206
        start, end = selected
        headers["Content-Range"] = f"bytes {start}-{end}/{stored.size}"
    headers["Content-Length"] = str(end - start + 1)

    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=stored.content_type)
    if stored.size == 0:
        return Response(b"", status_code=status, headers=headers, media_type=stored.content_type)
    body = await _body(gateway.store, stored.storage_key, start, end)
    return StreamingResponse(
        body, status_code=status, headers=headers, media_type=stored.content_type
    )
