"""Where the client finds its key and address; what `import apiinone` costs."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from apiinone import Client, ConfigurationError
from apiinone.client.config import (
    DEFAULT_BASE_URL,
    config_path,
    load_config,
    normalize_base_url,
    resolve,
    save_config,
)


def test_arguments_then_environment_then_login_file(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    with pytest.raises(ConfigurationError, match="apiinone login"):
        resolve(env=env)
    path = save_config("http://saved:1/api/v1", "aio_saved", config_path(env))
    assert path == tmp_path / "apiinone" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(path) == {"base_url": "http://saved:1/api/v1", "api_key": "aio_saved"}
    assert resolve(env=env).base_url == "http://saved:1" and resolve(env=env).api_key == "aio_saved"
    short = {**env, "AIO_KEY": "aio_short", "APIINONE_URL": "http://short:2"}
    assert resolve(env=short) == resolve("aio_short", "http://short:2", env={})
    full = {**short, "APIINONE_API_KEY": "aio_full", "APIINONE_BASE_URL": "http://full:3/"}
    assert (resolve(env=full).api_key, resolve(env=full).base_url) == ("aio_full", "http://full:3")
    assert resolve("aio_arg", env=full).api_key == "aio_arg"
    assert resolve("aio_arg", env={"HOME": str(tmp_path / "nobody")}).base_url == DEFAULT_BASE_URL


def test_home_fallback_and_bad_files(tmp_path: Path) -> None:
    assert config_path({"HOME": str(tmp_path)}) == tmp_path / ".config/apiinone/config.toml"
    broken = tmp_path / "config.toml"
    broken.write_text("base_url = ")
    with pytest.raises(ConfigurationError, match="Cannot read"):
        load_config(broken)
    with pytest.raises(ConfigurationError, match="http"):
        normalize_base_url("localhost:8000")
    assert normalize_base_url(" https://gw.example.com/v1/ ") == "https://gw.example.com"


def test_client_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIINONE_API_KEY", "aio_env")
    monkeypatch.setenv("APIINONE_BASE_URL", "http://env.example:9")
    with Client() as client:
        assert client.api_key == "aio_env" and client.base_url == "http://env.example:9"


def test_importing_the_client_does_not_load_the_server() -> None:
    code = (
        "import sys, apiinone\n"
        "assert 'httpx' not in sys.modules\n"
        "from apiinone import Client, AsyncClient, InvalidRequestError, verify_webhook\n"
        "heavy = {'fastapi', 'sqlalchemy', 'pydantic', 'starlette', 'uvicorn', 'apiinone.app'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_public_name_resolves() -> None:
    import importlib

    modules = [
        "apiinone.client",
        "apiinone.client.errors",
        "apiinone.client.config",
        "apiinone.client.transport",
        "apiinone.client.tasks",
        "apiinone.client.types",
        "apiinone.client.webhooks",
        "apiinone.client.client",
        "apiinone.client.async_client",
    ]
    for name in modules:
        module = importlib.import_module(name)
        for member in module.__all__:
            assert hasattr(module, member), f"{name}.{member}"
