"""A fake remove.bg API on loopback.

``POST /v1.0/removebg`` with ``X-Api-Key`` and a form (``x-www-form-urlencoded`` or
multipart) with ``image_url`` (or ``image_file``), ``size`` and ``format`` answers the
cut-out: an RGBA PNG (transparent background, opaque subject) for ``format=png`` or
``auto``, a JPEG on white for ``jpg``; with ``X-Type``, ``X-Width``, ``X-Height``,
``X-Credits-Charged`` and ``X-RateLimit-Limit / -Remaining / -Reset``. The fake does not
download ``image_url``: the cut-out is made up from the URL. Errors are
``{"errors": [{"title", "code"}]}`` (403 for a missing or wrong key). ``GET /health``.

Magic text in ``image_url``: ``removebg:402`` (insufficient credits), ``removebg:429``
(the first request for that URL answers 429 with ``Retry-After: 1``, later ones work),
``removebg:nofg`` (400, no foreground found), ``removebg:500``, ``removebg:malformed``
(200 ``image/png`` whose body is not an image), ``removebg:reset`` (the connection is
dropped), ``removebg:stall`` (no answer for 30 s).

In process::

    async with FakeRemoveBg(key="rb-x") as fake:
        fake.url, fake.requests      # the forms of the requests that got an image
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import secrets
import time
from types import TracebackType

import orjson
from aiohttp import web
from PIL import Image, ImageDraw

from tests.fakes.schemas import subject, summary, violations

__all__ = ["DEFAULT_KEY", "FakeRemoveBg"]

DEFAULT_KEY = "rbfakekey00000000000000000"
SIZES = frozenset({"auto", "preview", "small", "regular", "medium", "hd", "full", "4k", "50MP"})
FORMATS = frozenset({"auto", "png", "jpg", "zip"})
RATE_LIMIT = 500
_STALL_SECONDS = 30.0


def _errors(status: int, title: str, code: str, **headers: str) -> web.Response:
    body = orjson.dumps({"errors": [{"title": title, "code": code}]})
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


class FakeRemoveBg:
    def __init__(self, *, key: str = DEFAULT_KEY, host: str = "127.0.0.1", port: int = 0) -> None:
        self.key = key
        self.requests: list[dict[str, str]] = []
        self.attempts = 0
        self.url = ""
        self._host, self._port = host, port
        self._throttled: set[str] = set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> FakeRemoveBg:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/health", self._health)
        app.router.add_post("/v1.0/removebg", self._removebg)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeRemoveBg:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @staticmethod
    async def _health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def _limits(self) -> dict[str, str]:
        remaining = max(0, RATE_LIMIT - self.attempts)
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(time.time()) + 60),
        }

    async def _removebg(self, request: web.Request) -> web.StreamResponse:
        self.attempts += 1
        key = request.headers.get("X-Api-Key", "")
        if not key:
            return _errors(403, "Missing API Key", "auth_failed")
        if not secrets.compare_digest(key, self.key):
            return _errors(403, "API Key invalid", "auth_failed")
        form = await request.post()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        checked = {**fields, **({"image_file": "<file>"} if "image_file" in form else {})}
        problems = violations("removebg", *subject("removebg", request.path, checked))
        if problems:
            return _errors(400, summary(problems), "invalid_parameter")
        source = fields.get("image_url", "")
        if not source and not isinstance(form.get("image_file"), web.FileField):
            return _errors(
                400,
                "No image given: send image_url, image_file or image_file_b64",
                "missing_source",
            )
        size = fields.get("size", "preview")
        fmt = fields.get("format", "auto")
        if size not in SIZES:
            return _errors(400, f"Invalid size: {size}", "invalid_parameter")
        if fmt not in FORMATS:
            return _errors(400, f"Invalid format: {fmt}", "invalid_parameter")
        knob = await self._knob(request, source)
        if knob is not None:
            return knob
        data, content_type, (width, height) = _cutout(source, fmt)
        if "removebg:malformed" in source:
            data = b"<html>upstream hiccup</html>"
        self.requests.append(fields)
        headers = {
            **self._limits(),
            "X-Type": "product",
            "X-Width": str(width),
            "X-Height": str(height),
            "X-Credits-Charged": "1",
        }
        return web.Response(body=data, content_type=content_type, headers=headers)

    async def _knob(self, request: web.Request, source: str) -> web.StreamResponse | None:
        if "removebg:402" in source:
            return _errors(402, "Insufficient credits", "insufficient_credits")
        if "removebg:429" in source and source not in self._throttled:
            self._throttled.add(source)
            return _errors(
                429,
                "Rate limit exceeded",
                "rate_limit_exceeded",
                **{**self._limits(), "X-RateLimit-Remaining": "0", "Retry-After": "1"},
            )
        if "removebg:nofg" in source:
            return _errors(400, "Could not identify foreground in image", "unknown_foreground")
        if "removebg:500" in source:
            return _errors(500, "Internal server error", "internal_error")
        if "removebg:reset" in source:
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if "removebg:stall" in source:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), _STALL_SECONDS)
            return web.Response(status=503)
        return None


def _cutout(source: str, fmt: str) -> tuple[bytes, str, tuple[int, int]]:
    digest = hashlib.sha256(source.encode()).digest()
    width, height = 96, 64
    colour = (digest[0], digest[1], digest[2], 255)
    out = io.BytesIO()
    if fmt == "jpg":
        image = Image.new("RGB", (width, height), (255, 255, 255))
        ImageDraw.Draw(image).ellipse((24, 16, 72, 48), fill=colour[:3])
        image.save(out, format="JPEG")
        return out.getvalue(), "image/jpeg", (width, height)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((24, 16, 72, 48), fill=colour)
    image.save(out, format="PNG")
    return out.getvalue(), "image/png", (width, height)
