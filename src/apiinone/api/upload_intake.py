"""Taking in an upload: a multipart ``file`` or a JSON ``{"url", "name"}`` read from the
request, its type sniffed from its bytes, kept as the caller's file. The API's
``POST /api/v1/uploads`` and the dashboard's upload both answer with ``receive_upload``."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from python_multipart.exceptions import MultipartParseError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from apiinone.api.deps import parse_json_object
from apiinone.api.envelope import FastJSON, envelope, iso
from apiinone.auth.principal import Principal
from apiinone.errors import InvalidRequest
from apiinone.net.fetch import MEDIA_TYPES, accepted_type, fetch_input
from apiinone.net.sniff import extension_for
from apiinone.runtime import Runtime
from apiinone.storage.files import StoredFile, absolute_url, safe_name, save_upload

__all__ = ["MAX_URL", "base_url", "receive_upload", "upload_object"]

MAX_URL = 2048
JSON_FIELDS = {"url", "name"}


def upload_object(stored: StoredFile, base_url: str) -> dict[str, Any]:
    return {
        "id": stored.id,
        "url": absolute_url(base_url, stored.path),
        "name": stored.name,
        "content_type": stored.content_type,
        "size": stored.size,
        "created_at": iso(stored.created_at),
        "expires_at": iso(stored.expires_at),
    }


def base_url(request: Request, public_base_url: str | None) -> str:
    return public_base_url or str(request.base_url)


def _file_name(given: str | None, content_type: str) -> str:
    extension = extension_for(content_type)
    name = safe_name(given or "", default="upload")
    if "." not in name.strip(".") and extension:
        name += extension
    return safe_name(name)


async def _read_part(part: UploadFile, max_bytes: int) -> bytes:
    data = await part.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidRequest(f"'file': input larger than {max_bytes} bytes", param="file")
    return data


async def _from_multipart(request: Request, max_bytes: int) -> tuple[bytes, str, str]:
    try:
        async with request.form(max_files=1, max_fields=10) as form:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                raise InvalidRequest(
                    "Send the file in a multipart field named 'file'", param="file"
                )
            data = await _read_part(part, max_bytes)
            declared = part.content_type
            filename = part.filename
    except (HTTPException, MultiPartException, MultipartParseError) as exc:
        detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
        raise InvalidRequest(f"The multipart body is malformed: {detail}", param="file") from exc
    content_type = accepted_type(data, declared, MEDIA_TYPES, param="file")
    return data, content_type, _file_name(filename, content_type)


def _json_body(raw: bytes, max_depth: int) -> tuple[str, str | None]:
    body = parse_json_object(raw, max_depth=max_depth)
    unknown = sorted(set(body) - JSON_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown field '{unknown[0]}'", param=unknown[0])
    url = body.get("url")
    if not isinstance(url, str) or not url:
        raise InvalidRequest("'url' is required: the http(s) URL of the file", param="url")
    if len(url) > MAX_URL:
        raise InvalidRequest(f"'url' is longer than {MAX_URL} characters", param="url")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise InvalidRequest("'name' must be a string of at most 200 characters", param="name")
    return url, name


async def receive_upload(request: Request, principal: Principal, gateway: Runtime) -> FastJSON:
    """The 201 answer for an upload sent in ``request``, kept as ``principal``'s file."""
    settings = gateway.settings
    max_bytes = settings.max_input_bytes
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        data, content_type, name = await _from_multipart(request, max_bytes)
    elif media == "application/json" or media.endswith("+json"):
        url, given = _json_body(await request.body(), settings.max_json_depth)
        data, content_type = await fetch_input(
            gateway, url, account_id=principal.account_id, max_bytes=max_bytes, param="url"
        )
        path_name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        name = _file_name(given or path_name, content_type)
    else:
        raise InvalidRequest(
            "Send multipart/form-data with a 'file' field, or a JSON object with 'url'"
        )
    stored = await save_upload(
        gateway.db,
        gateway.store,
        account_id=principal.account_id,
        name=name,
        content_type=content_type,
        data=data,
        retention_hours=settings.file_retention_hours,
    )
    return envelope(
        upload_object(stored, base_url(request, settings.public_base_url)), status_code=201
    )
