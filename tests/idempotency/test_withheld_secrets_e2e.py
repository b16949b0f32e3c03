"""No secret in an Idempotency-Key record: a replay returns the same resource, secret withheld.

Every route that mints a secret (admin account creation with its first key, key creation,
key rotation, webhook secret rotation) is called twice with one Idempotency-Key. The first
answer carries the secret; the replay carries the same resource with the secret's field
``null`` and ``"secret_withheld": true`` beside it. Afterwards no full API key is anywhere
in the database's bytes, and no record holds a key or a webhook secret.
"""

from __future__ import annotations

from typing import Any

import httpx

from apiinone.auth.secrets import generate_key
from tests.idempotency.support import cells, records_of
from tests.support.server import Server, stored_bytes


def _twice(client: httpx.Client, path: str, idem: str, **kwargs: Any) -> tuple[Any, Any]:
    first = client.post(path, headers={"Idempotency-Key": idem}, **kwargs)
    again = client.post(path, headers={"Idempotency-Key": idem}, **kwargs)
    assert first.status_code == again.status_code, (first.text, again.text)
    assert first.status_code in (200, 201), first.text
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    return first.json()["data"], again.json()["data"]


def _same_but_withheld(first: dict[str, Any], again: dict[str, Any], field: str) -> None:
    assert first[field] is not None and "secret_withheld" not in first
    assert again[field] is None and again["secret_withheld"] is True
    rest = {k: v for k, v in again.items() if k not in (field, "secret_withheld")}
    assert rest == {k: v for k, v in first.items() if k != field}


async def test_secret_minting_replays_withhold_the_secret(
    server: Server, admin: httpx.Client
) -> None:
    email = f"withheld-{generate_key()[-8:].lower()}@example.com"
    made, made_again = _twice(admin, "/api/v1/admin/accounts", "new-account", json={"email": email})
    assert made["id"] == made_again["id"]
    _same_but_withheld(made["key"], made_again["key"], "key")
    account_key = made["key"]["key"]
    secrets = [account_key]

    with server.client(account_key) as c:
        created, created_again = _twice(c, "/api/v1/keys", "new-key", json={"name": "ci"})
        _same_but_withheld(created, created_again, "key")
        secrets.append(created["key"])

        path = f"/api/v1/keys/{created['id']}/rotate"
        rotated, rotated_again = _twice(c, path, "rotate-ci")
        _same_but_withheld(rotated, rotated_again, "key")
        assert rotated_again["replaces"]["id"] == created["id"]
        secrets.append(rotated["key"])

        hook, hook_again = _twice(c, "/api/v1/account/webhook-secret/rotate", "rotate-hook")
        _same_but_withheld(hook, hook_again, "secret")
        assert hook["secret"].startswith("whsec_")
        webhook_secret = hook["secret"]

        # The keys the first answers showed are the real ones.
        assert c.get("/api/v1/account").status_code == 200
    with server.client(rotated["key"]) as c:
        assert c.get("/api/v1/account").status_code == 200

    admin_id = admin.get("/api/v1/account").json()["data"]["account_id"]
    records = await records_of(server.data_dir, made["id"])
    assert len(records) == 3
    kept = cells(records + await records_of(server.data_dir, admin_id))
    for secret in [*secrets, webhook_secret]:
        assert secret.encode() not in kept
    everything = stored_bytes(server.data_dir)
    for secret in secrets:  # keys are stored only as their SHA-256, anywhere
        assert secret.encode() not in everything
