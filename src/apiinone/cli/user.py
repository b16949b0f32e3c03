"""Commands for API users: log in, generate, follow tasks, chat, check the balance and prices.

They talk to a gateway over HTTP with :class:`apiinone.Client` (the operator commands beside
them work on the database directly). The key and address come from ``apiinone login``, or
from ``APIINONE_API_KEY`` / ``APIINONE_BASE_URL``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from apiinone.cli import user_chat, user_tasks, user_tools
from apiinone.cli.user_support import (
    AllOption,
    JsonOption,
    NoWaitOption,
    OutputOption,
    ParamOption,
    TimeoutOption,
    client,
    fail,
    handle_errors,
    out,
    parse_params,
    plural,
    print_json,
    run_task,
)

__all__ = ["register"]

ModelOption = Annotated[str, typer.Option("--model", "-m", help="Model slug or alias")]
Prompt = Annotated[str, typer.Argument(help="What to make")]


def register(app: typer.Typer) -> None:
    """Add the user commands to the ``apiinone`` app."""
    for command in (login, logout, balance, models, quote, image, video, music, speech, upload):
        app.command(command.__name__)(command)
    app.command("chat")(user_chat.chat)
    app.add_typer(user_tasks.tasks, name="tasks")
    app.add_typer(user_tools.tool, name="tool")


@handle_errors
def login(
    base_url: Annotated[
        str, typer.Option("--base-url", prompt="Gateway URL", help="e.g. http://127.0.0.1:8000")
    ],
    key: Annotated[
        str, typer.Option("--key", prompt="API key", hide_input=True, help="Your aio_ key")
    ],
) -> None:
    """Check a key against a gateway and store both for the other commands (mode 0600)."""
    from apiinone.client import Client
    from apiinone.client.config import normalize_base_url, save_config

    url = normalize_base_url(base_url)
    with Client(api_key=key, base_url=url) as api:
        account = api.account.get()
    path = save_config(url, key)
    out.print(
        f"logged in to {url} as {account['email']} "
        f"({account['mode']} key, balance {account['balance']}); saved in {path}",
        markup=False,
    )


@handle_errors
def logout() -> None:
    """Forget the stored key."""
    from apiinone.client.config import config_path

    path = config_path()
    path.unlink(missing_ok=True)
    out.print(f"removed {path}", markup=False)


@handle_errors
def balance(as_json: JsonOption = False) -> None:
    """Credits you can spend, and credits held by running tasks."""
    with client() as api:
        account = api.account.get()
    if as_json:
        print_json(
            {
                "account_id": account["account_id"],
                "email": account["email"],
                "mode": account["mode"],
                "balance": account["balance"],
                "held": account["held"],
            }
        )
        return
    out.print(
        f"{account['balance']} credits ({account['held']} held) — "
        f"{account['email']}, {account['mode']} key",
        markup=False,
    )


@handle_errors
def models(
    kind: Annotated[
        str | None, typer.Option(help="chat, image, video, music, speech or tool")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Every model you may use, with its price."""
    with client() as api:
        items = api.models.list(kind=kind)
    if as_json:
        print_json(items)
        return
    table = Table("model", "kind", "name", "price")
    table.columns[0].no_wrap = True
    for model in items:
        table.add_row(model["slug"], model["kind"], model["display_name"], model["price_summary"])
    out.print(table)


def _prompt_fields(kind: str, slug: str, prompt: str | None) -> dict[str, Any]:
    """Where a prompt goes for each kind of model."""
    if prompt is None:
        return {}
    if kind == "music" and slug.startswith(("suno", "chirp")):
        return {"gpt_description_prompt": prompt}
    if kind == "speech":
        return {"dialogue": [{"text": prompt}]}
    if kind == "chat":
        return {"messages": [{"role": "user", "content": prompt}]}
    return {"prompt": prompt}


