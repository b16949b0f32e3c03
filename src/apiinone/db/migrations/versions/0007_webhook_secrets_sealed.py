"""Accounts: webhook signing secrets sealed at rest (AES-GCM under the secret key).

Every secret stored in clear is sealed in place (the sealed form fits the column). The key
comes from the sealer ``apiinone.db.migrate.upgrade`` hands in (the settings'), else from
the settings. A downgrade opens them again into clear.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import context, op

from apiinone.sealing import Sealer, is_sealed
from apiinone.webhooks.secrets import open_secret, seal_secret

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

accounts = sa.table("accounts", sa.column("id", sa.String), sa.column("webhook_secret", sa.String))


def _sealer() -> Sealer:
    sealer = context.config.attributes.get("sealer")
    if isinstance(sealer, Sealer):
        return sealer
    from apiinone.settings import load_settings

    return Sealer.from_settings(load_settings())


def _rewrite(seal: bool) -> None:
    """Seal (or open, ``seal=False``) every stored secret that is not already so."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(accounts.c.id, accounts.c.webhook_secret).where(
            accounts.c.webhook_secret.is_not(None)
        )
    ).all()
    todo = [(str(r.id), str(r.webhook_secret)) for r in rows if is_sealed(r.webhook_secret) != seal]
    if not todo:
        return
    sealer = _sealer()
    for account_id, value in todo:
        if seal:
            new = seal_secret(sealer, account_id, value)
        else:
            new = open_secret(sealer, account_id, value)
        conn.execute(
            sa.update(accounts).where(accounts.c.id == account_id).values(webhook_secret=new)
        )


def upgrade() -> None:
    _rewrite(seal=True)


def downgrade() -> None:
    _rewrite(seal=False)
