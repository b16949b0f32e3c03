"""The properties of OpenAI's chat request shared by every chat model (``data/openai_chat.toml``).

``parse_model`` adds each to a chat model that does not define it itself, so a chat model
accepts OpenAI's whole request with OpenAI's types and ranges.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

from .parse_params import parse_fields
from .spec import ParamSpec

__all__ = ["openai_chat_params"]

_DATA_FILE = "openai_chat.toml"


@lru_cache(maxsize=1)
def openai_chat_params() -> dict[str, ParamSpec]:
    text = (resources.files("apiinone.catalog") / "data" / _DATA_FILE).read_text("utf-8")
    raw = tomllib.loads(text)["params"]
    return parse_fields(raw, model="openai-chat", where="params", variants=None)
