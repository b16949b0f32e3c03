"""The resellers' answers as outcomes (pure functions).

Every answer is the envelope ``{code, msg, data}``; ``code`` is the reseller's own status
and can say failure inside an HTTP 200. The ``data`` read here:

- music task details (``GET /api/v1/generate/record-info``): ``param`` (the request as a
  JSON string, whose ``model`` is kept on the clips for extend), ``status`` PENDING |
  TEXT_SUCCESS | FIRST_SUCCESS | SUCCESS | CREATE_TASK_FAILED | GENERATE_AUDIO_FAILED |
  CALLBACK_EXCEPTION | SENSITIVE_WORD_ERROR, ``errorMessage``, and
  ``response.sunoData[{id, audioUrl, streamAudioUrl, imageUrl, prompt, modelName, title,
  tags, createTime, duration}]`` (one quick-start page shows ``response.data`` with
  snake_case keys instead: both are read);
- cover details (``GET /api/v1/suno/cover/record-info``): ``successFlag`` (1 = done),
  ``response.images[url]``, ``errorCode``, ``errorMessage``; some copies of the docs list
  a ``status`` PENDING | SUCCESS | CREATE_TASK_FAILED | GENERATE_COVER_FAILED, read when
  present;
- timestamped lyrics (synchronous): ``alignedWords[{word, success, startS, endS,
  palign}]``, ``waveformData``, ``hootCer``, ``isStreamed``; times are in seconds.

Results take the shapes our Suno routes serve (as the sandbox makes them): ``{"clips":
[...]}`` with ``audio_url``/``image_url`` as ``"artifact:N"``, ``{"images": [...]}``,
``{"text", "lyricParams", "waveform"}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from apiinone.providers.base import Artifact, Failed, JobRequest, PollOutcome, Running, Succeeded
from apiinone.providers.http import HttpResponse, MalformedResponse

__all__ = ["Envelope", "read_clips", "read_cover", "read_envelope", "read_lyrics", "read_record"]

PROGRESS: Mapping[str, int] = {"PENDING": 10, "TEXT_SUCCESS": 40, "FIRST_SUCCESS": 70}
_MESSAGE_LIMIT = 500
_LABEL = re.compile(r"\[([^\]\n]*)\]")
_IMAGE_TYPES = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
_AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "m4a": "audio/mp4"}


@dataclass(frozen=True, slots=True)
class Envelope:
    code: int
    msg: str
    data: Any


def read_envelope(response: HttpResponse) -> Envelope:
    body = response.json()
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, int) or isinstance(code, bool):
        raise MalformedResponse(
            f"the Suno reseller answered HTTP {response.status} without a {{code, msg, data}} "
            "envelope"
        )
    msg = body.get("msg") or body.get("message")
    return Envelope(code=code, msg=msg if isinstance(msg, str) else "", data=body.get("data"))


def clip_text(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def _str(item: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = item.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _extension(url: str) -> str:
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def _items(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    response = data.get("response")
    if not isinstance(response, Mapping):
        return []
    items = response.get("sunoData")
    if not isinstance(items, list):
        items = response.get("data")
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _complete(items: list[Mapping[str, Any]]) -> bool:
    return bool(items) and all(_str(i, "id") and _str(i, "audioUrl", "audio_url") for i in items)


def read_clips(job: JobRequest, data: Mapping[str, Any], model: str | None) -> Succeeded:
    """Every clip's audio (MP3) and cover (JPEG) as artifacts, and the clips as our result,
    keeping the reseller's ids for extend, cover art and lyrics."""
    items = _items(data)
    if not _complete(items):
        raise MalformedResponse("the Suno reseller said SUCCESS without every clip's audio")
    response = data.get("response")
    task = _str(data, "taskId") or (
        _str(response, "taskId") if isinstance(response, Mapping) else None
    )
    artifacts: list[Artifact] = []
    clips: list[dict[str, Any]] = []
    for index, item in enumerate(items, start=1):
        audio = _str(item, "audioUrl", "audio_url") or ""
        ext = _extension(audio)
        artifacts.append(
            Artifact(
                content_type=_AUDIO_TYPES.get(ext, "audio/mpeg"),
                name=f"clip-{index}.{ext if ext in _AUDIO_TYPES else 'mp3'}",
                url=audio,
            )
        )
        clip: dict[str, Any] = {
            "id": f"{job.task_id}-{index}",
            "title": _str(item, "title") or "",
            "tags": _str(item, "tags") or "",
            "duration": item.get("duration"),
            "model_name": _str(item, "modelName", "model_name") or job.variant or job.model,
            "audio_url": f"artifact:{len(artifacts) - 1}",
            "image_url": None,
            "status": "complete",
            "upstream_id": _str(item, "id"),
            "upstream_task_id": task,
        }
        if model is not None:
            clip["upstream_model"] = model
        image = _str(item, "imageUrl", "image_url")
        if image is not None:
            ext = _extension(image)
            artifacts.append(
                Artifact(
                    content_type=_IMAGE_TYPES.get(ext, "image/jpeg"),
                    name=f"cover-{index}.{'jpg' if ext not in ('png', 'webp') else ext}",
                    url=image,
                )
            )
            clip["image_url"] = f"artifact:{len(artifacts) - 1}"
        clips.append(clip)
    return Succeeded(artifacts=artifacts, result={"clips": clips})


