"""The reseller request body of each of our Suno endpoints (pure functions).

Earlier work is found through ``job.parent``: its ``result.clips`` are *our* clips (ids
``<task>-1``, ``<task>-2``), each carrying the reseller's ids that this adapter stored on
success (``upstream_id``: the audio id, ``upstream_task_id``, ``upstream_model``). A parent
without them (made by the sandbox, or by another adapter) cannot be continued here: that
is a :class:`SunoInputError`, which the provider turns into a failed task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apiinone.providers.base import JobRequest
from apiinone.providers.suno.options import SunoOptions

__all__ = [
    "SunoInputError",
    "cover_body",
    "extend_body",
    "generate_body",
    "lyrics_body",
    "upload_cover_body",
]


class SunoInputError(ValueError):
    """A request this channel cannot send: ``code`` says why."""

    def __init__(self, message: str, code: str = "invalid_reference") -> None:
        super().__init__(message)
        self.code = code


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) and value else None


def _put(body: dict[str, Any], name: str, value: Any) -> None:
    if value is not None:
        body[name] = value


def _model(job: JobRequest, options: SunoOptions, upstream_model: str) -> str:
    model = options.model_for(job.variant, upstream_model)
    if model is None:
        raise SunoInputError(
            f"no reseller model for variant {job.variant!r}: add it to the channel's "
            "options.models",
            code="not_configured",
        )
    return model


def _clips(job: JobRequest) -> list[Mapping[str, Any]]:
    result = (job.parent or {}).get("result")
    clips = result.get("clips") if isinstance(result, Mapping) else None
    return [c for c in clips if isinstance(c, Mapping)] if isinstance(clips, list) else []


def _upstream(clip: Mapping[str, Any], field: str, task: str) -> str:
    value = clip.get(field)
    if not isinstance(value, str) or not value:
        raise SunoInputError(
            f"task {task} was not made through a Suno reseller channel, so it has no "
            "reseller ids to continue from"
        )
    return value


def _title_of(lyrics: str | None) -> str:
    """A title for custom mode (the resellers require one): the lyrics' first sung line."""
    for line in (lyrics or "").splitlines():
        line = line.strip()
        if line and not (line.startswith("[") and line.endswith("]")):
            return line[:80]
    return "Untitled"


def generate_body(
    job: JobRequest, options: SunoOptions, upstream_model: str, callback: str
) -> dict[str, Any]:
    """Inspiration mode (``gpt_description_prompt``) unless lyrics or a style are given:
    then custom mode, with ``prompt`` as the lyrics (and a title made from them when none
    is given, as the resellers require one)."""
    p = job.params
    custom = _text(p, "prompt") is not None or _text(p, "style") is not None
    body: dict[str, Any] = {
        "customMode": custom,
        "instrumental": bool(p.get("make_instrumental", False)),
        "model": _model(job, options, upstream_model),
        "callBackUrl": callback,
    }
    if not custom:
        body["prompt"] = _text(p, "gpt_description_prompt") or ""
        _put(body, "negativeTags", _text(p, "tags"))
        return body
    _put(body, "prompt", _text(p, "prompt"))
    _put(body, "style", _text(p, "style"))
    body["title"] = _text(p, "title") or _title_of(_text(p, "prompt"))
    _put(body, "negativeTags", _text(p, "tags"))
    gender = _text(p, "gender")
    _put(body, "vocalGender", {"male": "m", "female": "f"}.get(gender or ""))
    _put(body, "styleWeight", p.get("style_weight"))
    _put(body, "weirdnessConstraint", p.get("weirdness_constraint"))
    _put(body, "audioWeight", p.get("audio_weight"))
    return body


