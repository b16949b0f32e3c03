"""A fake MiniMax on loopback, speaking the (Hailuo) video generation API as documented.

Routes (``Authorization: Bearer <key>`` on ``/v1``; errors ride in ``base_resp`` with
HTTP 200, as MiniMax does):

- ``POST /v1/video_generation`` ``{model, prompt, first_frame_image, duration (an
  integer: 6 or 10), resolution, prompt_optimizer, callback_url}`` →
  ``{"task_id", "base_resp": {"status_code": 0, "status_msg": "success"}}``; a bad field
  answers ``base_resp`` 2013, a bad key 1004;
- ``GET /v1/query/video_generation?task_id=`` → ``{task_id, status, file_id, video_width,
  video_height, base_resp}``, status ``Preparing``, ``Processing``, then ``Success`` (or
  ``Fail``) ``complete_after`` seconds after the task was made;
- ``GET /v1/files/retrieve?file_id=`` → ``{"file": {file_id, bytes, created_at, filename,
  purpose, download_url}, "base_resp"}``;
- ``GET /files/{file_id}.mp4`` — the video (a real 1 s MP4), like MiniMax's CDN: no key;
  ``GET /health``.

With ``callback_url``, the fake POSTs ``{"challenge": ...}`` there and, when it is echoed
within 3 s, each status change (the query's shape, status ``processing | success |
failed``).

Magic text in ``prompt``: ``minimax:fail`` (the task ends ``Fail``), ``minimax:queue``
(``Queueing`` for the first ``queue_polls`` queries), ``minimax:429`` (the first create
answers ``base_resp`` 1002, later ones work), ``minimax:1026`` (sensitive input, refused at
submit; any other four-digit code too), ``minimax:1027`` (sensitive output: the task ends
``Fail`` with 1027), ``minimax:500`` (HTTP 500), ``minimax:malformed`` (200 with a body that
is not JSON; the task is still made), ``minimax:reset`` (the connection is dropped),
``minimax:stall`` (the create hangs for 30 s). Knob: ``fail_creates = 503``.

In process::

    async with FakeMiniMax(token="mm_x", complete_after=0.3) as fake:
        fake.url, fake.submissions, fake.tasks(), fake.callbacks_sent

As a process (one line per task made appended to the counter file, fsynced)::

    python -m tests.fakes.minimax --port P --counter-file PATH --complete-after S [--token T]

It prints ``FAKE_MINIMAX_URL=http://127.0.0.1:P`` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import imageio_ffmpeg
import orjson
from aiohttp import web

from tests.fakes.schemas import subject, summary, violations

__all__ = ["DEFAULT_TOKEN", "MODELS", "FakeMiniMax"]

DEFAULT_TOKEN = "mm_fake_key_for_tests_000000000000000000000"
MODELS = frozenset(
    {
        "MiniMax-Hailuo-2.3",
        "MiniMax-Hailuo-2.3-Fast",
        "MiniMax-Hailuo-02",
        "I2V-01-Director",
        "I2V-01-live",
        "I2V-01",
        "T2V-01-Director",
        "T2V-01",
    }
)
RESOLUTIONS = frozenset({"512P", "720P", "768P", "1080P"})
MESSAGES = {
    1000: "unknown error",
    1002: "rate limit, please retry later",
    1004: "login fail: Please carry the API secret key in the 'Authorization' field",
    1008: "insufficient balance",
    1026: "input new_sensitive",
    1027: "output new_sensitive",
    2013: "invalid params",
}
_CODE = re.compile(r"minimax:(\d{4})")
_STALL_SECONDS = 30.0
_CHALLENGE_SECONDS = 3.0


def _answer(
    http: int = 200, code: int = 0, message: str = "success", **fields: Any
) -> web.Response:
    body = orjson.dumps({**fields, "base_resp": {"status_code": code, "status_msg": message}})
    return web.Response(status=http, body=body, content_type="application/json")


def _invalid(detail: str) -> web.Response:
    return _answer(code=2013, message=f"invalid params, {detail}", task_id="")


@dataclass
class _Task:
    task_id: str
    file_id: str
    body: dict[str, Any]
    created: float  # monotonic
    created_unix: int
    queries: int = 0
    callback_verified: bool | None = None

    @property
    def prompt(self) -> str:
        return str(self.body.get("prompt", ""))


class FakeMiniMax:
    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        complete_after: float = 1.0,
        queue_polls: int = 2,
        counter_file: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.complete_after = complete_after
        self.queue_polls = queue_polls
        self.counter_file = counter_file
        self.fail_creates: int | None = None
        self.submissions = 0  # tasks made
        self.create_attempts = 0  # create requests received, whatever their answer
        self.retrieves = 0
        self.callbacks_sent: list[dict[str, Any]] = []
        self.url = ""
        self._host, self._port = host, port
        self._tasks: dict[str, _Task] = {}
        self._files: dict[str, _Task] = {}
        self._throttled: set[str] = set()
        self._closing = asyncio.Event()
        self._background: set[asyncio.Task[None]] = set()
        self._mp4: bytes | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> FakeMiniMax:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_post("/v1/video_generation", self._create)
        app.router.add_get("/v1/query/video_generation", self._query)
        app.router.add_get("/v1/files/retrieve", self._retrieve)
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
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> FakeMiniMax:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def tasks(self) -> list[dict[str, Any]]:
        """The body of every task made, oldest first, with its ``task_id``."""
        return [{"task_id": t.task_id, **t.body} for t in self._tasks.values()]

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
            return _answer(code=1004, message=MESSAGES[1004], task_id="")
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _invalid("the body is not JSON")
        if not isinstance(body, dict):
            return _invalid("the body must be an object")
        problem = _check(body)
        if problem is not None:
            return _invalid(problem)
        problems = violations("minimax", *subject("minimax", request.path, body))
        if problems:
            return _invalid(summary(problems))
        prompt = str(body.get("prompt", ""))
        if self.fail_creates is not None:
            return _answer(http=self.fail_creates, code=1000, message="service unavailable")
        if "minimax:429" in prompt and prompt not in self._throttled:
            self._throttled.add(prompt)
            return _answer(code=1002, message=MESSAGES[1002], task_id="")
        if "minimax:500" in prompt:
            return _answer(http=500, code=1000, message=MESSAGES[1000])
        if "minimax:reset" in prompt:
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if "minimax:stall" in prompt:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), _STALL_SECONDS)
            if self._closing.is_set():
                return web.Response(status=503)
        forced = _CODE.search(prompt)
        if forced is not None and forced[1] != "1027":
            code = int(forced[1])
            return _answer(code=code, message=MESSAGES.get(code, "forced error"), task_id="")
        task = self._make(body)
        if "minimax:malformed" in prompt:
            return web.Response(body=b"<html>bad gateway", content_type="application/json")
        return _answer(task_id=task.task_id)

    async def _query(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _answer(code=1004, message=MESSAGES[1004])
        task = self._tasks.get(request.query.get("task_id", ""))
        if task is None:
            return _answer(
                code=2013, message="invalid params, task not found", task_id="", status=""
            )
        task.queries += 1
        return web.json_response(self._view(task, query=True))

    async def _retrieve(self, request: web.Request) -> web.Response:
        self.retrieves += 1
        if not self._authorized(request):
            return _answer(code=1004, message=MESSAGES[1004])
        task = self._files.get(request.query.get("file_id", ""))
        if task is None or self._status(task) != "Success":
            return _answer(code=2013, message="invalid params, file not found")
        file = {
            "file_id": int(task.file_id),
            "bytes": 0,
            "created_at": task.created_unix,
            "filename": "output.mp4",
            "purpose": "video_generation",
            "download_url": f"{self.url}/files/{task.file_id}.mp4",
        }
        return _answer(file=file)

    async def _file(self, request: web.Request) -> web.Response:
        stem, _, ext = request.match_info["name"].rpartition(".")
        task = self._files.get(stem)
        if task is None or ext != "mp4" or self._status(task) != "Success":
            return web.Response(status=404, text="not found")
        if self._mp4 is None:
            self._mp4 = await asyncio.get_running_loop().run_in_executor(None, _mp4)
        return web.Response(body=self._mp4, content_type="video/mp4")

    # -- tasks ------------------------------------------------------------------------

    def _make(self, body: dict[str, Any]) -> _Task:
        task = _Task(
            task_id=str(secrets.randbelow(9 * 10**14) + 10**14),
            file_id=str(secrets.randbelow(9 * 10**14) + 10**14),
            body=body,
            created=time.monotonic(),
            created_unix=int(time.time()),
        )
        self._tasks[task.task_id] = task
        self._files[task.file_id] = task
        self.submissions += 1
        if self.counter_file is not None:
            with self.counter_file.open("a") as f:
                f.write(f"{task.task_id}\n")
                f.flush()
                os.fsync(f.fileno())
        callback = body.get("callback_url")
        if isinstance(callback, str) and callback:
            job = asyncio.get_running_loop().create_task(self._callbacks(task, callback))
            self._background.add(job)
            job.add_done_callback(self._background.discard)
        return task

    def _status(self, task: _Task) -> str:
        if "minimax:queue" in task.prompt and task.queries <= self.queue_polls:
            return "Queueing"
        elapsed = time.monotonic() - task.created
        if elapsed < self.complete_after * 0.1:
            return "Preparing"
        if elapsed < self.complete_after:
            return "Processing"
        failed = "minimax:fail" in task.prompt or "minimax:1027" in task.prompt
        return "Fail" if failed else "Success"

    def _view(self, task: _Task, *, query: bool) -> dict[str, Any]:
        status = self._status(task)
        view: dict[str, Any] = {"task_id": task.task_id, "status": status, "file_id": ""}
        base = {"status_code": 0, "status_msg": "success"}
        if status == "Success":
            view.update(file_id=task.file_id, video_width=64, video_height=64)
        elif status == "Fail" and "minimax:1027" in task.prompt:
            base = {"status_code": 1027, "status_msg": MESSAGES[1027]}
        elif status == "Fail":
            base = {"status_code": 1000, "status_msg": "video generation failed (minimax:fail)"}
        view["base_resp"] = base
        if not query:  # a callback: the documented lower-case statuses
            view["status"] = {"Success": "success", "Fail": "failed"}.get(status, "processing")
        return view

    async def _callbacks(self, task: _Task, url: str) -> None:
        assert self._session is not None
        challenge = secrets.token_hex(8)
        try:
            async with self._session.post(
                url,
                json={"challenge": challenge},
                timeout=aiohttp.ClientTimeout(total=_CHALLENGE_SECONDS),
            ) as resp:
                echoed = (await resp.json(content_type=None)) if resp.status == 200 else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            echoed = None
        task.callback_verified = isinstance(echoed, dict) and echoed.get("challenge") == challenge
        if not task.callback_verified:
            return
        await self._push(url, self._view(task, query=False))
        remaining = task.created + self.complete_after - time.monotonic()
        await asyncio.sleep(max(0.0, remaining) + 0.01)
        await self._push(url, self._view(task, query=False))

    async def _push(self, url: str, payload: dict[str, Any]) -> None:
        assert self._session is not None
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with self._session.post(
                url, json=payload, timeout=aiohttp.ClientTimeout(total=5)
            ):
                self.callbacks_sent.append(payload)


def _check(body: dict[str, Any]) -> str | None:
    """What MiniMax would refuse in a video_generation body (base_resp 2013), if anything."""
    model = body.get("model")
    if model not in MODELS:
        return f"model {model!r} is not supported"
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str) or len(prompt) > 2000:
        return "prompt must be a string of at most 2000 characters"
    image = body.get("first_frame_image")
    if image is not None and not isinstance(image, str):
        return "first_frame_image must be a URL or a data URL"
    if image is None and model == "MiniMax-Hailuo-2.3-Fast":
        return "first_frame_image is required"
    duration = body.get("duration", 6)
    if isinstance(duration, bool) or duration not in (6, 10) or not isinstance(duration, int):
        return f"duration must be the integer 6 or 10, not {duration!r}"
    resolution = body.get("resolution", "768P")
    if resolution not in RESOLUTIONS:
        return f"resolution {resolution!r} is not supported"
    if resolution == "1080P" and duration != 6:
        return "1080P supports a 6 s duration only"
    return None


def _mp4() -> bytes:
    """A real, tiny MP4: one second of colour at 64x64, made by imageio-ffmpeg's ffmpeg."""
    done = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=maroon:s=64x64:d=1:r=8",
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
    fake = FakeMiniMax(
        token=args.token,
        complete_after=args.complete_after,
        queue_polls=args.queue_polls,
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
        print(f"FAKE_MINIMAX_URL={fake.url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.minimax")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--counter-file", default=None)
    parser.add_argument("--complete-after", type=float, default=1.0)
    parser.add_argument("--queue-polls", type=int, default=2)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--fail-creates", type=int, default=None)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
