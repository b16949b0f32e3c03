"""A fake fal.ai queue on loopback, speaking the queue API as documented.

Routes (``Authorization: Key <key>`` on every queue route; errors are ``{"detail": ...}``):

- ``POST /{owner}/{app}[/{path}]`` (``?fal_webhook=<url>``) → ``{request_id,
  gateway_request_id, status: "IN_QUEUE", queue_position, response_url, status_url,
  cancel_url}``; the three URLs name ``/{owner}/{app}`` only, as fal's do;
- ``GET /{owner}/{app}/requests/{id}/status[?logs=1]`` → ``IN_QUEUE`` (HTTP 202, with
  ``queue_position`` counting down), then ``IN_PROGRESS`` (202, tqdm-style ``logs`` when
  asked for), then ``COMPLETED`` (200, with ``metrics``);
- ``GET /{owner}/{app}/requests/{id}`` → the output (400 while not completed);
- ``PUT /{owner}/{app}/requests/{id}/cancel`` → 202 ``CANCELLATION_REQUESTED``, or 400
  ``ALREADY_COMPLETED`` / 404 ``NOT_FOUND``;
- ``GET /files/{name}`` (no key) — the outputs: a real PNG, an SVG for apps whose id has
  ``vector``, an MP4 for ``video``, a WAV for ``audio``/``speech``/``music``/``tts`` apps;
  ``GET /health``.

Every submission is checked against the endpoint's published input schema
(tests/fixtures/fal/schemas/, :mod:`tests.fakes.schemas`) and refused as fal refuses: 422
``{"detail": [{loc, msg, type}]}``; ``fake.refused`` keeps what was refused.

A request moves one step per status poll (``queue_polls`` steps in the queue, then
``progress_polls`` in progress, then completed), or with time when ``complete_after`` is set
(whichever is further). When submitted with ``fal_webhook``, the fake POSTs
``{request_id, gateway_request_id, status: "OK"|"ERROR", payload, error}`` there once the
request completes (unsigned: the fake has no ED25519 key).

Magic text in the input's ``prompt``: ``fal:error`` (COMPLETED carrying ``error`` and
``error_type``, HTTP 200; the result answers 500 with the same), ``fal:nsfw`` (completes,
but the result answers 422 with a ``content_policy_violation`` detail), ``fal:422`` (the
submission answers 422 with a ``detail`` list), ``fal:429`` (the first submission of that
prompt answers 429 with ``Retry-After: 1``), ``fal:500`` (submission answers 500),
``fal:malformed`` (200 with a body that is not JSON; the request is still queued, as a real
upstream's would be), ``fal:wrong-type`` (the output is a PNG whatever the endpoint makes), ``fal:reset`` (the connection is dropped), ``fal:stall`` (the
submission hangs for 30 s).

Unverified here, and only guessed: the cancel answers' HTTP codes, the status of a canceled
request (shown as COMPLETED with an ``error``), and the result's answer to a failed request.

In process::

    async with FakeFal(key="k", queue_polls=2, progress_polls=3) as fake:
        fake.url, fake.submissions, fake.requests(), fake.calls, fake.webhooks_sent

As a process (appends one line per request queued to the counter file, fsynced)::

    python -m tests.fakes.fal --port P --counter-file PATH [--key K] [--complete-after S]

It prints ``FAKE_FAL_URL=http://127.0.0.1:P`` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import os
import secrets
import signal
import struct
import subprocess
import sys
import time
import uuid
import wave
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

from tests.fakes.schemas import subject, violations

__all__ = ["DEFAULT_KEY", "FakeFal"]

DEFAULT_KEY = "fal-fake-key-id:fal-fake-key-secret-0000000000"
_STALL_SECONDS = 30.0
_AUDIO_WORDS = ("audio", "speech", "music", "tts")


def _detail(status: int, detail: Any, **headers: str) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps({"detail": detail}),
        content_type="application/json",
        headers=headers,
    )


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


@dataclass
class _Request:
    id: str
    owner: str
    app: str
    path: str | None
    input: dict[str, Any]
    created: float  # monotonic
    webhook: str | None
    polls: int = 0
    canceled: bool = False
    completed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def prompt(self) -> str:
        return str(self.input.get("prompt", ""))

    @property
    def endpoint(self) -> str:
        return f"{self.owner}/{self.app}" + (f"/{self.path}" if self.path else "")


class FakeFal:
    def __init__(
        self,
        *,
        key: str = DEFAULT_KEY,
        queue_polls: int = 2,
        progress_polls: int = 3,
        complete_after: float | None = None,
        counter_file: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.key = key
        self.queue_polls = queue_polls
        self.progress_polls = progress_polls
        self.complete_after = complete_after
        self.counter_file = counter_file
        self.submissions = 0  # requests queued
        self.submit_attempts = 0  # submissions received, whatever their answer
        self.calls: list[dict[str, Any]] = []  # each authorized submission: endpoint, input
        self.webhooks_sent: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []  # bodies the endpoint's schema refused
        self.url = ""
        self._host, self._port = host, port
        self._requests: dict[str, _Request] = {}
        self._throttled: set[str] = set()
        self._closing = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._mp4: bytes | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> FakeFal:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/files/{name}", self._file)
        app.router.add_get("/{owner}/{app}/requests/{id}/status", self._status)
        app.router.add_get("/{owner}/{app}/requests/{id}", self._result)
        app.router.add_put("/{owner}/{app}/requests/{id}/cancel", self._cancel)
        app.router.add_post("/{endpoint:.+}", self._submit)
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

    async def __aenter__(self) -> FakeFal:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def requests(self) -> list[dict[str, Any]]:
        """Every request queued, oldest first: its endpoint, input and webhook."""
        return [
            {"request_id": r.id, "endpoint": r.endpoint, "input": r.input, "webhook": r.webhook}
            for r in self._requests.values()
        ]

    # -- handlers ---------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        return scheme == "Key" and secrets.compare_digest(value.encode(), self.key.encode())

    @staticmethod
    async def _health(request: web.Request) -> web.Response:
        return _json({"status": "ok"})

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        self.submit_attempts += 1
        if not self._authorized(request):
            return _detail(401, "No user found for Key ID and Secret")
        parts = request.match_info["endpoint"].strip("/").split("/")
        if len(parts) < 2 or "requests" in parts:
            return _detail(404, "Application not found")
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _detail(422, [{"loc": ["body"], "msg": "invalid JSON", "type": "json"}])
        if not isinstance(body, dict):
            return _detail(422, [{"loc": ["body"], "msg": "an object", "type": "dict_type"}])
        self.calls.append({"endpoint": "/".join(parts), "input": body})
        key, instance = subject("fal", request.path, body)
        problems = violations("fal", key, instance)
        if problems:  # the app's own input model refuses it, as fal's FastAPI apps do
            self.refused.append({"endpoint": key, "input": body, "detail": problems})
            return _detail(422, problems)
        prompt = str(body.get("prompt", ""))
        if "fal:422" in prompt:
            return _detail(
                422,
                [
                    {
                        "loc": ["body", "prompt"],
                        "msg": "The prompt is not allowed (forced by fal:422)",
                        "type": "value_error",
                    }
                ],
            )
        if "fal:429" in prompt and prompt not in self._throttled:
            self._throttled.add(prompt)
            return _detail(429, "Too many concurrent requests", **{"Retry-After": "1"})
        if "fal:500" in prompt:
            return _detail(500, "Internal Server Error")
        if "fal:reset" in prompt:
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if "fal:stall" in prompt:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), _STALL_SECONDS)
            if self._closing.is_set():
                return web.Response(status=503)
        queued = self._queue(parts, body, request.query.get("fal_webhook"))
        if "fal:malformed" in prompt:
            return web.Response(status=200, body=b"<html>upstream hiccup", content_type="text/html")
        return _json(
            {
                **self._urls(queued),
                "request_id": queued.id,
                "gateway_request_id": queued.id,
                "status": "IN_QUEUE",
                "queue_position": self.queue_polls,
            }
        )

    async def _status(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        found.polls += 1
        step = self._step(found)
        logs_wanted = request.query.get("logs") in ("1", "true", "True")
        view: dict[str, Any] = {"request_id": found.id, **self._urls(found), "logs": None}
        if step < self.queue_polls and not found.canceled:
            view |= {"status": "IN_QUEUE", "queue_position": self.queue_polls - step - 1}
            if logs_wanted:
                view["logs"] = []
            return _json(view, status=202)
        done = min(self.progress_polls, step - self.queue_polls + 1)
        if logs_wanted:
            view["logs"] = _logs(done, self.progress_polls)
        if step < self.queue_polls + self.progress_polls and not found.canceled:
            return _json({**view, "status": "IN_PROGRESS"}, status=202)
        found.completed.set()
        view |= {"status": "COMPLETED", "metrics": {"inference_time": 0.42}}
        error = self._error(found)
        if error is not None:
            view |= error
        return _json(view)

    async def _result(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        if self._step(found) < self.queue_polls + self.progress_polls and not found.canceled:
            return _detail(400, "Request is still in progress")
        status, body, headers = self._outcome(found)
        return web.Response(
            status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
        )

    async def _cancel(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if isinstance(found, web.Response):
            if found.status == 404:
                return _json({"status": "NOT_FOUND"}, status=404)
            return found
        if found.completed.is_set() or self._step(found) >= self.queue_polls + self.progress_polls:
            return _json({"status": "ALREADY_COMPLETED"}, status=400)
        found.canceled = True
        found.completed.set()
        return _json({"status": "CANCELLATION_REQUESTED"}, status=202)

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        stem, _, ext = name.rpartition(".")
        if stem not in self._requests and stem.rsplit("-", 1)[0] not in self._requests:
            return web.Response(status=404, text="not found")
        if ext == "png":
            return web.Response(body=_png(stem), content_type="image/png")
        if ext == "svg":
            return web.Response(body=_svg(stem), content_type="image/svg+xml")
        if ext == "wav":
            return web.Response(body=_wav(), content_type="audio/wav")
        if ext == "mp4":
            if self._mp4 is None:
                self._mp4 = await asyncio.get_running_loop().run_in_executor(None, _mp4)
            return web.Response(body=self._mp4, content_type="video/mp4")
        return web.Response(status=404, text="not found")

    # -- requests ---------------------------------------------------------------------

    def _queue(self, parts: list[str], body: dict[str, Any], webhook: str | None) -> _Request:
        queued = _Request(
            id=str(uuid.uuid4()),
            owner=parts[0],
            app=parts[1],
            path="/".join(parts[2:]) or None,
            input=body,
            created=time.monotonic(),
            webhook=webhook,
        )
        self._requests[queued.id] = queued
        self.submissions += 1
        if self.counter_file is not None:
            with self.counter_file.open("a") as f:
                f.write(f"{queued.id}\n")
                f.flush()
                os.fsync(f.fileno())
        if webhook:
            task = asyncio.get_running_loop().create_task(self._deliver(queued))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return queued

    def _find(self, request: web.Request) -> _Request | web.Response:
        if not self._authorized(request):
            return _detail(401, "No user found for Key ID and Secret")
        found = self._requests.get(request.match_info["id"])
        owner, app = request.match_info["owner"], request.match_info["app"]
        if found is None or (found.owner, found.app) != (owner, app):
            return _detail(404, "Request not found")
        return found

    def _urls(self, r: _Request) -> dict[str, str]:
        base = f"{self.url}/{r.owner}/{r.app}/requests/{r.id}"
        return {
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
        }

    def _step(self, r: _Request) -> int:
        step = r.polls - 1
        if self.complete_after is not None:
            total = self.queue_polls + self.progress_polls
            elapsed = time.monotonic() - r.created
            step = max(step, int(total * elapsed / self.complete_after) if elapsed else 0)
        return step

    def _error(self, r: _Request) -> dict[str, str] | None:
        if r.canceled:
            return {"error": "Request was cancelled", "error_type": "request_cancelled"}
        if "fal:error" in r.prompt:
            return {"error": "Runner crashed (forced by fal:error)", "error_type": "internal_error"}
        return None

    def _outcome(self, r: _Request) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The stored answer of a completed request: HTTP status, body, headers."""
        error = self._error(r)
        if error is not None:
            body = {"detail": error["error"], "error_type": error["error_type"]}
            return 500, body, {"X-Fal-Error-Type": error["error_type"]}
        if "fal:nsfw" in r.prompt:
            detail = [
                {
                    "loc": ["body", "prompt"],
                    "msg": "The content could not be processed because it contained "
                    "material flagged by a content checker.",
                    "type": "content_policy_violation",
                }
            ]
            return 422, {"detail": detail}, {}
        return 200, self._output(r), {}

    def _output(self, r: _Request) -> dict[str, Any]:
        endpoint = r.endpoint.lower()
        if "fal:wrong-type" in r.prompt:
            return self._images(r, "png")  # a raster image, whatever the endpoint makes
        if "vector" in endpoint:
            return self._images(r, "svg")
        if "video" in endpoint:
            return {
                "video": {
                    "url": f"{self.url}/files/{r.id}.mp4",
                    "content_type": "video/mp4",
                    "file_name": "output.mp4",
                    "file_size": len(self._mp4) if self._mp4 else 0,
                },
                "seed": 42,
            }
        if any(word in endpoint for word in _AUDIO_WORDS):
            return {
                "audio": {
                    "url": f"{self.url}/files/{r.id}.wav",
                    "content_type": "audio/wav",
                    "file_name": "output.wav",
                    "file_size": len(_wav()),
                },
                "duration": 0.25,
            }
        return self._images(r, "png")

    def _images(self, r: _Request, ext: str) -> dict[str, Any]:
        count = r.input.get("num_images", 1)
        count = count if isinstance(count, int) and 1 <= count <= 4 else 1
        make = _svg if ext == "svg" else _png
        return {
            "images": [
                {
                    "url": f"{self.url}/files/{r.id}-{i}.{ext}",
                    "content_type": "image/svg+xml" if ext == "svg" else "image/png",
                    "file_name": f"{r.id}-{i}.{ext}",
                    "file_size": len(make(f"{r.id}-{i}")),
                    "width": 64,
                    "height": 64,
                }
                for i in range(count)
            ],
            "seed": 42,
            "has_nsfw_concepts": [False] * count,
            "prompt": r.prompt,
            "timings": {"inference": 0.42},
        }

    async def _deliver(self, r: _Request) -> None:
        while not r.completed.is_set():
            if self.complete_after is not None:
                remaining = r.created + self.complete_after - time.monotonic()
                if remaining <= 0:
                    r.completed.set()
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(r.completed.wait(), remaining)
            else:
                await r.completed.wait()
        assert self._session is not None and r.webhook is not None
        status, body, _ = self._outcome(r)
        if status == 200:
            payload = {"status": "OK", "payload": body, "error": None}
        else:
            payload = {
                "status": "ERROR",
                "payload": body,
                "error": f"Invalid status code: {status}",
            }
        delivery = {"request_id": r.id, "gateway_request_id": r.id, **payload}
        headers = {
            "Content-Type": "application/json",
            "X-Fal-Webhook-Request-Id": r.id,
            "X-Fal-Webhook-User-Id": "fake-user",
            "X-Fal-Webhook-Timestamp": str(int(datetime.now(UTC).timestamp())),
        }
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with self._session.post(
                r.webhook,
                data=orjson.dumps(delivery),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=5),
            ):
                self.webhooks_sent.append(delivery)


