"""A fake Replicate on loopback, speaking the predictions API as documented.

Routes (``Authorization: Bearer <token>`` on ``/v1``; errors are problem details
``{"title", "detail", "status"}``):

- ``POST /v1/models/{owner}/{name}/predictions`` and ``POST /v1/predictions`` (``version``:
  a 64-hex id, ``owner/name:<id>`` or ``owner/name``) → 201 with the prediction;
- ``GET /v1/predictions/{id}``; ``POST /v1/predictions/{id}/cancel``;
- ``GET /v1/webhooks/default/secret`` → ``{"key": "whsec_..."}``;
- ``GET /files/{name}`` — the outputs (a real PNG, or an MP4 when the input has
  ``duration``); ``GET /health`` (no token).

A prediction is ``starting``, then ``processing`` (logs like ``" 40%|####      | 4/10"``),
then terminal ``complete_after`` seconds after its creation. ``num_outputs`` > 1 gives a
list of URLs. When created with a ``webhook``, the final prediction is POSTed there, signed
per Standard Webhooks with the fake's secret (if ``webhook_events_filter`` has
``completed``, as it does by default).

Magic text in ``input.prompt``: ``replicate:fail`` (status failed, with an error),
``replicate:429`` (the first create answers 429 with ``Retry-After: 1``, later ones work),
``replicate:500`` (create answers 500), ``replicate:malformed`` (201 with a body that is
not JSON; the prediction is still made, as a real upstream would have), ``replicate:reset``
(the connection is dropped, no answer), ``replicate:stall`` (the create hangs for 30 s),
``replicate:expired`` (succeeded with ``output: null``, as after Replicate deletes it).
Knob: ``fail_creates = 503`` answers every create with that status.

In process::

    async with FakeReplicate(token="r8_x", complete_after=0.3) as fake:
        fake.url, fake.submissions, fake.create_attempts, fake.fail_creates = 503

As a process (appends one line per prediction created to the counter file, fsynced, so a
test can count submissions across a crash of the gateway)::

    python -m tests.fakes.replicate --port P --counter-file PATH --complete-after S
           [--token T] [--secret whsec_...] [--fail-creates 503]

It prints ``FAKE_REPLICATE_URL=http://127.0.0.1:P`` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import imageio_ffmpeg
import orjson
from aiohttp import web
from PIL import Image
from standardwebhooks.webhooks import Webhook

from tests.fakes.schemas import subject, violations

__all__ = ["DEFAULT_SECRET", "DEFAULT_TOKEN", "FakeReplicate"]

DEFAULT_TOKEN = "r8_fake_token_for_tests_0000000000000000"
DEFAULT_SECRET = "whsec_" + base64.b64encode(b"fake-replicate-webhook-secret-32b").decode()
_VERSION = re.compile(r"[0-9a-f]{64}")
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_STALL_SECONDS = 30.0


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _problem(status: int, title: str, detail: str, **headers: str) -> web.Response:
    body = orjson.dumps({"title": title, "detail": detail, "status": status})
    return web.Response(
        status=status, body=body, content_type="application/problem+json", headers=headers
    )


def _invalid_input(problems: list[dict[str, Any]]) -> web.Response:
    """Replicate's answer to an input its schema refuses: problem details, one line each."""
    fields = [
        {
            "type": item["type"],
            "field": "input." + ".".join(str(p) for p in item["loc"][1:]),
            "description": item["msg"],
        }
        for item in problems
    ]
    detail = "\n".join(f"- {f['field']}: {f['description']}" for f in fields)
    body = orjson.dumps(
        {
            "title": "Input validation failed",
            "detail": detail,
            "status": 422,
            "invalid_fields": fields,
        }
    )
    return web.Response(status=422, body=body, content_type="application/problem+json")


@dataclass
class _Prediction:
    id: str
    model: str
    version: str
    input: dict[str, Any]
    created: float  # monotonic
    created_at: str
    webhook: str | None = None
    events: tuple[str, ...] = ("start", "output", "logs", "completed")
    canceled: float | None = None
    canceled_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def prompt(self) -> str:
        return str(self.input.get("prompt", ""))


