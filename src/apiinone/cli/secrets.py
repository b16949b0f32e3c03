"""Operator commands on the secrets the gateway keeps sealed at rest."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from apiinone.cli.runtime import console, run_with_db

if TYPE_CHECKING:
    from apiinone.db.engine import Database
    from apiinone.settings import Settings

secrets = typer.Typer(
    help="Secrets kept at rest (webhook signing secrets, channel credentials).",
    no_args_is_help=True,
)


@secrets.command("rotate")
def secrets_rotate() -> None:
    """Seal every stored secret again under APIINONE_SECRET_KEY.

    Secrets sealed under an old key are opened with APIINONE_PREVIOUS_SECRET_KEYS; once
    this has run, the old keys can be removed from the configuration."""
    from apiinone.errors import ServiceUnavailable
    from apiinone.providers.channel_store import reseal_channels
    from apiinone.sealing import Sealer, SealError
    from apiinone.webhooks.secrets import reseal_all

    async def work(db: Database, settings: Settings) -> None:
        sealer = Sealer.from_settings(settings)
        try:
            changed = await reseal_all(db, sealer)
            credentials = await reseal_channels(db, sealer)
        except SealError as exc:
            raise ServiceUnavailable(str(exc)) from None
        console.print(f"{changed} webhook secrets sealed again under the current secret key")
        console.print(
            f"{credentials} channel credentials sealed again under the current secret key"
        )

    run_with_db(work)
