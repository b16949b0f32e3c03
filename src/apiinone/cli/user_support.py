"""What the API users' commands share: the client, one-line errors, output, task runs."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

# The client (httpx) is imported when a user command runs, not when the command line is
# built: `apiinone serve` and the operator commands never use it.
if TYPE_CHECKING:
    from apiinone.client import Client, Task

__all__ = [
    "AllOption",
    "JsonOption",
    "NoWaitOption",
    "OutputOption",
    "ParamOption",
    "TimeoutOption",
    "client",
    "err",
    "fail",
    "handle_errors",
    "input_url",
    "out",
    "parse_params",
    "plural",
    "print_json",
    "run_task",
    "show_progress",
    "summary",
]

P = ParamSpec("P")
R = TypeVar("R")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Where to save the result (a file, or a directory); default: ./<task id>.<ext>",
    ),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param", "-p", help="A model parameter as key=value (value parsed as JSON if it is)"
    ),
]
NoWaitOption = Annotated[
    bool, typer.Option("--no-wait", help="Print the task and return without waiting")
]
TimeoutOption = Annotated[
    float | None, typer.Option("--timeout", help="Give up waiting after this many seconds")
]
AllOption = Annotated[
    bool, typer.Option("--all", help="Save every result file, not only the first")
]


def fail(kind: str, message: str) -> typer.Exit:
    """Print ``error: <type>: <message>`` on one line of stderr; return the exit to raise."""
    err.print(f"error: {kind}: {' '.join(message.split())}", markup=False)
    return typer.Exit(1)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the client's exceptions (and unreadable files) into one line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from apiinone.client import APIInOneError, APIStatusError

        try:
            return func(*args, **kwargs)
        except APIStatusError as exc:
            raise fail(exc.error_type, str(exc)) from None
        except APIInOneError as exc:
            raise fail(exc.type, str(exc)) from None
        except OSError as exc:
            raise fail("file_error", f"{exc.strerror or exc}: {exc.filename or ''}") from None
        except ValueError as exc:
            raise fail("usage_error", str(exc)) from None

    return wrapper


def client() -> Client:
    """A client from ``APIINONE_API_KEY`` / ``APIINONE_BASE_URL`` or the login file."""
    from apiinone.client import Client

    return Client()


def show_progress(as_json: bool) -> bool:
    """Progress bars only for people: not with --json, not when stdout is piped."""
    return not as_json and sys.stdout.isatty()


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """``["resolution=2K", "duration=5", "sound=false"]`` → typed values (JSON when it is)."""
    params: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param wants key=value, not {pair!r}")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        params[key.strip()] = value
    return params


def input_url(api: Client, value: str) -> str:
    """A URL as is; a local file is uploaded first and its URL used."""
    if value.startswith(("http://", "https://")):
        return value
    path = Path(value)
    if not path.is_file():
        raise ValueError(f"{value} is neither a URL nor a file")
    return api.uploads.create(path)["url"]


def _destination(task: Task, output: Path | None, save_all: bool) -> Path:
    if output is not None:
        if save_all and not output.suffix:
            output.mkdir(parents=True, exist_ok=True)  # a new directory for every file
        return output
    if save_all:
        return Path(".")
    from apiinone.client._base import result_name

    name = result_name(task.response[0]) if task.response else ""
    return Path(task.id + Path(name).suffix)


def run_task(
    task: Task,
    *,
    output: Path | None,
    as_json: bool,
    no_wait: bool = False,
    timeout: float | None = None,
    save_all: bool = False,
) -> None:
    """Wait for ``task`` with a progress bar, save its result, report it."""
    if no_wait:
        if as_json:
            print_json(task.data)
        else:
            held = plural(task.estimated_credits, "credit")
            out.print(f"{task.id} {task.status} ({held} held)")
        return
    task.wait(timeout, progress=show_progress(as_json))
    saved: list[Path] = []
    if task.response:
        saved = task.download(_destination(task, output, save_all), index=None if save_all else 0)
    if as_json:
        print_json(task.data)
        return
    for path in saved:
        out.print(f"saved {path}", markup=False)
    out.print(f"{task.id} {task.status}: {task.model}, {plural(task.consumed_credits, 'credit')}")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary(task: Mapping[str, Any]) -> str:
    """One line about a task object."""
    error = f" — {task['error_message']}" if task.get("error_message") else ""
    return (
        f"{task['task_id']}  {task['status']:<11} {task['model']:<18} "
        f"{task.get('consumed_credits', 0):>5} credits  {task['created_at']}{error}"
    )
