"""``apiinone tasks list|get|wait|cancel``."""

from __future__ import annotations

from typing import Annotated

import typer

from apiinone.cli.user_support import (
    AllOption,
    JsonOption,
    OutputOption,
    TimeoutOption,
    client,
    handle_errors,
    out,
    print_json,
    run_task,
    summary,
)

__all__ = ["tasks"]

tasks = typer.Typer(help="Your tasks: list, get, wait for, cancel.", no_args_is_help=True)
TaskId = Annotated[str, typer.Argument(help="The task id (task_...)")]


@tasks.command("list")
@handle_errors
def list_tasks(
    status: Annotated[
        str | None, typer.Option(help="IN_PROGRESS, SUCCESS, FAILED or CANCELED")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", "-m")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of a previous page")] = None,
    as_json: JsonOption = False,
) -> None:
    """Your tasks, newest first."""
    with client() as api:
        page = api.tasks.list(status=status, model=model, limit=limit, cursor=cursor)
    if as_json:
        print_json(page)
        return
    for item in page["items"]:
        out.print(summary(item), markup=False)
    if page["next_cursor"]:
        out.print(f"more: --cursor {page['next_cursor']}", markup=False)


@tasks.command("get")
@handle_errors
def get_task(task_id: TaskId, as_json: JsonOption = False) -> None:
    """One task: status, cost, result URLs."""
    with client() as api:
        task = api.tasks.get(task_id)
    if as_json:
        print_json(task.data)
        return
    out.print(summary(task.data), markup=False)
    for url in task.response:
        out.print(f"  {url}", markup=False)


@tasks.command("wait")
@handle_errors
def wait_task(
    task_id: TaskId,
    output: OutputOption = None,
    timeout: TimeoutOption = None,
    save_all: AllOption = False,
    as_json: JsonOption = False,
) -> None:
    """Wait for a task (with a progress bar) and save its result."""
    with client() as api:
        run_task(
            api.tasks.get(task_id),
            output=output,
            as_json=as_json,
            timeout=timeout,
            save_all=save_all,
        )


@tasks.command("cancel")
@handle_errors
def cancel_task(task_id: TaskId, as_json: JsonOption = False) -> None:
    """Cancel a task; its hold is released in full."""
    with client() as api:
        task = api.tasks.cancel(task_id)
    if as_json:
        print_json(task.data)
        return
    out.print(summary(task.data), markup=False)
