"""What the chat core makes of OpenAI's request properties before any channel sees them.

- The catalog has checked every property's type and range (``catalog/data/openai_chat.toml``);
  here the two maps whose values it cannot type are checked: ``metadata`` (at most 16
  string values, keys of at most 64 characters, values of at most 512) and ``logit_bias``
  (token ids to integers from -100 to 100).
- ``reasoning_effort`` takes every OpenAI value and is mapped onto the model's levels
  (``REASONING_LEVELS``); for a model without the ``reasoning`` capability it is dropped and
  named as ignored.
- ``ignored_by`` names what a channel's protocol did not carry, for ``X-Ignored-Params``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from apiinone.catalog import ModelSpec
from apiinone.errors import InvalidRequest
from apiinone.providers.chat import OPENAI_PROPERTIES, ChatProvider

__all__ = ["REASONING_LEVELS", "Prepared", "ignored_by", "prepare"]

# OpenAI's reasoning_effort onto the two levels of the product's reasoning models (low, high).
REASONING_LEVELS: Final = {
    "none": "low",
    "minimal": "low",
    "low": "low",
    "medium": "high",
    "high": "high",
    "xhigh": "high",
    "max": "high",
}
DEFAULT_LEVEL: Final = "high"
METADATA_KEYS: Final = 16
METADATA_KEY_LENGTH: Final = 64
METADATA_VALUE_LENGTH: Final = 512
LOGIT_BIAS_TOKEN = re.compile(r"[0-9]{1,10}")
LOGIT_BIAS_KEYS: Final = 1024


@dataclass(frozen=True, slots=True)
class Prepared:
    params: dict[str, Any]  # what the channel sees
    reasoning_effort: str  # the model's level
    dropped: tuple[str, ...]  # given, but meaningless for this model


def prepare(model: ModelSpec, params: dict[str, Any]) -> Prepared:
    _check_metadata(params.get("metadata"))
    _check_logit_bias(params.get("logit_bias"))
    effort = params.get("reasoning_effort")
    if "reasoning" not in model.capabilities:
        if effort is None:
            return Prepared(params, DEFAULT_LEVEL, ())
        params = {k: v for k, v in params.items() if k != "reasoning_effort"}
        return Prepared(params, DEFAULT_LEVEL, ("reasoning_effort",))
    level = REASONING_LEVELS.get(str(effort), DEFAULT_LEVEL) if effort else DEFAULT_LEVEL
    if effort is not None:
        params = {**params, "reasoning_effort": level}
    return Prepared(params, level, ())


def ignored_by(provider: ChatProvider, body: Mapping[str, Any], dropped: tuple[str, ...]) -> str:
    """The properties the client gave (``body``, not defaults) that ``provider`` does not
    carry, comma-separated in the order given."""
    carries = provider.carries
    names = list(dropped)
    for name, value in body.items():
        wanted = value is not None and name in OPENAI_PROPERTIES
        if wanted and name not in carries and name not in names:
            names.append(name)
    options = body.get("stream_options")
    sub = "stream_options.include_obfuscation"
    obfuscation = isinstance(options, Mapping) and options.get("include_obfuscation") is not None
    if obfuscation and sub not in carries:
        names.append(sub)
    return ", ".join(names)


def _check_metadata(metadata: Any) -> None:
    if metadata is None:
        return
    if len(metadata) > METADATA_KEYS:
        raise InvalidRequest(f"'metadata' takes at most {METADATA_KEYS} keys", param="metadata")
    for key, value in metadata.items():
        path = f"metadata.{key[:METADATA_KEY_LENGTH]}"
        if len(key) > METADATA_KEY_LENGTH:
            raise InvalidRequest(
                f"'metadata' keys are at most {METADATA_KEY_LENGTH} characters", param=path
            )
        if not isinstance(value, str) or len(value) > METADATA_VALUE_LENGTH:
            raise InvalidRequest(
                f"'{path}' must be a string of at most {METADATA_VALUE_LENGTH} characters",
                param=path,
            )


def _check_logit_bias(bias: Any) -> None:
    if bias is None:
        return
    if len(bias) > LOGIT_BIAS_KEYS:
        raise InvalidRequest(
            f"'logit_bias' takes at most {LOGIT_BIAS_KEYS} tokens", param="logit_bias"
        )
    for key, value in bias.items():
        path = f"logit_bias.{key[:16]}"
        if LOGIT_BIAS_TOKEN.fullmatch(key) is None:
            raise InvalidRequest("'logit_bias' keys must be token ids (digits)", param=path)
        if isinstance(value, bool) or not isinstance(value, int) or not -100 <= value <= 100:
            raise InvalidRequest(f"'{path}' must be an integer from -100 to 100", param=path)