def _logs(done: int, total: int) -> list[dict[str, str]]:
    stamp = datetime.now(UTC).isoformat()
    lines = []
    for i in range(1, done + 1):
        pct = 100 * i // total
        bar = "#" * (10 * i // total)
        lines.append(
            {
                "message": f"{pct:3d}%|{bar:<10}| {i}/{total} [00:0{i}<00:01]",
                "level": "INFO",
                "source": "stderr",
                "timestamp": stamp,
            }
        )
    return lines


def _png(seed: str) -> bytes:
    digest = hashlib.sha256(seed.encode()).digest()
    image = Image.new("RGB", (64, 64), (digest[0], digest[1], digest[2]))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _svg(seed: str) -> bytes:
    colour = hashlib.sha256(seed.encode()).hexdigest()[:6]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" fill="#{colour}"/></svg>\n'
    ).encode()


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", (i % 40 - 20) * 800) for i in range(2000)))
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
    fake = FakeFal(
        key=args.key,
        queue_polls=args.queue_polls,
        progress_polls=args.progress_polls,
        complete_after=args.complete_after,
        counter_file=Path(args.counter_file) if args.counter_file else None,
        host=args.host,
        port=args.port,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with fake:
        print(f"FAKE_FAL_URL={fake.url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.fal")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--counter-file", default=None)
    parser.add_argument("--key", default=DEFAULT_KEY)
    parser.add_argument("--queue-polls", type=int, default=2)
    parser.add_argument("--progress-polls", type=int, default=3)
    parser.add_argument("--complete-after", type=float, default=None)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