def _sent_model(data: Mapping[str, Any]) -> str | None:
    """The model the task was created with, from ``param`` (the request, as a JSON string):
    an extension must use its source's model."""
    param = data.get("param")
    if isinstance(param, str):
        try:
            param = orjson.loads(param)
        except orjson.JSONDecodeError:
            return None
    model = param.get("model") if isinstance(param, Mapping) else None
    return model if isinstance(model, str) and model else None


def read_record(job: JobRequest, data: Any, poll_after: float) -> PollOutcome:
    """A music task's details (generate, extend, upload-cover) as an outcome."""
    if not isinstance(data, Mapping) or not isinstance(data.get("status"), str):
        raise MalformedResponse("the Suno reseller's task details have no status")
    status: str = data["status"]
    model = _sent_model(data)
    if status == "SUCCESS":
        return read_clips(job, data, model)
    if status == "CALLBACK_EXCEPTION" and _complete(_items(data)):
        return read_clips(job, data, model)  # only the call to our callback URL failed
    if status.endswith(("_FAILED", "_ERROR", "_EXCEPTION")):
        detail = _str(data, "errorMessage") or status.replace("_", " ").lower()
        code = "upstream_content_refused" if status == "SENSITIVE_WORD_ERROR" else "upstream_failed"
        return Failed(message=clip_text(f"Suno: {detail} ({status})"), code=code)
    # PENDING, TEXT_SUCCESS, FIRST_SUCCESS, or a running state we do not know (GENERATING)
    return Running(progress=PROGRESS.get(status), poll_after=poll_after)


def read_cover(data: Any, poll_after: float) -> PollOutcome:
    if not isinstance(data, Mapping):
        raise MalformedResponse("the Suno reseller's cover details are not an object")
    status = data.get("status")
    flag = data.get("successFlag")
    done = status == "SUCCESS" if isinstance(status, str) else flag == 1
    if done:
        response = data.get("response")
        images = response.get("images") if isinstance(response, Mapping) else None
        urls = [u for u in images if isinstance(u, str) and u] if isinstance(images, list) else []
        if not urls:
            raise MalformedResponse("the Suno reseller said the cover is done without images")
        artifacts = []
        for index, url in enumerate(urls, start=1):
            ext = _extension(url)
            artifacts.append(
                Artifact(
                    content_type=_IMAGE_TYPES.get(ext, "image/png"),
                    name=f"cover-{index}.{ext if ext in _IMAGE_TYPES else 'png'}",
                    url=url,
                )
            )
        return Succeeded(
            artifacts=artifacts, result={"images": [f"artifact:{i}" for i in range(len(urls))]}
        )
    failed = (
        status.endswith("_FAILED")
        if isinstance(status, str)
        else isinstance(flag, int) and flag not in (0, 1)
    )
    if failed:
        detail = _str(data, "errorMessage") or "cover generation failed"
        return Failed(message=clip_text(f"Suno: {detail}"), code="upstream_failed")
    return Running(progress=30, poll_after=poll_after)


def read_lyrics(data: Any) -> dict[str, Any]:
    """``alignedWords`` as our ``lyricParams``: a ``[Section]`` label glued to a word
    becomes a ``segment_break`` before it."""
    if not isinstance(data, Mapping) or not isinstance(data.get("alignedWords"), list):
        raise MalformedResponse("the Suno reseller's lyrics have no alignedWords")
    params: list[dict[str, Any]] = []
    words: list[str] = []
    for entry in data["alignedWords"]:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("word"), str):
            continue
        raw: str = entry["word"]
        words.append(raw)
        for label in _LABEL.findall(raw):
            params.append(
                {
                    "text": f"[{label}]",
                    "metadata": {"style": label.strip().lower()},
                    "type": "segment_break",
                }
            )
        text = _LABEL.sub("", raw).strip()
        start, end = entry.get("startS"), entry.get("endS")
        if text and isinstance(start, int | float) and isinstance(end, int | float):
            params.append({"text": text, "start": start, "end": end, "type": "lyric"})
    joined = " ".join(words).replace(" \n", "\n").replace("\n ", "\n").strip()
    waveform = data.get("waveformData")
    return {
        "text": joined,
        "lyricParams": params,
        "waveform": [w for w in waveform if isinstance(w, int | float)]
        if isinstance(waveform, list)
        else [],
    }
