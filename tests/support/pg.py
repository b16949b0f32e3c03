"""PostgreSQL for the suite: with APIINONE_TEST_POSTGRES set (an admin URL such as
``postgresql://apiinone:apiinone@127.0.0.1:5432/apiinone``), every gateway and unit-test
database is a database of its own on that server, named after its data directory."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

ADMIN_URL = os.environ.get("APIINONE_TEST_POSTGRES", "")


def enabled() -> bool:
    return bool(ADMIN_URL)


def _client(program: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """``program`` (psql, pg_dump) with the admin URL's server and user, and its password."""
    parts = urlsplit(ADMIN_URL)
    command = [
        program,
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
        *args,
    ]
    return command, {**os.environ, "PGPASSWORD": parts.password or ""}


def _admin_database() -> str:
    return urlsplit(ADMIN_URL).path.lstrip("/")


def _psql(sql: str, database: str | None = None) -> str:
    command, env = _client("psql", "-d", database or _admin_database(), "-tAqc", sql)
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr}")
    return result.stdout


# Databases this process has made. pytest numbers its temporary directories afresh on a
# new machine, so a name can match a database an earlier run left on the same server: the
# first use in a process starts it empty.
_MADE: set[str] = set()


def database_for(data_dir: Path) -> str:
    """The asyncpg URL of the database belonging to ``data_dir`` (made empty on first use)."""
    name = "t_" + hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:20]
    if name not in _MADE:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _psql(f'CREATE DATABASE "{name}"')
        _MADE.add(name)
    parts = urlsplit(ADMIN_URL)
    return f"postgresql+asyncpg://{parts.netloc}/{name}"


def drop_made() -> None:
    """Drop every database this process made (the pass's end; ~0.2 s each on this server)."""
    if not _MADE:
        return
    script = "".join(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);\n' for name in sorted(_MADE))
    command, env = _client("psql", "-d", _admin_database(), "-qf", "-")
    subprocess.run(
        command, input=script, env=env, capture_output=True, text=True, timeout=30 + len(_MADE)
    )
    _MADE.clear()


def dump(data_dir: Path) -> bytes:
    """Everything stored in that database, as text (to search for leaked secrets)."""
    name = database_for(data_dir).rsplit("/", 1)[1]
    command, env = _client("pg_dump", "--data-only", name)
    return subprocess.run(command, env=env, capture_output=True, timeout=60, check=True).stdout
