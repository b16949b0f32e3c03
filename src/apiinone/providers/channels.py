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
    [channels.models]                          # catalog slug -> upstream model id, or
    "flux-2" = "black-forest-labs/flux-2-pro"  # a table of its variants and modes
    "recraft-v4" = { "recraft-v4-text-to-image" = "recraft-ai/recraft-v4" }
    [channels.options]                         # adapter-specific

The binding format (one for every adapter) is :mod:`apiinone.providers.bindings`; each
upstream id a table binds becomes its own routable channel (``name/model`` or
``name/model@key``) with its own circuit, serving only the variants and modes bound to it.

Credentials are read from the environment or a secret file, never from this file, and
must be at least :data:`MIN_CREDENTIAL_LENGTH` characters: a credential is scrubbed from
what its upstream sends back wherever it stands as a whole token, and a short one (``abc``)
would be a word of ordinary answers.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apiinone import redact
from apiinone.catalog import Catalog, ModelSpec, load_catalog
from apiinone.catalog.routing import variant_axis
from apiinone.providers.base import Provider
from apiinone.providers.bindings import Binding, BindingError, parse_binding
from apiinone.providers.registry import Channel

__all__ = [
    "ADAPTERS",
    "MAX_CHANNEL_NAME",
    "MIN_CREDENTIAL_LENGTH",
    "ChannelEntry",
    "ChannelFileError",
    "build_provider",
    "entry_channels",
    "load_channels",
    "read_credential",
    "read_document",
    "read_entries",
]

MIN_CREDENTIAL_LENGTH = 16
MAX_CHANNEL_NAME = 80  # the tasks table's channel column

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


def read_credential(entry: Mapping[str, Any], name: str) -> str:
    """A channel's credential, from its env var or secret file, checked for length."""
    return _credential(entry, name)


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


def build_provider(adapter: str, config: Any) -> Provider:
    """The adapter's provider for one channel config (its ids and options checked)."""
    return _builder(adapter, config.name)(config)


@dataclass(frozen=True, slots=True)
class ChannelEntry:
    """One ``[[channels]]`` table, checked against the catalog; its credential not yet read
    (``apiinone channels check`` reads entries without needing the keys)."""

    name: str
    adapter: str
    base_url: str
    priority: int
    weight: int
    options: Mapping[str, Any]
    models: Mapping[str, Binding]
    raw: Mapping[str, Any]

    def unit_name(self, model: str, upstream: str) -> str:
        """The routable channel of one upstream id: ``name/model``, or ``name/model@key``
        (the binding key that names the id) when the model has several ids here."""
        binding = self.models[model]
        base = f"{self.name}/{model}"
        return base if len(binding.ids) == 1 else f"{base}@{binding.written[upstream]}"


def read_document(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ChannelFileError(f"cannot read providers file {path}: {exc}") from exc


def read_entries(document: Mapping[str, Any], catalog: Catalog) -> list[ChannelEntry]:
    """Every channel of a providers document, its bindings checked against the catalog."""
    entries = []
    for raw in document.get("channels", []):
        name = str(raw.get("name") or "")
        if not name:
            raise ChannelFileError("every channel needs a name")
        adapter = str(raw.get("adapter"))
        if adapter not in ADAPTERS:
            raise ChannelFileError(
                f"channel {name}: unknown adapter {adapter!r} (known: {sorted(ADAPTERS)})"
            )
        options = dict(raw.get("options", {}))
        models = dict(raw.get("models", {}))
        try:
            models = _migrate_variants(name, models, options.pop("variants", None), catalog)
            bindings = {
                slug: parse_binding(_model(catalog, name, slug), value)
                for slug, value in models.items()
            }
        except BindingError as exc:
            raise ChannelFileError(f"channel {name}: {exc}") from exc
        entry = ChannelEntry(
            name=name,
            adapter=adapter,
            base_url=str(raw.get("base_url", "")).rstrip("/"),
            priority=int(raw.get("priority", 0)),
            weight=int(raw.get("weight", 1)),
            options=options,
            models=bindings,
            raw=raw,
        )
        for slug, binding in bindings.items():
            for upstream in binding.ids:
                unit = entry.unit_name(slug, upstream)
                if len(unit) > MAX_CHANNEL_NAME:
                    raise ChannelFileError(
                        f"channel {name}: {unit!r} is longer than {MAX_CHANNEL_NAME} "
                        "characters (a task stores it): shorten the channel's name"
                    )
        entries.append(entry)
    return entries


def _model(catalog: Catalog, channel: str, slug: str) -> ModelSpec:
    found = catalog.get(slug)
    if found is None or found.model.slug != slug:
        raise ChannelFileError(f"channel {channel}: unknown catalog model {slug!r}")
    return found.model


def _migrate_variants(
    channel: str, models: dict[str, Any], variants: object, catalog: Catalog
) -> dict[str, Any]:
    """The older ``[channels.options.variants]`` (catalog variant -> upstream id, next to one
    id per model) read as the binding tables it means."""
    if variants is None:
        return models
    if not isinstance(variants, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variants.items()
    ):
        raise ChannelFileError(f"channel {channel}: options.variants must map variants to ids")
    used: set[str] = set()
    out = dict(models)
    for slug, value in models.items():
        spec = _model(catalog, channel, slug)
        own = [v for v in variant_axis(spec) if v in variants]
        if not own or not isinstance(value, str):
            continue
        used.update(own)
        out[slug] = {v: variants.get(v, value) for v in variant_axis(spec)}
    unused = sorted(set(variants) - used)
    if unused:
        raise ChannelFileError(
            f"channel {channel}: options.variants names {unused}, a variant of none of the "
            "channel's models"
        )
    return out


def load_channels(
    path: Path | None, catalog: Catalog | Collection[str]
) -> dict[str, list[Channel]]:
    """The routable channels of a providers file, by catalog model: one per upstream id a
    ``[[channels]]`` table binds, each knowing the variants and modes it serves.

    ``catalog`` is the gateway's catalog; a collection of slugs means the shipped catalog
    restricted to them."""
    if path is None:
        return {}
    if not isinstance(catalog, Catalog):
        known = set(catalog)
        shipped = load_catalog()
        catalog = Catalog(m for m in shipped.models if m.slug in known)
    out: dict[str, list[Channel]] = {}
    for entry in read_entries(read_document(path), catalog):
        if entry.raw.get("enabled", True) is False:
            continue
        credential = _credential(entry.raw, entry.name)
        for model, channels in entry_channels(entry, credential).items():
            out.setdefault(model, []).extend(channels)
    return out


def entry_channels(entry: ChannelEntry, credential: str) -> dict[str, list[Channel]]:
    """The routable channels of one checked ``[[channels]]`` table (from the providers file
    or the database), by catalog model."""
    from apiinone.providers.http import ChannelConfig

    build = _builder(entry.adapter, entry.name)
    out: dict[str, list[Channel]] = {}
    for model, binding in entry.models.items():
        for upstream in binding.ids:
            config = ChannelConfig(
                name=entry.unit_name(model, upstream),
                base_url=entry.base_url,
                credential=credential,
                upstream_model=upstream,
                options=entry.options,
            )
            out.setdefault(model, []).append(
                Channel(
                    name=config.name,
                    provider=build(config),
                    priority=entry.priority,
                    weight=entry.weight,
                    adapter=entry.adapter,
                    options=config.options,
                    upstream_model=upstream,
                    routes=binding.routes_of(upstream),
                    max_concurrency=_max_concurrency(entry.raw, entry.name),
                    group=entry.name,
                )
            )
    return out
