"""The ``apiinone`` console script (the client distribution's): the API users' commands, and,
when the server distribution is installed too, the whole ``apiinone`` app of
:mod:`apiinone.cli.main` (serve, worker, operator commands and the same user commands)."""

from __future__ import annotations

import sys
from importlib.util import find_spec
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

__all__ = ["main"]

NEEDS_TYPER = "the apiinone command needs typer: pip install 'apiinone[cli]'"


def main() -> None:
    """Run the ``apiinone`` command."""
    if find_spec("typer") is None:
        sys.exit(NEEDS_TYPER)
    if find_spec("apiinone.cli.main") is not None:
        from apiinone.cli.main import app
    else:
        app = users_app()
    app()


def users_app() -> typer.Typer:
    """The command for API users alone (no server installed)."""
    import typer

    from apiinone.cli import user

    app = typer.Typer(
        name="apiinone",
        help="API in One: the commands for API users (the gateway is apiinone-server).",
        no_args_is_help=True,
        add_completion=False,
    )
    user.register(app)
    return app


if __name__ == "__main__":
    main()
