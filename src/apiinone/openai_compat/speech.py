"""``POST /v1/audio/speech``: OpenAI speech, answered with the audio bytes.

``{model, input, voice}`` runs the catalog speech model as a one-line dialogue
(``dialogue: [{"text": input, "voice": voice}]``) on the task engine, waits, and returns
the stored audio (``audio/mpeg``), with ``X-Credits-Consumed`` and ``X-Task-Id``. ``voice``
is a voice name or ``{"id": ...}``. A retry of the same request attaches to its task.

Decisions:

* OpenAI's own model names (``tts-1``, ``tts-1-hd``, ``gpt-4o-mini-tts``) are refused with a
  400 that names the speech models served here (``elevenlabs-v3``) rather than silently
  swapped: the voices, languages and price differ, so the caller should choose.
* The speech models produce MP3: ``response_format`` other than ``mp3`` is a 400, as are
  ``speed`` other than 1 and ``stream_format: "sse"``. ``instructions`` has no counterpart
  and is ignored (ElevenLabs v3 takes audio tags such as ``[whispers]`` inside the text).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.shapes.openai import openai_body
from apiinone.catalog import ModelSpec
from apiinone.errors import InvalidRequest, UpstreamError
from apiinone.openai_compat.bodies import SpeechCreate, parse_body
from apiinone.openai_compat.config import wait_seconds
from apiinone.openai_compat.jobs import run_tasks
from apiinone.openai_compat.resolve import resolve_model
from apiinone.openai_compat.results import read_result, result_paths

__all__ = ["SPEECH_ENDPOINT", "router", "speech_body"]

router = APIRouter(prefix="/v1/audio", tags=["openai"])

SPEECH_ENDPOINT = "/api/v1/audio/speech"
OPENAI_PATH = "/v1/audio/speech"
FORMATS = {"mp3": "audio/mpeg"}


def speech_body(model: ModelSpec, name: str, req: SpeechCreate) -> dict[str, Any]:
    """The native request body for an OpenAI speech request."""
    if req.response_format not in FORMATS:
        raise InvalidRequest(
            f"response_format '{req.response_format}' is not available; "
            f"the speech models here produce: {', '.join(FORMATS)}",
            param="response_format",
        )
    if req.speed != 1.0:
        raise InvalidRequest("Only speed 1.0 is supported", param="speed")
    if req.stream_format != "audio":
        raise InvalidRequest("Only stream_format 'audio' is supported", param="stream_format")
    if "dialogue" not in model.params:
        raise InvalidRequest(f"Model '{name}' cannot be used for speech here", param="model")
    return {"model": name, "dialogue": [{"text": req.input, "voice": req.voice_name}]}


@router.post(
    "/speech",
    summary="Create speech (OpenAI speech, returns audio bytes)",
    response_class=Response,
    responses={
        200: {
            "content": {"audio/mpeg": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The audio.",
        }
    },
    openapi_extra=openai_body("CreateSpeechRequest"),
)
async def create_speech(
    body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep
) -> Response:
    req = parse_body(SpeechCreate, body)
    resolved = resolve_model(
        gateway.catalog, principal, req.model, "speech", endpoint=SPEECH_ENDPOINT
    )
    native = speech_body(resolved.model, req.model, req)
    answer = await run_tasks(
        gateway,
        principal,
        OPENAI_PATH,
        body,
        SPEECH_ENDPOINT,
        [native],
        wait_seconds(gateway.settings),
    )
    row = answer.rows[0]
    paths = result_paths(row)
    if not paths:
        raise UpstreamError(f"The speech task {row.id} produced no audio")
    stored, data = await read_result(gateway, paths[0])
    return Response(
        content=data,
        media_type=stored.content_type or FORMATS["mp3"],
        headers=answer.headers(),
    )
