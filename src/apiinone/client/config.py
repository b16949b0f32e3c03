"""Where the client finds its base URL and API key.

Highest priority first: the arguments, ``APIINONE_API_KEY`` / ``APIINONE_BASE_URL``, the
shorter ``AIO_KEY`` / ``APIINONE_URL`` the docs use for curl, then the file ``apiinone login``
writes: ``$XDG_CONFIG_HOME/apiinone/config.toml`` (``~/.config/apiinone/config.toml``), mode 0600.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from apiinone.client.errors import ConfigurationError

__all__ = [
    "DEFAULT_BASE_URL",
    "Credentials",
    "config_path",
    "load_config",
    "normalize_base_url",
    "resolve",
    "save_config",
]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
KEY_ENV = ("APIINONE_API_KEY", "AIO_KEY")
URL_ENV = ("APIINONE_BASE_URL", "APIINONE_URL")


@dataclass(frozen=True)
class Credentials:
    api_key: str
    base_url: str


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The login file: ``$XDG_CONFIG_HOME/apiinone/config.toml``."""
    env = os.environ if env is None else env
    root = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(root) / "apiinone" / "config.toml"


def load_config(path: Path | None = None) -> dict[str, str]:
    """The saved ``base_url`` and ``api_key`` (empty when there is no file)."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"Cannot read {path}: {exc}") from exc
    return {k: v for k, v in data.items() if k in ("base_url", "api_key") and isinstance(v, str)}


def save_config(base_url: str, api_key: str, path: Path | None = None) -> Path:
    """Write the login file, readable by its owner only."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # JSON strings are valid TOML basic strings.
    text = f"base_url = {json.dumps(base_url)}\napi_key = {json.dumps(api_key)}\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)
    return path


def normalize_base_url(url: str) -> str:
    """``http://host:8000/api/v1/`` and ``http://host:8000`` name the same gateway."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"The base URL must start with http:// or https://, not {url!r}")
    for suffix in ("/api/v1", "/v1"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if env.get(name):
            return env[name]
    return None


def resolve(
    api_key: str | None = None,
    base_url: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """The key and base URL to use, from the arguments, the environment or the login file."""
    env = os.environ if env is None else env
    key = api_key or _first(env, KEY_ENV)
    url = base_url or _first(env, URL_ENV)
    if key is None or url is None:
        saved = load_config(config_path(env))
        key = key or saved.get("api_key")
        url = url or saved.get("base_url")
    if not key:
        raise ConfigurationError(
            "No API key: pass api_key=, set APIINONE_API_KEY, or run `apiinone login`"
        )
    return Credentials(api_key=key, base_url=normalize_base_url(url or DEFAULT_BASE_URL))
