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


def _psql(sql: str, database: str | None = None) -> str:
    parts = urlsplit(ADMIN_URL)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    result = subprocess.run(
        [
            "psql",
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
            "-d",
            database or parts.path.lstrip("/"),
            "-tAqc",
            sql,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
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
    parts = urlsplit(ADMIN_URL)
    script = "".join(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);\n' for name in sorted(_MADE))
    subprocess.run(
        [
            "psql",
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
            "-d",
            parts.path.lstrip("/"),
            "-qf",
            "-",
        ],
        input=script,
        env={**os.environ, "PGPASSWORD": parts.password or ""},
        capture_output=True,
        text=True,
        timeout=30 + len(_MADE),
    )
    _MADE.clear()


def dump(data_dir: Path) -> bytes:
    """Everything stored in that database, as text (to search for leaked secrets)."""
    name = database_for(data_dir).rsplit("/", 1)[1]
    parts = urlsplit(ADMIN_URL)
    result = subprocess.run(
        [
            "pg_dump",
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
            "--data-only",
            name,
        ],
        env={**os.environ, "PGPASSWORD": parts.password or ""},
        capture_output=True,
        timeout=60,
        check=True,
    )
    return result.stdout