@handle_errors
def quote(
    prompt: Annotated[str | None, typer.Argument(help="The prompt, if the model takes one")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model to price")] = None,
    param: ParamOption = None,
    path: Annotated[
        str | None, typer.Option(help="Endpoint to price (default: the model's)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What a request would cost, with nothing run or charged."""
    body: dict[str, Any] = parse_params(param)
    with client() as api:
        if model is not None:
            info = api.models.get(model)
            endpoint = path or info["endpoint"]
            body = {"model": model, **_prompt_fields(info["kind"], info["slug"], prompt), **body}
        elif path is not None:
            endpoint = path
            body = {"prompt": prompt, **body} if prompt is not None else body
        else:
            raise fail("usage_error", "give --model (and --param key=value), or --path")
        result = api.quotes.create(endpoint, body)
    if as_json:
        print_json(result)
        return
    note = " at most (billed by tokens)" if result["pricing"] == "tokens" else ""
    out.print(f"{result['model']}: {plural(result['credits'], 'credit')}{note}", markup=False)


@handle_errors
def image(
    prompt: Prompt,
    model: ModelOption = "flux-2",
    output: OutputOption = None,
    param: ParamOption = None,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = None,
    save_all: AllOption = False,
) -> None:
    """Generate an image and save it."""
    with client() as api:
        task = api.images.generate(model=model, prompt=prompt, **parse_params(param))
        run_task(
            task,
            output=output,
            as_json=as_json,
            no_wait=no_wait,
            timeout=timeout,
            save_all=save_all,
        )


@handle_errors
def video(
    prompt: Prompt,
    model: ModelOption = "seedance-1-5-pro",
    output: OutputOption = None,
    param: ParamOption = None,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = None,
) -> None:
    """Generate a video (MP4) and save it."""
    with client() as api:
        task = api.videos.generate(model=model, prompt=prompt, **parse_params(param))
        run_task(task, output=output, as_json=as_json, no_wait=no_wait, timeout=timeout)


@handle_errors
def music(
    prompt: Annotated[str, typer.Argument(help="What the song is about / sounds like")],
    model: ModelOption = "suno",
    lyrics: Annotated[str | None, typer.Option(help="Lyrics (MiniMax Music)")] = None,
    output: OutputOption = None,
    param: ParamOption = None,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = None,
    save_all: AllOption = False,
) -> None:
    """Generate music (Suno makes two clips, each with cover art; the first is saved)."""
    params = parse_params(param)
    with client() as api:
        if model.startswith(("suno", "chirp")):
            task = api.music.generate(model=model, gpt_description_prompt=prompt, **params)
        else:
            params.setdefault("lyrics", lyrics)
            task = api.music.generate(model=model, prompt=prompt, **params)
        run_task(
            task,
            output=output,
            as_json=as_json,
            no_wait=no_wait,
            timeout=timeout,
            save_all=save_all,
        )


@handle_errors
def speech(
    text: Annotated[list[str], typer.Argument(help="Lines to speak, in order")],
    model: ModelOption = "elevenlabs-v3",
    voice: Annotated[str | None, typer.Option(help="Voice name or id")] = None,
    output: OutputOption = None,
    param: ParamOption = None,
    as_json: JsonOption = False,
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = None,
) -> None:
    """Speak text (several arguments: a dialogue) and save the MP3."""
    lines = [{"text": line, **({"voice": voice} if voice else {})} for line in text]
    with client() as api:
        task = api.speech.create(dialogue=lines, model=model, **parse_params(param))
        run_task(task, output=output, as_json=as_json, no_wait=no_wait, timeout=timeout)


@handle_errors
def upload(
    source: Annotated[str, typer.Argument(help="A local file, or a URL for the gateway to fetch")],
    as_json: JsonOption = False,
) -> None:
    """Upload a file; print the URL to use as an input (and the id, Suno's audio_id)."""
    with client() as api:
        if source.startswith(("http://", "https://")):
            result = api.uploads.create(url=source)
        else:
            result = api.uploads.create(Path(source))
    if as_json:
        print_json(result)
        return
    out.print(
        f"{result['url']}\nid {result['id']} ({result['content_type']}, {result['size']} bytes)"
    )
