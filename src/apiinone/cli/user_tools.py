"""``apiinone tool ...``: background removal, face swap, upscaling (images and videos).

Inputs are URLs or local files (uploaded first).
"""

from __future__ import annotations

from typing import Annotated

import typer

from apiinone.cli.user_support import (
    JsonOption,
    NoWaitOption,
    OutputOption,
    ParamOption,
    TimeoutOption,
    client,
    handle_errors,
    input_url,
    parse_params,
    run_task,
)

__all__ = ["tool"]

tool = typer.Typer(help="AI tools on your images and videos.", no_args_is_help=True)
Source = Annotated[str, typer.Argument(help="A URL or a local file")]


@tool.command("remove-bg")
@handle_errors
def remove_bg(
    image: Source,
    output: OutputOption = None,
    param: ParamOption = None,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = None,
) -> None:
    """Remove an image's background (a PNG with transparency)."""
    with client() as api:
        task = api.tools.remove_bg(input_url(api, image), **parse_params(param))
        run_task(task, output=output, as_json=as_json, no_wait=no_wait, timeout=timeout)


@tool.command("face-swap")
@handle_errors
def face_swap(
    image: Source,
    face: Annotated[str, typer.Argument(help="The face to put in (a URL or a file)")],
    output: OutputOption = None,
    param: ParamOption = None,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = None,
) -> None:
    """Swap a face in an image."""
    with client() as api:
        task = api.tools.face_swap(
            input_url(api, image), input_url(api, face), **parse_params(param)
        )
        run_task(task, output=output, as_json=as_json, no_wait=no_wait, timeout=timeout)


@tool.command("upscale")
@handle_errors
def upscale(
    image: Source,
    scale: Annotated[int | None, typer.Option(help="2 or 4")] = None,
    output: OutputOption = None,
    param: ParamOption = None,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = None,
) -> None:
    """Upscale an image."""
    with client() as api:
        task = api.tools.upscale_image(input_url(api, image), scale=scale, **parse_params(param))
        run_task(task, output=output, as_json=as_json, no_wait=no_wait, timeout=timeout)


@tool.command("video-bg-remover")
@handle_errors
def video_bg_remover(
    video: Source,
    background: Annotated[
        str | None, typer.Option(help="An image to put behind (URL or file)")
    ] = None,
    output: OutputOption = None,
    param: ParamOption = None,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = None,
) -> None:
    """Remove or replace a video's background."""
    with client() as api:
        task = api.tools.video_bg_remover(
            input_url(api, video),
            background_image=input_url(api, background) if background else None,
            **parse_params(param),
        )
        run_task(task, output=output, as_json=as_json, no_wait=no_wait, timeout=timeout)


@tool.command("video-upscale")
@handle_errors
def video_upscale(
    video: Source,
    scale: Annotated[int | None, typer.Option(help="2 or 4")] = None,
    output: OutputOption = None,
    param: ParamOption = None,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = None,
) -> None:
    """Upscale a video."""
    with client() as api:
        task = api.tools.upscale_video(input_url(api, video), scale=scale, **parse_params(param))
        run_task(task, output=output, as_json=as_json, no_wait=no_wait, timeout=timeout)