def extend_body(
    job: JobRequest, options: SunoOptions, upstream_model: str, callback: str
) -> dict[str, Any]:
    """``defaultParamFlag`` false inherits the source's prompt, style and title; true sends
    ours, with the source's style and title when we have none (its request's, else its
    clip's), and ``continueAt`` from ``extensionStartTime`` (the source clip's end when
    absent). The model must be the source's, so the one recorded on its clip wins."""
    p = job.params
    origin = str(p.get("origin_task_id") or (job.parent or {}).get("task_id") or "")
    index = p.get("extend_audio_index", 0)
    clips = _clips(job)
    if not isinstance(index, int) or not 0 <= index < len(clips):
        raise SunoInputError(f"task {origin} has no clip {index} to extend")
    clip = clips[index]
    recorded = clip.get("upstream_model")
    model = recorded if isinstance(recorded, str) and recorded else None
    body: dict[str, Any] = {
        "audioId": _upstream(clip, "upstream_id", origin),
        "defaultParamFlag": bool(p.get("custom_mode", False)),
        "model": model or _model(job, options, upstream_model),
        "callBackUrl": callback,
    }
    start = p.get("extensionStartTime")
    if body["defaultParamFlag"]:
        parent_params = (job.parent or {}).get("params")
        inherited = parent_params if isinstance(parent_params, Mapping) else {}
        duration = clip.get("duration")
        if start is None and isinstance(duration, int | float) and duration > 0:
            start = int(duration)
        _put(body, "prompt", _text(p, "prompt"))
        style = _text(p, "style") or _text(inherited, "style") or _text(clip, "tags")
        title = _text(p, "title") or _text(inherited, "title") or _text(clip, "title")
        _put(body, "style", style)
        _put(body, "title", title)
        _put(body, "negativeTags", _text(p, "tags"))
    _put(body, "continueAt", start)
    return body


def upload_cover_body(
    job: JobRequest, options: SunoOptions, upstream_model: str, callback: str
) -> dict[str, Any]:
    """The reseller downloads the audio itself, so a gateway path (``/files/...``) is made
    absolute with the channel's ``public_base_url``."""
    audio = (job.parent or {}).get("audio_url")
    if not isinstance(audio, str) or not audio:
        raise SunoInputError(f"upload {job.params.get('audio_id')} is gone")
    if not audio.startswith(("https://", "http://")):
        if options.public_base_url is None:
            raise SunoInputError(
                "suno-upload-cover needs the channel option public_base_url: the reseller "
                "downloads the uploaded audio from this gateway",
                code="not_configured",
            )
        audio = options.public_base_url + "/" + audio.lstrip("/")
    p = job.params
    custom = bool(p.get("custom_mode", False))
    body: dict[str, Any] = {
        "uploadUrl": audio,
        "customMode": custom,
        "instrumental": False,
        "model": _model(job, options, upstream_model),
        "callBackUrl": callback,
    }
    if custom:
        _put(body, "prompt", _text(p, "prompt"))
        _put(body, "style", _text(p, "style"))
        body["title"] = _text(p, "title") or _title_of(_text(p, "prompt"))
    else:  # non-custom mode takes one description: ours, or the style or title given
        _put(body, "prompt", _text(p, "prompt") or _text(p, "style") or _text(p, "title"))
    return body


def cover_body(job: JobRequest, callback: str) -> dict[str, Any]:
    task = str(job.params.get("task_id") or "")
    clips = _clips(job)
    if not clips:
        raise SunoInputError(f"task {task} has no clips to draw a cover for")
    return {"taskId": _upstream(clips[0], "upstream_task_id", task), "callBackUrl": callback}


def lyrics_body(job: JobRequest) -> dict[str, Any]:
    task = str(job.params.get("task_id") or "")
    audio_id = job.params.get("audio_id")
    clip = next((c for c in _clips(job) if c.get("id") == audio_id), None)
    if clip is None:
        raise SunoInputError(f"task {task} has no clip {audio_id}")
    return {
        "taskId": _upstream(clip, "upstream_task_id", task),
        "audioId": _upstream(clip, "upstream_id", task),
    }
