"""``apiinone chat``: a streaming conversation in the terminal, or one turn per stdin line."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from apiinone.cli.user_support import JsonOption, client, err, handle_errors, out, print_json

if TYPE_CHECKING:
    from apiinone.client import Client

__all__ = ["chat"]

QUIT = {"/exit", "/quit", "/q"}


def _turns(messages: list[str] | None) -> Iterator[str]:
    """``--message`` values; else prompts on a terminal; else each non-empty stdin line."""
    if messages:
        yield from messages
        return
    if sys.stdin.isatty():
        err.print("[dim]Chatting; /exit or Ctrl-D to stop.[/dim]")
        while True:
            try:
                line = out.input("[bold]you>[/bold] ")
            except EOFError:
                return
            if line.strip() in QUIT:
                return
            if line.strip():
                yield line
        return
    for line in sys.stdin:
        if line.strip() in QUIT:
            return
        if line.strip():
            yield line.rstrip("\n")


def _stream_reply(api: Client, model: str, history: list[dict[str, Any]], reasoning: bool) -> str:
    """Print the answer as it arrives (reasoning dimmed on stderr); return its text."""
    text: list[str] = []
    with api.chat.completions.create(model=model, messages=history, stream=True) as stream:
        for chunk in stream:
            choices = chunk.get("choices") or []
            delta = choices[0].get("delta", {}) if choices else {}
            if reasoning and delta.get("reasoning_content"):
                err.print(delta["reasoning_content"], style="dim", end="", markup=False)
            piece = delta.get("content")
            if piece:
                text.append(piece)
                sys.stdout.write(piece)
                sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()
    return "".join(text)


@handle_errors
def chat(
    model: Annotated[str, typer.Option("--model", "-m", help="Chat model")] = "gemini",
    message: Annotated[
        list[str] | None,
        typer.Option("--message", help="Send this and print the answer (repeat for more turns)"),
    ] = None,
    system: Annotated[str | None, typer.Option(help="A system prompt")] = None,
    reasoning: Annotated[
        bool, typer.Option("--reasoning", help="Also show the model's reasoning (on stderr)")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Chat with a model, streaming its answers.

    On a terminal it asks for each turn; otherwise each stdin line is a turn, or pass
    --message. With --json each answer is the completion object, not streamed.
    """
    history: list[dict[str, Any]] = []
    if system:
        history.append({"role": "system", "content": system})
    with client() as api:
        try:
            for turn in _turns(message):
                history.append({"role": "user", "content": turn})
                if as_json:
                    completion = api.chat.completions.create(model=model, messages=history)
                    print_json(completion)
                    answer = completion["choices"][0]["message"].get("content") or ""
                else:
                    answer = _stream_reply(api, model, history, reasoning)
                history.append({"role": "assistant", "content": answer})
        except KeyboardInterrupt:
            sys.stdout.write("\n")
            raise typer.Exit(130) from None
