"""Operator channel configuration: which upstream serves which catalog model.

A TOML file (``APIINONE_PROVIDERS_FILE``)::

    [[channels]]
    name = "replicate-main"
    adapter = "replicate"
    base_url = "https://api.replicate.com"
    credential_env = "REPLICATE_API_TOKEN"     # or credential_file = "/run/secrets/..."
    priority = 0                               # lower runs first
    weight = 1
    max_concurrency = 200                      # requests at once, per process (0: no cap)
    [channels.models]                          # catalog slug -> upstream model id
    "flux-2" = "black-forest-labs/flux-2-pro"
    [channels.options]                         # adapter-specific

Credentials are read from the environment or a secret file, never from this file, and
must be at least :data:`MIN_CREDENTIAL_LENGTH` characters: a credential is scrubbed from
what its upstream sends back wherever it stands as a whole token, and a short one (``abc``)
would be a word of ordinary answers.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from apiinone import redact
from apiinone.providers.base import Provider
from apiinone.providers.registry import Channel

__all__ = ["ADAPTERS", "MIN_CREDENTIAL_LENGTH", "ChannelFileError", "load_channels"]

MIN_CREDENTIAL_LENGTH = 16

# adapter name -> "module:function" building a Provider from a ChannelConfig
ADAPTERS: Mapping[str, str] = {
    "openai": "apiinone.providers.openai_chat:build",
    "gemini": "apiinone.providers.gemini:build",
    "replicate": "apiinone.providers.replicate:build",
    "fal": "apiinone.providers.fal:build",
    "wavespeed": "apiinone.providers.wavespeed:build",
    "minimax": "apiinone.providers.minimax:build",
    "openai_images": "apiinone.providers.openai_images:build",
    "elevenlabs": "apiinone.providers.elevenlabs:build",
    "removebg": "apiinone.providers.removebg:build",
    "suno": "apiinone.providers.suno:build",
}


class ChannelFileError(Exception):
    """The providers file is malformed or names a missing credential."""


def _credential(entry: Mapping[str, Any], name: str) -> str:
    credential = _read_credential(entry, name)
    if len(credential) < MIN_CREDENTIAL_LENGTH:
        source = entry.get("credential_env") or entry.get("credential_file")
        raise ChannelFileError(
            f"channel {name}: the credential in {source} is {len(credential)} characters; "
            f"provider credentials must be at least {MIN_CREDENTIAL_LENGTH}"
        )
    redact.register(credential)  # never in a log line or an error message, whatever happens
    return credential


def _read_credential(entry: Mapping[str, Any], name: str) -> str:
    if "credential" in entry:
        raise ChannelFileError(
            f"channel {name}: put the credential in an env var (credential_env) or a "
            "file (credential_file), not in the providers file"
        )
    env = entry.get("credential_env")
    if isinstance(env, str):
        value = os.environ.get(env)
        if not value:
            raise ChannelFileError(f"channel {name}: the environment variable {env} is not set")
        return value
    path = entry.get("credential_file")
    if isinstance(path, str):
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ChannelFileError(f"channel {name}: cannot read {path}: {exc.strerror}") from exc
    raise ChannelFileError(f"channel {name}: credential_env or credential_file is required")


def _max_concurrency(entry: Mapping[str, Any], name: str) -> int:
    value = entry.get("max_concurrency", 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ChannelFileError(
            f"channel {name}: max_concurrency must be a whole number, 0 or more (0: no cap)"
        )
    return value


def _builder(adapter: str, name: str) -> Callable[..., Provider]:
    target = ADAPTERS.get(adapter)
    if target is None:
        raise ChannelFileError(
            f"channel {name}: unknown adapter {adapter!r} (known: {sorted(ADAPTERS)})"
        )
    module, _, function = target.partition(":")
    builder: Callable[..., Provider] = getattr(importlib.import_module(module), function)
    return builder


def load_channels(path: Path | None, known_models: set[str]) -> dict[str, list[Channel]]:
    if path is None:
        return {}
    from apiinone.providers.http import ChannelConfig

    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ChannelFileError(f"cannot read providers file {path}: {exc}") from exc
    out: dict[str, list[Channel]] = {}
    for entry in document.get("channels", []):
        name = str(entry.get("name") or "")
        if not name:
            raise ChannelFileError("every channel needs a name")
        build = _builder(str(entry.get("adapter")), name)
        credential = _credential(entry, name)
        for model, upstream in dict(entry.get("models", {})).items():
            if model not in known_models:
                raise ChannelFileError(f"channel {name}: unknown catalog model {model!r}")
            config = ChannelConfig(
                name=f"{name}/{model}",
                base_url=str(entry.get("base_url", "")).rstrip("/"),
                credential=credential,
                upstream_model=str(upstream),
                options=dict(entry.get("options", {})),
            )
            out.setdefault(model, []).append(
                Channel(
                    name=config.name,
                    provider=build(config),
                    priority=int(entry.get("priority", 0)),
                    weight=int(entry.get("weight", 1)),
                    max_concurrency=_max_concurrency(entry, name),
                    group=name,
                    adapter=str(entry.get("adapter")),
                    options=config.options,
                )
            )
    return out
