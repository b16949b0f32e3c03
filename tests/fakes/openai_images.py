"""A fake OpenAI Images API on loopback, answering as the GPT Image models do.

Routes (``Authorization: Bearer <key>``; errors ``{"error": {message, type, param, code}}``):

- ``POST /v1/images/generations`` — JSON ``{model, prompt, n, size, quality,
  output_format, background, ...}``;
- ``POST /v1/images/edits`` — ``multipart/form-data``: the same fields as text parts and
  the input images as ``image[]`` (or ``image``) file parts (PNG, JPEG or WebP);
- both answer 200 ``{created, background, data: [{b64_json}], output_format, quality, size,
  usage}`` with real images of the requested size and format (an edit's colour comes from
  its first input image); ``GET /health`` (no key).

Magic text in the prompt: ``openai:policy`` (400 ``moderation_blocked``), ``openai:429``
(the first request with that prompt answers 429 with ``Retry-After: 1``, later ones work),
``openai:quota`` (429 ``insufficient_quota``), ``openai:500``, ``openai:malformed`` (200
with a body that is not JSON), ``openai:reset`` (the connection is dropped),
``openai:stall`` (no answer for 30 s).

In process::

    async with FakeOpenAIImages(key="sk-x") as fake:
        fake.url            # base URL; the API is at fake.url + "/v1"
        fake.requests       # every request that reached image generation
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import secrets
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import orjson
from aiohttp import web
from PIL import Image, ImageDraw, UnidentifiedImageError

from tests.fakes.schemas import subject, summary, violations

__all__ = ["DEFAULT_KEY", "FakeOpenAIImages", "Received"]

DEFAULT_KEY = "sk-fake-openai-images-key-000000000000"
_STALL_SECONDS = 30.0
_SIZES = {"auto": (1024, 1024), "1024x1024": (1024, 1024), "1536x1024": (1536, 1024)}
_SIZES["1024x1536"] = (1024, 1536)
_QUALITIES = {"low", "medium", "high", "auto"}
_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_BACKGROUNDS = {"transparent", "opaque", "auto"}
_FIELDS = {
    "model",
    "prompt",
    "n",
    "size",
    "quality",
    "output_format",
    "output_compression",
    "background",
    "moderation",
    "user",
    "stream",
    "partial_images",
}
_EDIT_FIELDS = _FIELDS - {"moderation"} | {"input_fidelity", "mask"}
_OUTPUT_TOKENS = {"low": 272, "medium": 1056, "high": 4160}


@dataclass
class Received:
    """One request that was accepted and answered with images."""

    path: str
    fields: dict[str, Any]
    images: list[tuple[str, tuple[int, int]]] = field(default_factory=list)  # (format, size)


def _error(
    status: int,
    message: str,
    kind: str = "invalid_request_error",
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


class FakeOpenAIImages:
    def __init__(
        self,
        *,
        key: str = DEFAULT_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        schemas: str = "openai",
    ) -> None:
        self.key = key
        self.schemas = schemas  # whose published schema the bodies are checked against
        self.requests: list[Received] = []
        self.attempts = 0  # image requests received, whatever their answer
        self.url = ""
        self._host, self._port = host, port
        self._throttled: set[str] = set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> FakeOpenAIImages:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/health", self._health)
        app.router.add_post("/v1/images/generations", self._generations)
        app.router.add_post("/v1/images/edits", self._edits)
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

    async def __aenter__(self) -> FakeOpenAIImages:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- handlers ---------------------------------------------------------------------

    @staticmethod
    async def _health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def _check_key(self, request: web.Request) -> None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Bearer" and secrets.compare_digest(value, self.key):
            return
        if not value:
            raise _Refused(
                _error(
                    401,
                    "You didn't provide an API key. You need to provide your API key in an "
                    "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                )
            )
        masked = f"{value[:3]}{'*' * 8}{value[-4:]}" if len(value) > 8 else "*" * len(value)
        raise _Refused(
            _error(
                401,
                f"Incorrect API key provided: {masked}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        )

    async def _generations(self, request: web.Request) -> web.StreamResponse:
        self.attempts += 1
        try:
            self._check_key(request)
            try:
                body = orjson.loads(await request.read())
            except orjson.JSONDecodeError:
                return _error(400, "We could not parse the JSON body of your request.")
            if not isinstance(body, dict):
                return _error(400, "The request body must be a JSON object.")
            problems = violations(self.schemas, *subject(self.schemas, request.path, body))
            if problems:
                where = ".".join(str(p) for p in problems[0]["loc"][1:])
                return _error(400, summary(problems), param=where or None, code="invalid_value")
            return await self._answer(request, "generations", body, [])
        except _Refused as refused:
            return refused.response

    async def _edits(self, request: web.Request) -> web.StreamResponse:
        self.attempts += 1
        try:
            self._check_key(request)
            if not request.content_type.startswith("multipart/form-data"):
                return _error(400, "Invalid Content-Type header, expected multipart/form-data.")
            form = await request.post()
            fields: dict[str, Any] = {}
            images: list[Image.Image] = []
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    if name not in ("image", "image[]"):
                        return _error(400, f"Unknown parameter: '{name}'.", param=name)
                    images.append(_open_input(value, len(images)))
                elif name in ("image", "image[]"):
                    return _error(400, "The image must be sent as a file.", param=name)
                else:
                    fields[name] = value
            if not images:
                return _error(400, "Missing required parameter: 'image'.", param="image")
            if len(images) > 16:
                return _error(400, "You can provide up to 16 images.", param="image")
            if "n" in fields:
                try:
                    fields["n"] = int(fields["n"])
                except ValueError:
                    return _error(400, "Invalid value for 'n'.", param="n")
            return await self._answer(request, "edits", fields, images)
        except _Refused as refused:
            return refused.response

    async def _answer(
        self, request: web.Request, kind: str, body: dict[str, Any], inputs: list[Image.Image]
    ) -> web.StreamResponse:
        allowed = _FIELDS if kind == "generations" else _EDIT_FIELDS
        for name in body:
            if name not in allowed:
                return _error(
                    400, f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter"
                )
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            return _error(400, "Missing required parameter: 'prompt'.", param="prompt")
        model = body.get("model")
        if not isinstance(model, str) or not model.startswith("gpt-image-"):
            return _error(400, f"Invalid value for 'model': {model!r}.", param="model")
        size = body.get("size", "auto")
        quality = body.get("quality", "auto")
        fmt = body.get("output_format", "png")
        background = body.get("background", "auto")
        count = body.get("n", 1)
        for name, value, known in (
            ("size", size, set(_SIZES)),
            ("quality", quality, _QUALITIES),
            ("output_format", fmt, set(_FORMATS)),
            ("background", background, _BACKGROUNDS),
        ):
            if value not in known:
                return _error(
                    400,
                    f"Invalid value: '{value}'. Supported values are: "
                    + ", ".join(f"'{v}'" for v in sorted(known))
                    + ".",
                    param=name,
                    code="invalid_value",
                )
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10:
            return _error(400, "Invalid value for 'n': must be between 1 and 10.", param="n")
        if background == "transparent" and fmt == "jpeg":
            return _error(400, "Transparent backgrounds need png or webp.", param="background")

        knob = await self._knob(request, prompt)
        if knob is not None:
            return knob

        width, height = _SIZES[size]
        transparent = background == "transparent"
        colour = _colour(inputs[0]) if inputs else _seed_colour(prompt)
        images = await asyncio.to_thread(
            lambda: [
                _render(width, height, colour, index, fmt, transparent) for index in range(count)
            ]
        )
        if "openai:malformed" in prompt:
            return web.Response(status=200, body=b"<html>upstream hiccup", content_type="text/html")
        self.requests.append(
            Received(
                path=request.path,
                fields=dict(body),
                images=[(im.format or "", im.size) for im in inputs],
            )
        )
        actual_quality = "medium" if quality == "auto" else quality
        text_tokens = len(prompt) // 4 + 1
        image_tokens = 323 * len(inputs)
        output_tokens = _OUTPUT_TOKENS[actual_quality] * count
        answer = {
            "created": int(time.time()),
            "background": "transparent" if transparent else "opaque",
            "data": [{"b64_json": base64.b64encode(image).decode()} for image in images],
            "output_format": fmt,
            "quality": actual_quality,
            "size": f"{width}x{height}",
            "usage": {
                "input_tokens": text_tokens + image_tokens,
                "input_tokens_details": {"image_tokens": image_tokens, "text_tokens": text_tokens},
                "output_tokens": output_tokens,
                "total_tokens": text_tokens + image_tokens + output_tokens,
            },
        }
        return web.Response(body=orjson.dumps(answer), content_type="application/json")

    async def _knob(self, request: web.Request, prompt: str) -> web.StreamResponse | None:
        if "openai:policy" in prompt:
            return _error(
                400,
                "Your request was rejected by the safety system. If you believe this is an "
                "error, contact us at help.openai.com and include the request ID "
                f"req_{secrets.token_hex(16)}. safety_violations=[violence].",
                "image_generation_user_error",
                code="moderation_blocked",
            )
        if "openai:429" in prompt and prompt not in self._throttled:
            self._throttled.add(prompt)
            return _error(
                429,
                "Rate limit reached for gpt-image-1.5 in organization org-fake on images per "
                "minute (IPM): Limit 5, Used 5, Requested 1. Please try again in 1s.",
                "requests",
                code="rate_limit_exceeded",
                headers={"Retry-After": "1"},
            )
        if "openai:quota" in prompt:
            return _error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                code="insufficient_quota",
            )
        if "openai:500" in prompt:
            return _error(
                500,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
            )
        if "openai:reset" in prompt:
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if "openai:stall" in prompt:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), _STALL_SECONDS)
            return web.Response(status=503)
        return None


def _open_input(part: web.FileField, index: int) -> Image.Image:
    data = part.file.read()
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise _Refused(
            _error(
                400,
                f"Invalid image file or mode for image {index + 1}, please check your image file.",
                param="image",
                code="invalid_image_file",
            )
        ) from exc
    if image.format not in ("PNG", "JPEG", "WEBP"):
        raise _Refused(
            _error(
                400,
                f"Invalid file 'image': unsupported mimetype ('{part.content_type}'). "
                "Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.",
                param="image",
                code="unsupported_file_mimetype",
            )
        )
    return image


def _seed_colour(text: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(text.encode()).digest()
    return digest[0], digest[1], digest[2]


def _colour(image: Image.Image) -> tuple[int, int, int]:
    r, g, b = image.convert("RGB").resize((1, 1)).getpixel((0, 0))  # type: ignore[misc]
    return int(r), int(g), int(b)


def _render(
    width: int, height: int, colour: tuple[int, int, int], index: int, fmt: str, alpha: bool
) -> bytes:
    mode = "RGBA" if alpha else "RGB"
    image = Image.new(mode, (width, height), (0, 0, 0, 0) if alpha else (250, 250, 245))
    draw = ImageDraw.Draw(image)
    inset = min(width, height) // 6 + index * 8
    draw.ellipse((inset, inset, width - inset, height - inset), fill=(*colour, 255))
    out = io.BytesIO()
    image.save(out, format=_FORMATS[fmt])
    return out.getvalue()
