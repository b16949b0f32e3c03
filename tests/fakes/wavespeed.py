"""A fake WaveSpeedAI on loopback, speaking the v3 predictions API as documented.

Routes (``Authorization: Bearer <key>`` on ``/api``; every JSON answer is an envelope
``{"code", "message", "data"}``):

- ``POST /api/v3/{model-id}`` (``owner/name[/task]``) with the model's input as the body,
  and an optional ``webhook`` query parameter → 200 with the prediction (``created``);
- ``GET /api/v3/predictions/{id}/result`` and ``GET /api/v3/predictions/{id}``;
- ``GET /files/{name}`` — the outputs the fake made itself: a real PNG (or JPEG/WebP as
  ``output_format`` asks), an MP4 for video models; ``GET /health`` (no key).

A prediction is ``created``, then ``processing``, then ``completed`` (``outputs``: URLs;
``num_images`` > 1 gives several) or ``failed`` ``complete_after`` seconds after it was
made — a failure still answers HTTP 200, as WaveSpeed does. With ``webhook``, the finished
prediction (not wrapped in an envelope) is POSTed there.

Magic text in ``prompt``: ``wavespeed:fail`` (status failed, with an error),
``wavespeed:429`` (the first create answers 429 with ``Retry-After: 1``, later ones work),
``wavespeed:500``, ``wavespeed:malformed`` (200 with a body that is not JSON; the
prediction is still made), ``wavespeed:reset`` (the connection is dropped),
``wavespeed:stall`` (the create hangs for 30 s), ``wavespeed:refused`` (HTTP 200 with
``code`` 400 and no prediction). Knob: ``fail_creates = 503`` answers every create so.

In process::

    async with FakeWaveSpeed(token="ws_x", complete_after=0.3) as fake:
        fake.url, fake.submissions, fake.create_attempts, fake.predictions(), fake.calls

As a process (one line per prediction made appended to the counter file, fsynced)::

    python -m tests.fakes.wavespeed --port P --counter-file PATH --complete-after S [--token T]

It prints ``FAKE_WAVESPEED_URL=http://127.0.0.1:P`` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import imageio_ffmpeg
import orjson
from aiohttp import web
from PIL import Image

from tests.fakes.schemas import subject, summary, violations

__all__ = ["DEFAULT_TOKEN", "FakeWaveSpeed", "mp4_bytes", "png_bytes"]

DEFAULT_TOKEN = "ws_fake_key_for_tests_00000000000000000000"
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)+")
_STALL_SECONDS = 30.0
_IMAGE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}
_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _envelope(
    data: Any, *, code: int = 200, message: str = "success", status: int = 200, **headers: str
) -> web.Response:
    body = orjson.dumps({"code": code, "message": message, "data": data})
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


@dataclass
class _Prediction:
    id: str
    model: str
    input: dict[str, Any]
    created: float  # monotonic
    created_at: str
    webhook: str | None = None

    @property
    def prompt(self) -> str:
        return str(self.input.get("prompt", ""))


class FakeWaveSpeed:
    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        complete_after: float = 1.0,
        counter_file: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.complete_after = complete_after
        self.counter_file = counter_file
        self.fail_creates: int | None = None
        self.submissions = 0  # predictions made
        self.calls: list[dict[str, Any]] = []  # each authorized submission: model, input
        self.create_attempts = 0  # create requests received, whatever their answer
        self.polls = 0
        self.webhooks_sent: list[dict[str, Any]] = []
        self.url = ""
        self._host, self._port = host, port
        self._predictions: dict[str, _Prediction] = {}
        self._throttled: set[str] = set()
        self._closing = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._mp4: bytes | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> FakeWaveSpeed:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/api/v3/predictions/{id}/result", self._get)
        app.router.add_get("/api/v3/predictions/{id}", self._get)
        app.router.add_post("/api/v3/{model:.+}", self._create)
        app.router.add_get("/files/{name}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession()
        return self

    async def close(self) -> None:
        self._closing.set()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> FakeWaveSpeed:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def predictions(self) -> list[dict[str, Any]]:
        """Every prediction made, oldest first, as the API would show it now."""
        return [self._view(p) for p in self._predictions.values()]

    # -- handlers ---------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        return scheme == "Bearer" and secrets.compare_digest(value, self.token)

    @staticmethod
    async def _health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _create(self, request: web.Request) -> web.StreamResponse:
        self.create_attempts += 1
        if not self._authorized(request):
            return _envelope(None, code=401, message="Unauthorized: invalid API key", status=401)
        model = request.match_info["model"]
        if not _MODEL.fullmatch(model):
            return _envelope(None, code=404, message=f"model {model} not found", status=404)
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _envelope(None, code=400, message="invalid JSON body", status=400)
        if not isinstance(body, dict):
            return _envelope(None, code=400, message="the body must be an object", status=400)
        self.calls.append({"model": model, "input": body})
        key, instance = subject("wavespeed", request.path, body)
        problems = violations("wavespeed", key, instance)
        if problems:  # WaveSpeed's envelope for a refused input
            return _envelope(None, code=400, message=summary(problems), status=400)
        prompt = str(body.get("prompt", ""))
        if self.fail_creates is not None:
            return _envelope(
                None, code=self.fail_creates, message="forced", status=self.fail_creates
            )
        if "wavespeed:429" in prompt and prompt not in self._throttled:
            self._throttled.add(prompt)
            return _envelope(
                None, code=429, message="Too many requests", status=429, **{"Retry-After": "1"}
            )
        if "wavespeed:500" in prompt:
            return _envelope(None, code=500, message="internal server error", status=500)
        if "wavespeed:refused" in prompt:
            return _envelope(None, code=400, message="prompt: forced refusal")
        if "wavespeed:reset" in prompt:
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if "wavespeed:stall" in prompt:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), _STALL_SECONDS)
            if self._closing.is_set():
                return web.Response(status=503)
        prediction = self._make(model, body, request.query.get("webhook"))
        if "wavespeed:malformed" in prompt:
            return web.Response(body=b"<html>gateway hiccup", content_type="application/json")
        return _envelope(self._view(prediction))

    async def _get(self, request: web.Request) -> web.Response:
        self.polls += 1
        if not self._authorized(request):
            return _envelope(None, code=401, message="Unauthorized: invalid API key", status=401)
        prediction = self._predictions.get(request.match_info["id"])
        if prediction is None:
            return _envelope(None, code=404, message="prediction not found", status=404)
        return _envelope(self._view(prediction))

    async def _file(self, request: web.Request) -> web.Response:
        stem, _, ext = request.match_info["name"].rpartition(".")
        if stem.split("-")[0] not in self._predictions:
            return web.Response(status=404, text="not found")
        if ext in _IMAGE_FORMATS:
            return web.Response(body=png_bytes(stem, ext), content_type=_TYPES[ext])
        if ext == "mp4":
            if self._mp4 is None:
                self._mp4 = await asyncio.get_running_loop().run_in_executor(None, mp4_bytes)
            return web.Response(body=self._mp4, content_type="video/mp4")
        return web.Response(status=404, text="not found")

    # -- predictions ------------------------------------------------------------------

    def _make(self, model: str, body: dict[str, Any], webhook: str | None) -> _Prediction:
        prediction = _Prediction(
            id=secrets.token_hex(16),
            model=model,
            input=body,
            created=time.monotonic(),
            created_at=_now_iso(),
            webhook=webhook or None,
        )
        self._predictions[prediction.id] = prediction
        self.submissions += 1
        if self.counter_file is not None:
            with self.counter_file.open("a") as f:
                f.write(f"{prediction.id}\n")
                f.flush()
                os.fsync(f.fileno())
        if prediction.webhook:
            task = asyncio.get_running_loop().create_task(self._deliver(prediction))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return prediction

    def _status(self, p: _Prediction) -> str:
        elapsed = time.monotonic() - p.created
        if elapsed < self.complete_after * 0.25:
            return "created"
        if elapsed < self.complete_after:
            return "processing"
        return "failed" if "wavespeed:fail" in p.prompt else "completed"

    def _view(self, p: _Prediction) -> dict[str, Any]:
        status = self._status(p)
        view: dict[str, Any] = {
            "id": p.id,
            "model": p.model,
            "input": p.input,
            "outputs": [],
            "urls": {"get": f"{self.url}/api/v3/predictions/{p.id}/result"},
            "has_nsfw_contents": [],
            "status": status,
            "created_at": p.created_at,
            "error": "",
            "timings": {},
        }
        if status == "completed":
            view["outputs"] = self._outputs(p)
            view["has_nsfw_contents"] = [False] * len(view["outputs"])
            view["timings"] = {"inference": int(self.complete_after * 750)}
        elif status == "failed":
            view["error"] = "inference failed: out of GPU memory (forced by wavespeed:fail)"
        return view

    def _outputs(self, p: _Prediction) -> list[str]:
        if any(word in p.model for word in ("video", "i2v", "t2v")):
            return [f"{self.url}/files/{p.id}.mp4"]
        fmt = str(p.input.get("output_format", "png")).lower()
        ext = fmt if fmt in _IMAGE_FORMATS else "png"
        count = p.input.get("num_images", 1)
        count = count if isinstance(count, int) and 1 <= count <= 8 else 1
        return [f"{self.url}/files/{p.id}-{i}.{ext}" for i in range(count)]

    async def _deliver(self, p: _Prediction) -> None:
        remaining = p.created + self.complete_after - time.monotonic()
        await asyncio.sleep(max(0.0, remaining) + 0.01)
        assert self._session is not None and p.webhook is not None
        payload = self._view(p)
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with self._session.post(
                p.webhook, json=payload, timeout=aiohttp.ClientTimeout(total=5)
            ):
                self.webhooks_sent.append(payload)


def png_bytes(seed: str, ext: str = "png") -> bytes:
    """A real 64x48 image, its colour derived from ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    image = Image.new("RGB", (64, 48), (digest[0], digest[1], digest[2]))
    out = io.BytesIO()
    image.save(out, format=_IMAGE_FORMATS.get(ext, "PNG"))
    return out.getvalue()


def mp4_bytes() -> bytes:
    """A real, tiny MP4: one second of colour at 64x64, made by imageio-ffmpeg's ffmpeg."""
    done = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=navy:s=64x64:d=1:r=8",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-movflags",
            "frag_keyframe+empty_moov",
            "-f",
            "mp4",
            "pipe:1",
        ],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return done.stdout


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeWaveSpeed(
        token=args.token,
        complete_after=args.complete_after,
        counter_file=Path(args.counter_file) if args.counter_file else None,
        host=args.host,
        port=args.port,
    )
    fake.fail_creates = args.fail_creates
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with fake:
        print(f"FAKE_WAVESPEED_URL={fake.url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.wavespeed")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--counter-file", default=None)
    parser.add_argument("--complete-after", type=float, default=1.0)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--fail-creates", type=int, default=None)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