class FakeReplicate:
    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        complete_after: float = 1.0,
        secret: str = DEFAULT_SECRET,
        counter_file: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.complete_after = complete_after
        self.secret = secret
        self.counter_file = counter_file
        self.fail_creates: int | None = None
        self.submissions = 0  # predictions created
        self.create_attempts = 0  # create requests received, whatever their answer
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

    async def start(self) -> FakeReplicate:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_post("/v1/predictions", self._create_versioned)
        app.router.add_post("/v1/models/{owner}/{name}/predictions", self._create_official)
        app.router.add_get("/v1/predictions/{id}", self._get)
        app.router.add_post("/v1/predictions/{id}/cancel", self._cancel)
        app.router.add_get("/v1/webhooks/default/secret", self._secret)
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

    async def __aenter__(self) -> FakeReplicate:
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
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        return scheme in ("Bearer", "Token") and secrets.compare_digest(value, self.token)

    @staticmethod
    async def _health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _create_official(self, request: web.Request) -> web.StreamResponse:
        model = f"{request.match_info['owner']}/{request.match_info['name']}"
        return await self._create(request, model)

    async def _create_versioned(self, request: web.Request) -> web.StreamResponse:
        return await self._create(request, None)

    async def _create(self, request: web.Request, model: str | None) -> web.StreamResponse:
        self.create_attempts += 1
        version: str | None = None
        if not self._authorized(request):
            return _problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _problem(400, "Invalid JSON", "The request body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return _problem(422, "Input validation failed", "input: an object is required")
        if model is None:
            ref = body.get("version")
            if not isinstance(ref, str):
                return _problem(422, "Input validation failed", "version is required")
            name, _, ver = ref.partition(":")
            if _VERSION.fullmatch(ref):
                model, version = "fake/versioned-model", ref
            elif _MODEL.fullmatch(name) and (not ver or _VERSION.fullmatch(ver)):
                model, version = name, ver or None
            else:
                return _problem(422, "Invalid version", f"Invalid version or not permitted: {ref}")
        key, instance = subject("replicate", request.path, body)
        problems = violations("replicate", key, instance)
        if problems:  # the model version's openapi_schema refuses the input
            return _invalid_input(problems)
        prompt = str(body["input"].get("prompt", ""))
        if self.fail_creates is not None:
            return _problem(self.fail_creates, "Service Unavailable", "forced by the fake")
        if "replicate:429" in prompt and prompt not in self._throttled:
            self._throttled.add(prompt)
            return _problem(
                429,
                "Too Many Requests",
                "Request was throttled. Your rate limit resets in ~1s.",
                **{"Retry-After": "1"},
            )
        if "replicate:500" in prompt:
            return _problem(500, "Internal Server Error", "Something went wrong")
        if "replicate:reset" in prompt:
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if "replicate:stall" in prompt:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), _STALL_SECONDS)
            if self._closing.is_set():
                return web.Response(status=503)
        prediction = self._make(body, model, version)
        if "replicate:malformed" in prompt:
            return web.Response(
                status=201, body=b"<html>upstream hiccup", content_type="application/json"
            )
        return web.json_response(self._view(prediction), status=201, dumps=_dumps)

    async def _get(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        prediction = self._predictions.get(request.match_info["id"])
        if prediction is None:
            return _problem(404, "Not found", "The requested resource could not be found")
        return web.json_response(self._view(prediction), dumps=_dumps)

    async def _cancel(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        prediction = self._predictions.get(request.match_info["id"])
        if prediction is None:
            return _problem(404, "Not found", "The requested resource could not be found")
        if self._status(prediction) in ("starting", "processing"):
            prediction.canceled = time.monotonic()
            prediction.canceled_at = _now_iso()
            prediction.done.set()
        return web.json_response(self._view(prediction), dumps=_dumps)

    async def _secret(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        return web.json_response({"key": self.secret})

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        stem, _, ext = name.rpartition(".")
        if stem.split("-")[0] not in self._predictions:
            return web.Response(status=404, text="not found")
        if ext == "png":
            return web.Response(body=_png(stem), content_type="image/png")
        if ext == "mp4":
            if self._mp4 is None:
                self._mp4 = await asyncio.get_running_loop().run_in_executor(None, _mp4)
            return web.Response(body=self._mp4, content_type="video/mp4")
        return web.Response(status=404, text="not found")

    # -- predictions ------------------------------------------------------------------

    def _make(self, body: dict[str, Any], model: str, version: str | None) -> _Prediction:
        prediction_id = "".join(secrets.choice(_ALPHABET) for _ in range(26))
        events = body.get("webhook_events_filter")
        prediction = _Prediction(
            id=prediction_id,
            model=model,
            version=version or hashlib.sha256(model.encode()).hexdigest(),
            input=body["input"],
            created=time.monotonic(),
            created_at=_now_iso(),
            webhook=body["webhook"] if isinstance(body.get("webhook"), str) else None,
        )
        if isinstance(events, list):
            prediction.events = tuple(str(e) for e in events)
        self._predictions[prediction_id] = prediction
        self.submissions += 1
        if self.counter_file is not None:
            with self.counter_file.open("a") as f:
                prompt = str(prediction.input.get("prompt", "")).replace("\n", " ")
                f.write(f"{prediction_id}\t{prompt}\n")
                f.flush()
                os.fsync(f.fileno())
        if prediction.webhook and "completed" in prediction.events:
            task = asyncio.get_running_loop().create_task(self._deliver(prediction))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return prediction

    def _status(self, p: _Prediction) -> str:
        if p.canceled is not None:
            return "canceled"
        elapsed = time.monotonic() - p.created
        if elapsed < self.complete_after * 0.25:
            return "starting"
        if elapsed < self.complete_after:
            return "processing"
        return "failed" if "replicate:fail" in p.prompt else "succeeded"

    def _view(self, p: _Prediction) -> dict[str, Any]:
        status = self._status(p)
        base = self.url
        view: dict[str, Any] = {
            "id": p.id,
            "model": p.model,
            "version": p.version,
            "input": p.input,
            "logs": "",
            "output": None,
            "data_removed": False,
            "error": None,
            "status": status,
            "source": "api",
            "created_at": p.created_at,
            "started_at": None,
            "completed_at": None,
            "metrics": {},
            "urls": {
                "get": f"{base}/v1/predictions/{p.id}",
                "cancel": f"{base}/v1/predictions/{p.id}/cancel",
                "stream": f"{base}/v1/predictions/{p.id}/stream",
                "web": f"{base}/p/{p.id}",
            },
        }
        if status == "starting":
            return view
        p.started_at = p.started_at or _now_iso()
        view["started_at"] = p.started_at
        steps = 10
        ran = (p.canceled or time.monotonic()) - p.created
        done = min(steps, int(steps * ran / self.complete_after))
        view["logs"] = "".join(
            f"{i * 10:3d}%|{'#' * i}{' ' * (steps - i)}| {i}/{steps}\n" for i in range(done + 1)
        )
        if status == "processing":
            return view
        if p.completed_at is None:
            p.completed_at = p.canceled_at or _now_iso()
        view["completed_at"] = p.completed_at
        view["metrics"] = {
            "predict_time": round(self.complete_after * 0.75, 3),
            "total_time": round(self.complete_after, 3),
        }
        if status == "failed":
            view["error"] = "CUDA out of memory (forced by replicate:fail)"
        elif status == "succeeded":
            if "replicate:expired" in p.prompt:
                view["data_removed"] = True
            else:
                view["output"] = self._output(p)
        return view

    def _output(self, p: _Prediction) -> str | list[str]:
        if "duration" in p.input:
            return f"{self.url}/files/{p.id}.mp4"
        count = p.input.get("num_outputs")
        if isinstance(count, int) and count > 1:
            return [f"{self.url}/files/{p.id}-{i}.png" for i in range(count)]
        return f"{self.url}/files/{p.id}.png"

    async def _deliver(self, p: _Prediction) -> None:
        remaining = p.created + self.complete_after - time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(p.done.wait(), max(0.0, remaining))
        assert self._session is not None and p.webhook is not None
        payload = self._view(p)
        body = orjson.dumps(payload).decode()
        msg_id = "msg_" + secrets.token_hex(12)
        stamp = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(stamp.timestamp())),
            "webhook-signature": Webhook(self.secret).sign(msg_id, stamp, body),
        }
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with self._session.post(
                p.webhook, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=5)
            ):
                self.webhooks_sent.append(payload)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _png(seed: str) -> bytes:
    digest = hashlib.sha256(seed.encode()).digest()
    image = Image.new("RGB", (64, 64), (digest[0], digest[1], digest[2]))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _mp4() -> bytes:
    done = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=teal:s=64x64:d=1:r=8",
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
    fake = FakeReplicate(
        token=args.token,
        complete_after=args.complete_after,
        secret=args.secret,
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
        print(f"FAKE_REPLICATE_URL={fake.url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.replicate")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--counter-file", default=None)
    parser.add_argument("--complete-after", type=float, default=1.0)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--secret", default=DEFAULT_SECRET)
    parser.add_argument("--fail-creates", type=int, default=None)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
