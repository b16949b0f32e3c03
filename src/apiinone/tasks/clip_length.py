"""Suno's upload-cover takes audio of 6 to 60 seconds (its docs); an upload outside that is
refused at submission, before any hold, with a 400 naming ``audio_id``.

The upload is read from the store and measured (WAV directly, other formats by ffmpeg) in a
thread. An ``audio_id`` that names no upload of the caller is left to
``references.check_references``, which answers 404."""

from __future__ import annotations

import asyncio

from apiinone.auth.principal import Principal
from apiinone.errors import InvalidRequest
from apiinone.media import MediaError, audio_info
from apiinone.runtime import Runtime
from apiinone.storage.files import get_file

__all__ = ["MAX_SECONDS", "MIN_SECONDS", "check_clip_length"]

MIN_SECONDS = 6.0
MAX_SECONDS = 60.0


async def check_clip_length(gateway: Runtime, principal: Principal, audio_id: object) -> None:
    """Raise :class:`InvalidRequest` unless the upload ``audio_id`` lasts 6 to 60 seconds."""
    if not isinstance(audio_id, str):
        return
    stored = await get_file(gateway.db, audio_id)
    if stored is None or stored.account_id != principal.account_id or stored.purpose != "upload":
        return
    data = await gateway.store.get(stored.storage_key)
    try:
        info = await asyncio.to_thread(audio_info, data)
    except MediaError as exc:
        raise InvalidRequest(
            f"Upload {audio_id} is not audio whose length can be read", param="audio_id"
        ) from exc
    seconds = info.duration_seconds
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise InvalidRequest(
            f"The audio of upload {audio_id} lasts {seconds:.1f} s; upload-cover takes "
            f"{MIN_SECONDS:g} to {MAX_SECONDS:g} s",
            param="audio_id",
        )
