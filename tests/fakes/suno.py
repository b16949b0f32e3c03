"""A fake Suno reseller (the sunoapi.org / kie.ai wire format) on loopback.

Every answer is the envelope ``{"code", "msg", "data"}``; failures come as HTTP 200 with
``code != 200`` (400 bad parameters, 430 call frequency too high ...), except a missing
or wrong key (HTTP 401, code 401) and ``suno:500``. Routes (``Authorization: Bearer``):

- ``POST /api/v1/generate`` ``{customMode, instrumental, model, callBackUrl, prompt?,
  style?, title?, negativeTags?, ...}``, checked as the docs say (custom mode needs style
  and title, and the lyrics unless instrumental; non-custom mode a prompt of at most 500
  characters) → ``data{taskId}``;
- ``POST /api/v1/generate/extend`` ``{audioId, defaultParamFlag, model, callBackUrl,
  continueAt?, prompt?, style?, title?}`` (audioId: a clip this fake made);
- ``POST /api/v1/generate/upload-cover`` ``{uploadUrl, customMode, instrumental, model,
  callBackUrl, ...}``: the fake downloads ``uploadUrl`` and refuses it (code 400) unless it
  gets audio back;
- ``GET /api/v1/generate/record-info?taskId=``: PENDING, TEXT_SUCCESS, FIRST_SUCCESS, then
  SUCCESS on the 4th poll (``polls_to_finish``), with ``response.sunoData`` of 2 clips
  whose ``audioUrl`` (a real MP3 of a few seconds) and ``imageUrl`` (a JPEG) it serves;
- ``POST /api/v1/suno/cover/generate`` ``{taskId, callBackUrl}`` (once per song: again
  answers code 400 with the existing taskId); ``GET /api/v1/suno/cover/record-info``:
  ``successFlag`` 0, then 1 with ``response.images`` (2 PNGs);
- ``POST /api/v1/generate/get-timestamped-lyrics`` ``{taskId, audioId}`` → at once,
  ``data{alignedWords[{word, success, startS, endS, palign}], waveformData, hootCer,
  isStreamed}``;
- ``GET /files/{name}`` (no key), ``GET /health``.

Magic text in any string of a submission (``prompt``, ``style``, ``title``): ``suno:sensitive``
(the task ends SENSITIVE_WORD_ERROR), ``suno:fail`` (GENERATE_AUDIO_FAILED), ``suno:430``
(the first submission answers HTTP 200 with code 430; later ones work), ``suno:500`` (HTTP
500), ``suno:malformed`` (HTTP 200 with a body that is not JSON; the task is still made),
``suno:reset`` (the connection is dropped), ``suno:stall`` (the submission hangs 30 s).

In process::

    async with FakeSuno(token="sk-x") as fake:
        fake.url, fake.tasks, fake.submissions, fake.requests

As a process (one line per task made appended to the counter file, fsynced)::

    python -m tests.fakes.suno --port P --counter-file PATH [--token T] [--polls N]

It prints ``FAKE_SUNO_URL=http://127.0.0.1:P`` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import io
import math
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import imageio_ffmpeg
import numpy as np
import orjson
from aiohttp import web
from PIL import Image

from tests.fakes.schemas import subject, summary, violations

__all__ = ["CLIP_SECONDS", "DEFAULT_TOKEN", "FakeSuno", "mp3_bytes"]

DEFAULT_TOKEN = "sk-fake-suno-reseller-key-0000000000"
CLIP_SECONDS = 3.0
MODELS = {
    "V4": "chirp-v4",
    "V4_5": "chirp-auk",
    "V4_5PLUS": "chirp-bluejay",
    "V4_5ALL": "chirp-auk-turbo",
    "V5": "chirp-crow",
    "V5_5": "chirp-fenix",
}
_STALL_SECONDS = 30.0
_DEFAULT_LYRICS = "[Verse]\nNeon rivers under a quiet moon\n[Chorus]\nSing it back to me"


@functools.lru_cache(maxsize=4)
def mp3_bytes(index: int, seconds: float = CLIP_SECONDS) -> bytes:
    """A real MP3: a tone (a different one per clip) encoded by ffmpeg; cached on disk."""
    cache = Path(tempfile.gettempdir()) / f"apiinone-fake-suno-{index}-{seconds:g}s.mp3"
    if cache.exists() and cache.stat().st_size > 0:
        return cache.read_bytes()
    rate = 22050
    t = np.arange(int(rate * seconds)) / rate
    tone = 0.3 * np.sin(2 * np.pi * (330.0 + 110.0 * index) * t)
    pcm = (tone * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    done = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "wav",
            "-i",
            "pipe:0",
            "-codec:a",
            "libmp3lame",
            "-b:a",
            "64k",
            "-f",
            "mp3",
            "pipe:1",
        ],
        input=buffer.getvalue(),
        capture_output=True,
        check=True,
        timeout=30,
    )
    partial = cache.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(done.stdout)
    partial.replace(cache)
    return done.stdout


def _image(seed: str, fmt: str) -> bytes:
    digest = hashlib.sha256(seed.encode()).digest()
    out = io.BytesIO()
    Image.new("RGB", (96, 96), (digest[0], digest[1], digest[2])).save(out, format=fmt)
    return out.getvalue()


def _magic(body: dict[str, Any]) -> str:
    return " ".join(v for v in body.values() if isinstance(v, str))


def _envelope(code: int, msg: str, data: Any = None, status: int = 200) -> web.Response:
    body = orjson.dumps({"code": code, "msg": msg, "data": data})
    return web.Response(status=status, body=body, content_type="application/json")


@dataclass
class _Task:
    id: str
    kind: str  # GENERATE | EXTEND | UPLOAD_COVER | COVER
    body: dict[str, Any]
    magic: str
    created_ms: int
    parent: str = ""  # extend: the source audio id; cover: the music task id
    polls: int = 0
    clip_ids: list[str] = field(default_factory=list)
    cover: str | None = None  # the cover task made for this music task


class FakeSuno:
    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        polls_to_finish: int = 4,
        counter_file: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.polls_to_finish = max(1, polls_to_finish)
        self.counter_file = counter_file
        self.tasks: dict[str, _Task] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []  # (path, body) of each POST
        self.submissions = 0  # tasks made
        self.url = ""
        self._host, self._port = host, port
        self._clips: dict[str, tuple[str, int]] = {}  # audio id -> (task id, index)
        self._throttled: set[str] = set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> FakeSuno:
        await asyncio.to_thread(mp3_bytes, 0)
        await asyncio.to_thread(mp3_bytes, 1)
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_post("/api/v1/generate", self._generate)
        app.router.add_post("/api/v1/generate/extend", self._extend)
        app.router.add_post("/api/v1/generate/upload-cover", self._upload_cover)
        app.router.add_get("/api/v1/generate/record-info", self._record)
        app.router.add_post("/api/v1/suno/cover/generate", self._cover)
        app.router.add_get("/api/v1/suno/cover/record-info", self._cover_record)
        app.router.add_post("/api/v1/generate/get-timestamped-lyrics", self._lyrics)
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
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> FakeSuno:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- the front door ---------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        return scheme == "Bearer" and secrets.compare_digest(value, self.token)

    async def _read(self, request: web.Request) -> dict[str, Any] | web.StreamResponse:
        """The body of a submission, or the answer that ends it (auth, JSON, knobs)."""
        if not self._authorized(request):
            return _envelope(401, "You do not have access permissions", status=401)
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _envelope(400, "The request body is not valid JSON")
        if not isinstance(body, dict):
            return _envelope(400, "The request body must be an object")
        self.requests.append((request.path, body))
        problems = violations("suno", *subject("suno", request.path, body))
        if problems:  # the resellers answer 200 with the code and message in the envelope
            return _envelope(400, summary(problems))
        magic = _magic(body)
        if "suno:430" in magic and magic not in self._throttled:
            self._throttled.add(magic)
            return _envelope(430, "Your call frequency is too high. Please try again later.")
        if "suno:500" in magic:
            return _envelope(500, "Server error", status=500)
        if "suno:reset" in magic:
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if "suno:stall" in magic:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), _STALL_SECONDS)
            return _envelope(500, "Server error", status=500)
        return body

    def _made(self, task: _Task) -> web.Response:
        self.tasks[task.id] = task
        self.submissions += 1
        if self.counter_file is not None:
            with self.counter_file.open("a") as f:
                f.write(f"{task.id}\n")
                f.flush()
                os.fsync(f.fileno())
        if "suno:malformed" in task.magic:
            return web.Response(body=b"<html>bad gateway</html>", content_type="application/json")
        return _envelope(200, "success", {"taskId": task.id})

    def _new(self, kind: str, body: dict[str, Any], parent: str = "") -> _Task:
        return _Task(
            id=secrets.token_hex(16),
            kind=kind,
            body=body,
            magic=_magic(body),
            created_ms=int(time.time() * 1000),
            parent=parent,
        )

    @staticmethod
    def _check_common(body: dict[str, Any]) -> str | None:
        if not isinstance(body.get("callBackUrl"), str) or not body["callBackUrl"]:
            return "callBackUrl is required"
        if body.get("model") not in MODELS:
            return f"model must be one of {sorted(MODELS)}"
        return None

    @staticmethod
    def _check_modes(body: dict[str, Any]) -> str | None:
        if not isinstance(body.get("customMode"), bool):
            return "customMode is required"
        if not isinstance(body.get("instrumental"), bool):
            return "instrumental is required"
        prompt = body.get("prompt")
        if body["customMode"]:
            if not body.get("style") or not body.get("title"):
                return "style and title are required in custom mode"
            if not body["instrumental"] and not prompt:
                return "prompt is required in custom mode unless instrumental"
        elif not isinstance(prompt, str) or not prompt or len(prompt) > 500:
            return "prompt is required in non-custom mode (at most 500 characters)"
        return None

    # -- submissions ------------------------------------------------------------------

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        body = await self._read(request)
        if not isinstance(body, dict):
            return body
        error = self._check_common(body) or self._check_modes(body)
        if error:
            return _envelope(400, error)
        return self._made(self._new("GENERATE", body))

    async def _extend(self, request: web.Request) -> web.StreamResponse:
        body = await self._read(request)
        if not isinstance(body, dict):
            return body
        error = self._check_common(body)
        audio = body.get("audioId")
        if error is None and (not isinstance(audio, str) or audio not in self._clips):
            error = "audioId does not exist"
        if error is None and not isinstance(body.get("defaultParamFlag"), bool):
            error = "defaultParamFlag is required"
        if error is None and body["defaultParamFlag"]:
            missing = [k for k in ("prompt", "style", "title", "continueAt") if k not in body]
            error = (
                f"{', '.join(missing)} required when defaultParamFlag is true" if missing else None
            )
        if error:
            return _envelope(400, error)
        source = self.tasks[self._clips[str(audio)][0]]
        if source.body.get("model") != body.get("model"):
            return _envelope(400, "model must be the source music's model")
        return self._made(self._new("EXTEND", body, parent=str(audio)))

    async def _upload_cover(self, request: web.Request) -> web.StreamResponse:
        body = await self._read(request)
        if not isinstance(body, dict):
            return body
        error = self._check_common(body) or self._check_modes(body)
        url = body.get("uploadUrl")
        if error is None and not isinstance(url, str):
            error = "uploadUrl is required"
        if error:
            return _envelope(400, error)
        assert self._session is not None
        try:
            async with self._session.get(str(url), timeout=aiohttp.ClientTimeout(total=10)) as resp:
                data = await resp.read()
                ok = resp.status == 200 and (data[:3] == b"ID3" or data[:1] == b"\xff")
        except (aiohttp.ClientError, TimeoutError, ValueError):
            ok = False
        if not ok:
            return _envelope(400, "File fetch failed")
        return self._made(self._new("UPLOAD_COVER", body))

    async def _cover(self, request: web.Request) -> web.StreamResponse:
        body = await self._read(request)
        if not isinstance(body, dict):
            return body
        source = self.tasks.get(str(body.get("taskId")))
        if not body.get("callBackUrl"):
            return _envelope(400, "callBackUrl is required")
        if source is None or source.kind == "COVER":
            return _envelope(404, "The music task does not exist")
        if source.cover is not None:
            return _envelope(400, "Cover already generated for this task", {"taskId": source.cover})
        task = self._new("COVER", body, parent=source.id)
        source.cover = task.id
        return self._made(task)

    async def _lyrics(self, request: web.Request) -> web.StreamResponse:
        body = await self._read(request)
        if not isinstance(body, dict):
            return body
        task = self.tasks.get(str(body.get("taskId")))
        audio = body.get("audioId")
        if task is None or audio not in task.clip_ids:
            return _envelope(404, "No lyrics for this taskId and audioId")
        words: list[dict[str, Any]] = []
        start = 1.0
        pending = ""
        for token in self._lyrics_of(task).replace("\n", " \n ").split(" "):
            if token == "\n" or not token:
                continue
            if token.startswith("["):
                pending += token + "\n"
                continue
            words.append(
                {
                    "word": pending + token,
                    "success": True,
                    "startS": round(start, 2),
                    "endS": round(start + 0.4, 2),
                    "palign": 0,
                }
            )
            pending = ""
            start += 0.5
        waveform = [round(abs(math.sin(i / 5.0)), 3) for i in range(48)]
        return _envelope(
            200,
            "success",
            {"alignedWords": words, "waveformData": waveform, "hootCer": 0.12, "isStreamed": False},
        )

    # -- polls ------------------------------------------------------------------------

    def _status(self, task: _Task) -> str:
        n = task.polls
        if "suno:sensitive" in task.magic:
            return "PENDING" if n < 2 else "SENSITIVE_WORD_ERROR"
        if "suno:fail" in task.magic and n >= min(3, self.polls_to_finish):
            return "GENERATE_AUDIO_FAILED"
        if n >= self.polls_to_finish:
            return "SUCCESS"
        return ["PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS"][min(n - 1, 2)]

    def _lyrics_of(self, task: _Task) -> str:
        if task.body.get("instrumental"):
            return ""
        prompt = task.body.get("prompt")
        custom = task.body.get("customMode") or task.body.get("defaultParamFlag")
        return prompt if custom and isinstance(prompt, str) else _DEFAULT_LYRICS

    def _clip_view(self, task: _Task, index: int, status: str) -> dict[str, Any]:
        if len(task.clip_ids) <= index:
            task.clip_ids.append(f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-clip{index}")
            self._clips[task.clip_ids[index]] = (task.id, index)
        audio_id = task.clip_ids[index]
        ready = status == "SUCCESS" or (status == "FIRST_SUCCESS" and index == 0)
        model = str(task.body.get("model"))
        return {
            "id": audio_id,
            "audioUrl": f"{self.url}/files/{task.id}-{index}.mp3" if ready else "",
            "sourceAudioUrl": f"{self.url}/files/{task.id}-{index}.mp3" if ready else "",
            "streamAudioUrl": f"{self.url}/stream/{audio_id}" if status != "TEXT_SUCCESS" else "",
            "imageUrl": f"{self.url}/files/{task.id}-{index}.jpeg",
            "prompt": self._lyrics_of(task),
            "modelName": MODELS.get(model, model),
            "title": str(task.body.get("title") or "Neon Rivers"),
            "tags": str(task.body.get("style") or "synthwave, dreamy"),
            "createTime": task.created_ms,
            "duration": CLIP_SECONDS if ready else None,
        }

    async def _record(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _envelope(401, "You do not have access permissions", status=401)
        task = self.tasks.get(request.query.get("taskId", ""))
        if task is None or task.kind == "COVER":
            return _envelope(404, "Task not found")
        task.polls += 1
        status = self._status(task)
        failed = status.endswith(("_FAILED", "_ERROR"))
        clips = None
        if status != "PENDING" and not failed:
            clips = {
                "taskId": task.id,
                "sunoData": [self._clip_view(task, i, status) for i in range(2)],
            }
        message = {
            "SENSITIVE_WORD_ERROR": "The prompt contains a sensitive word",
            "GENERATE_AUDIO_FAILED": "Audio generation failed (forced by suno:fail)",
        }.get(status)
        data = {
            "taskId": task.id,
            "parentMusicId": task.parent,
            "param": orjson.dumps(task.body).decode(),
            "response": clips,
            "status": status,
            "type": task.kind,
            "operationType": task.kind.lower(),
            "errorCode": 400 if failed else None,
            "errorMessage": message,
            "createTime": task.created_ms,
        }
        return _envelope(200, "success", data)

    async def _cover_record(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _envelope(401, "You do not have access permissions", status=401)
        task = self.tasks.get(request.query.get("taskId", ""))
        if task is None or task.kind != "COVER":
            return _envelope(404, "Task not found")
        task.polls += 1
        done = task.polls >= 2
        images = [f"{self.url}/files/cover-{task.id}-{i}.png" for i in range(2)]
        data = {
            "taskId": task.id,
            "parentTaskId": task.parent,
            "callbackUrl": task.body.get("callBackUrl"),
            "completeTime": task.created_ms + 2000 if done else None,
            "response": {"images": images} if done else None,
            "successFlag": 1 if done else 0,
            "createTime": task.created_ms,
            "errorCode": 200 if done else None,
            "errorMessage": "",
        }
        return _envelope(200, "success", data)

    # -- files ------------------------------------------------------------------------

    @staticmethod
    async def _health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        stem, _, ext = name.rpartition(".")
        task_id, _, index = stem.removeprefix("cover-").rpartition("-")
        if task_id not in self.tasks or index not in ("0", "1"):
            return web.Response(status=404, text="not found")
        if ext == "mp3":
            data = await asyncio.to_thread(mp3_bytes, int(index))
            return web.Response(body=data, content_type="audio/mpeg")
        if ext in ("jpeg", "png"):
            fmt = "JPEG" if ext == "jpeg" else "PNG"
            return web.Response(body=_image(stem, fmt), content_type=f"image/{ext}")
        return web.Response(status=404, text="not found")


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeSuno(
        token=args.token,
        polls_to_finish=args.polls,
        counter_file=Path(args.counter_file) if args.counter_file else None,
        host=args.host,
        port=args.port,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with fake:
        print(f"FAKE_SUNO_URL={fake.url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.suno")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--counter-file", default=None)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--polls", type=int, default=4, help="polls until SUCCESS")
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
