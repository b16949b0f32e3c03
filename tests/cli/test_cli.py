"""The operator CLI against a real SQLite database, run as the installed console script."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.server import Server, base_env, cli

KEY = re.compile(r"aio_[A-Za-z0-9_-]{43,}")


def test_accounts_keys_and_credits(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", APIINONE_SIGNUP_BONUS="25")
    cli(["migrate"], env)
    out = cli(["accounts", "create", "ops@example.com", "--name", "Ops"], env).stdout
    account_id = re.search(r"account (acc_\S+)", out).group(1)  # type: ignore[union-attr]
    first_key = KEY.search(out).group(0)  # type: ignore[union-attr]

    out = cli(
        ["keys", "create", "ops@example.com", "--name", "ci", "--rate-limit", "10"], env
    ).stdout
    key_id = re.search(r"key (key_\S+)", out).group(1)  # type: ignore[union-attr]
    second_key = KEY.search(out).group(0)  # type: ignore[union-attr]
    assert second_key != first_key

    listing = cli(["keys", "list", account_id], env).stdout
    assert key_id in listing and second_key not in listing and first_key not in listing
    assert second_key[-4:] in listing

    assert (
        "balance 125"
        in cli(["credits", "grant", account_id, "100", "--reason", "pilot"], env).stdout
    )
    assert "balance 120" in cli(["credits", "grant", account_id, "--", "-5"], env).stdout
    refused = cli(["credits", "grant", account_id, "--", "-1000"], env, check=False)
    assert refused.returncode == 1 and "Insufficient" in refused.stderr + refused.stdout

    cli(["keys", "revoke", key_id], env)
    assert "revoked" in cli(["keys", "list", account_id], env).stdout

    duplicate = cli(["accounts", "create", "ops@example.com"], env, check=False)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr + duplicate.stdout


def test_generated_keys_are_strong_and_distinct(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    keys = {cli(["keys", "generate"], env).stdout.strip() for _ in range(3)}
    assert len(keys) == 3 and all(KEY.fullmatch(k) for k in keys)


def test_weak_admin_key_is_refused(tmp_path: Path) -> None:
    for weak in ("admin", "aio_123", "aio_" + "a" * 50):
        env = base_env(tmp_path / "data", APIINONE_ADMIN_KEY=weak)
        result = cli(["serve", "--port", "1"], env, check=False)
        assert result.returncode == 2
        assert "APIINONE_ADMIN_KEY" in result.stderr or "admin_key" in result.stderr


def test_production_refuses_the_default_secret(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", APIINONE_ENVIRONMENT="production")
    result = cli(["migrate"], env, check=False)
    assert result.returncode == 2 and "secret_key" in result.stderr
    env["APIINONE_SECRET_KEY"] = "s" * 8 + "0123456789abcdefghijklmnopqrstuv"
    assert cli(["migrate"], env).returncode == 0


def test_first_start_prints_the_admin_key_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data_dir=data, env=base_env(data)).start()
    try:
        first = server.output()
    finally:
        server.stop()
    key = KEY.search(first).group(0)  # type: ignore[union-attr]
    assert "listening on http://127.0.0.1:" in first
    server = Server(data_dir=data, env=base_env(data)).start()
    try:
        with server.client(key) as c:
            assert c.get("/api/v1/account").json()["data"]["is_admin"] is True
        assert KEY.search(server.output()) is None  # not printed again
    finally:
        server.stop()


def test_settings_file_is_read(tmp_path: Path) -> None:
    config = tmp_path / "apiinone.toml"
    config.write_text("signup_bonus = 7\n")
    env = base_env(tmp_path / "data", APIINONE_CONFIG=str(config))
    cli(["migrate"], env)
    out = cli(["accounts", "create", "toml@example.com"], env).stdout
    account_id = re.search(r"account (acc_\S+)", out).group(1)  # type: ignore[union-attr]
    assert "balance 8" in cli(["credits", "grant", account_id, "1"], env).stdout


def test_operator_commands_ask_for_migrate_on_a_new_external_database(tmp_path: Path) -> None:
    from tests.support import pg

    if not pg.enabled():
        env = base_env(tmp_path / "data")  # SQLite migrates itself: nothing to ask
        assert cli(["accounts", "create", "auto@example.com"], env).returncode == 0
        return
    env = base_env(tmp_path / "fresh")
    result = cli(["accounts", "create", "early@example.com"], env, check=False)
    assert result.returncode == 2 and "apiinone migrate" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_serve_with_several_worker_processes(tmp_path: Path) -> None:
    from apiinone.auth.secrets import generate_key
    from tests.support.redis_server import redis_on_loopback
    from tests.support.server import free_port

    admin_key = generate_key()
    port = free_port()
    with redis_on_loopback() as redis_url:  # several processes share rate limits through Redis
        output = _two_workers(tmp_path, admin_key, port, redis_url)
    assert output.count("Started server process") == 2


def _two_workers(tmp_path: Path, admin_key: str, port: int, redis_url: str) -> str:
    import subprocess
    import time

    import httpx

    from tests.support.server import BIN

    env = base_env(
        tmp_path / "data",
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_LOG_LEVEL="info",
        APIINONE_REDIS_URL=redis_url,
    )
    proc = subprocess.Popen(
        [str(BIN / "apiinone"), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180  # a busy host: generous, still bounded
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {admin_key}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as c:
            statuses = [c.get("/api/v1/account").status_code for _ in range(20)]
            task = c.post(
                "/api/v1/images/generations", json={"model": "flux-2", "prompt": "two workers"}
            ).json()["data"]["task_id"]
            for _ in range(100):
                status = c.get(f"/api/v1/tasks/{task}").json()["data"]["status"]
                if status != "IN_PROGRESS":
                    break
                time.sleep(0.2)
        assert statuses == [200] * 20 and status == "SUCCESS"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    return output
