"""The sandbox's work for each endpoint: fetch the inputs, make the outputs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from apiinone import media
from apiinone.providers.base import Artifact, Failed, JobRequest, ProviderContext, Succeeded
from apiinone.providers.sandbox import makers

__all__ = ["run_job"]

SONG_SECONDS = 30.0
INPUT_IMAGE_FIELDS = (
    "input_urls",
    "image",
    "images",
    "image_urls",
    "reference_images",
    "mask_image",
)

Handler = Callable[[JobRequest, ProviderContext, int], Awaitable[Succeeded | Failed]]


async def _fetch_all(
    ctx: ProviderContext, params: Mapping[str, Any], fields: tuple[str, ...]
) -> None:
    """Inputs are fetched for real (with the SSRF rules), as a provider would."""
    for name in fields:
        value = params.get(name)
        urls = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for url in urls:
            await ctx.fetch(url)


def _prompt(params: Mapping[str, Any]) -> str:
    for name in ("prompt", "gpt_description_prompt", "style", "title"):
        value = params.get(name)
        if isinstance(value, str) and value:
            return value
    return "sandbox"


async def _images(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    await _fetch_all(ctx, job.params, INPUT_IMAGE_FIELDS)
    artifacts = await asyncio.to_thread(makers.image_set, _prompt(job.params), job.params, seed)
    return Succeeded(artifacts=artifacts)


async def _video(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    await _fetch_all(ctx, job.params, ("image",))
    artifact = await asyncio.to_thread(makers.video, _prompt(job.params), job.params, seed)
    return Succeeded(artifacts=[artifact])


def _clips(job: JobRequest, seed: int, seconds: float, count: int) -> Succeeded:
    prompt = _prompt(job.params)
    title = str(job.params.get("title") or prompt[:40])
    artifacts: list[Artifact] = []
    clips = []
    for index in range(count):
        artifacts.append(makers.audio_clip(prompt, seed, seconds, index))
        cover = media.make_image(title, seed=seed + index, width=512, height=512, fmt="jpeg")
        artifacts.append(
            Artifact(content_type="image/jpeg", name=f"cover-{index + 1}.jpg", data=cover)
        )
        clips.append(
            {
                "id": f"{job.task_id}-{index + 1}",
                "title": title,
                "tags": job.params.get("style") or "",
                "duration": seconds,
                "model_name": job.variant or job.model,
                "audio_url": f"artifact:{2 * index}",
                "image_url": f"artifact:{2 * index + 1}",
                "status": "complete",
            }
        )
    return Succeeded(artifacts=artifacts, result={"clips": clips})


async def _music(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    count = 1 if job.model == "minimax-music" else 2
    return await asyncio.to_thread(_clips, job, seed, SONG_SECONDS, count)


async def _extend(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    base = SONG_SECONDS
    clips = (job.parent or {}).get("result", {}).get("clips") or []
    index = int(job.params.get("extend_audio_index", 0))
    if 0 <= index < len(clips):
        base = float(clips[index].get("duration", SONG_SECONDS))
    return await asyncio.to_thread(_clips, job, seed, base + 20.0, 2)


async def _upload_cover(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    audio_url = (job.parent or {}).get("audio_url")
    if isinstance(audio_url, str):
        await ctx.fetch(audio_url)
    return await asyncio.to_thread(_clips, job, seed, SONG_SECONDS, 2)


async def _cover_art(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    title = str((job.parent or {}).get("params", {}).get("title") or "cover")

    def make() -> list[Artifact]:
        return [
            Artifact(
                content_type="image/png",
                name=f"cover-{i + 1}.png",
                data=media.make_image(title, seed=seed + i, width=1024, height=1024, fmt="png"),
            )
            for i in range(2)
        ]

    artifacts = await asyncio.to_thread(make)
    return Succeeded(artifacts=artifacts, result={"images": ["artifact:0", "artifact:1"]})


async def _lyrics(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    parent_params = (job.parent or {}).get("params", {})
    text = str(
        parent_params.get("prompt") or parent_params.get("gpt_description_prompt") or "la la la"
    )
    words = text.split()[:200] or ["la"]
    params: list[dict[str, Any]] = [
        {"text": "[Verse]", "metadata": {"style": "verse"}, "type": "segment_break"}
    ]
    start = 1.0
    for word in words:
        length = 0.25 + 0.05 * len(word)
        params.append(
            {
                "text": word,
                "start": round(start, 2),
                "end": round(start + length, 2),
                "type": "lyric",
            }
        )
        start += length + 0.1
    waveform = [round(abs(((seed >> (i % 24)) & 0xFF) / 255.0), 3) for i in range(64)]
    return Succeeded(result={"text": " ".join(words), "lyricParams": params, "waveform": waveform})


async def _speech(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    dialogue = job.params.get("dialogue") or []
    artifact = await asyncio.to_thread(makers.speech, dialogue, seed)
    return Succeeded(artifacts=[artifact])


async def _remove_bg(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    data, _ = await ctx.fetch(str(job.params["image"]))
    out = await asyncio.to_thread(media.remove_background, data)
    return Succeeded(
        artifacts=[Artifact(content_type="image/png", name="no-background.png", data=out)]
    )


async def _face_swap(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    target, _ = await ctx.fetch(str(job.params["image"]))
    face, _ = await ctx.fetch(str(job.params["face_image"]))
    fmt = str(job.params.get("output_format") or "jpeg").lower()
    fmt = {"jpg": "jpeg"}.get(fmt, fmt)
    out = await asyncio.to_thread(
        media.face_swap, target, face, target_index=int(job.params.get("target_index", 0)), fmt=fmt
    )
    ext = {"jpeg": "jpg"}.get(fmt, fmt)
    return Succeeded(
        artifacts=[Artifact(content_type=f"image/{fmt}", name=f"face-swap.{ext}", data=out)]
    )


async def _image_upscale(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    data, _ = await ctx.fetch(str(job.params["image"]))
    out = await asyncio.to_thread(media.upscale_image, data, int(job.params.get("scale", 2)))
    fmt, _, _, _ = media.image_info(out)
    ext = {"jpeg": "jpg"}.get(fmt, fmt)
    return Succeeded(
        artifacts=[Artifact(content_type=f"image/{fmt}", name=f"upscaled.{ext}", data=out)]
    )


async def _video_bg(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    data, _ = await ctx.fetch(str(job.params["video"]))
    background = job.params.get("background_image")
    bg = (await ctx.fetch(str(background)))[0] if isinstance(background, str) else None
    out = await asyncio.to_thread(media.replace_video_background, data, bg)
    return Succeeded(artifacts=[Artifact(content_type="video/mp4", name="video.mp4", data=out)])


async def _video_upscale(job: JobRequest, ctx: ProviderContext, seed: int) -> Succeeded:
    data, _ = await ctx.fetch(str(job.params["video"]))
    out = await asyncio.to_thread(media.upscale_video, data, int(job.params.get("scale", 2)))
    return Succeeded(artifacts=[Artifact(content_type="video/mp4", name="upscaled.mp4", data=out)])


HANDLERS: dict[str, Handler] = {
    "/api/v1/images/generations": _images,
    "/api/v1/videos/generations": _video,
    "/api/v1/audio/music": _music,
    "/api/v1/audio/music/extend": _extend,
    "/api/v1/audio/music/cover/generate": _cover_art,
    "/api/v1/audio/music/upload-cover/generate": _upload_cover,
    "/api/v1/audio/music/timestamped-lyrics": _lyrics,
    "/api/v1/audio/speech": _speech,
    "/api/v1/images/tools/remove-bg": _remove_bg,
    "/api/v1/images/tools/face-swap": _face_swap,
    "/api/v1/images/tools/upscale": _image_upscale,
    "/api/v1/videos/tools/bg-remover": _video_bg,
    "/api/v1/videos/tools/upscale": _video_upscale,
}


async def run_job(job: JobRequest, ctx: ProviderContext) -> Succeeded | Failed:
    handler = HANDLERS.get(job.endpoint)
    if handler is None:
        return Failed(f"the sandbox has no handler for {job.endpoint}", code="unsupported")
    return await handler(job, ctx, makers.seed_of(job.params))
