"""A sandbox gateway whose synchronous ``/v1`` calls wait only ``wait`` seconds for a task."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from apiinone.auth.secrets import generate_key
from tests.support.server import Server, base_env

__all__ = ["short_wait_gateway"]


@contextmanager
def short_wait_gateway(data_dir: Path, wait: float, **env: str) -> Iterator[tuple[Server, str]]:
    """The running gateway and its admin key: 100 credits at signup, no practical rate
    limit, a fast sandbox, and ``env`` for the settings a test module adds."""
    admin_key = generate_key()
    server_env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_SIGNUP_BONUS="100",
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        APIINONE_OPENAI_WAIT_SECONDS=str(wait),
        APIINONE_SANDBOX_SPEED="20",
        **env,
    )
    server = Server(data_dir=data_dir, env=server_env).start()
    try:
        yield server, admin_key
    finally:
        server.stop()
