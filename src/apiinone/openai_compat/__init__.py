"""The OpenAI-compatible media surface under ``/v1`` (chat lives elsewhere).

- ``GET /v1/models``, ``GET /v1/models/{id}``: the catalog in OpenAI's list shape;
- ``POST /v1/images/generations``, ``POST /v1/images/edits``: OpenAI Images, synchronous
  (waits on the task engine);
- ``/v1/videos``: OpenAI Videos (create, list, retrieve, delete, content, remix);
- ``POST /v1/video/generations``, ``GET /v1/video/generations/{id}``: OneKeyModel (spec/003);
- ``POST /v1/audio/speech``: OpenAI speech, answered with the audio bytes.

Every route takes ``Authorization: Bearer`` and fails with the gateway's error JSON
``{"error": {"code", "message", "type", "param"}}``, which the OpenAI SDKs parse. Each
request becomes ordinary tasks of the native endpoints, priced, held and refunded the same.
Synchronous routes wait ``openai_wait_seconds`` (default 120 s): a failed task answers 502
``upstream_error``, one still running 503 ``service_unavailable`` with its task id to poll;
the same request sent again attaches to that task (``attach.py``), never a second charge.
"""

from __future__ import annotations

from fastapi import APIRouter

from apiinone.openai_compat import (
    image_edits,
    images,
    models,
    speech,
    video_generations,
    video_remix,
    videos,
)

__all__ = ["router"]

router = APIRouter()
for _module in (models, images, image_edits, videos, video_remix, video_generations, speech):
    router.include_router(_module.router)
