"""A Suno channel's options, read once when the channel is loaded.

``[channels.options]`` of an ``adapter = "suno"`` channel::

    models = { "chirp-v5-5" = "V5_5" }        # our variant -> reseller model (merged
                                              # over DEFAULT_MODELS)
    public_base_url = "https://gw.example"    # required for suno-upload-cover: the
                                              # reseller downloads the uploaded audio
                                              # from this gateway's /files/... URL
    callback_url = "https://gw.example/x"     # callBackUrl when the gateway has no
                                              # webhook URL for the task (else a path on
                                              # public_base_url, else an unroutable host)
    poll_seconds = 10                         # between two polls of a running task
    timeout = 60                              # seconds per HTTP request
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_MODELS", "SunoOptions"]

# Our catalog variants -> the resellers' model names (sunoapi.org and kie.ai share them).
# Their docs list V4, V4_5, V4_5PLUS, V4_5ALL, V5 and V5_5 (read 2026-12): V3_5 is gone, so
# chirp-v3-5 has no entry and is refused unless a channel's options.models names one.
DEFAULT_MODELS: Mapping[str, str] = {
    "chirp-v4-0": "V4",
    "chirp-v4-5": "V4_5",
    "chirp-v4-5-plus": "V4_5PLUS",
    "chirp-v5": "V5",
    "chirp-v5-5": "V5_5",
}
# What a reseller model name looks like (V4, V4_5, V4_5PLUS, V4_5ALL, V5_5 ...).
RESELLER_MODEL = re.compile(r"V\d+(?:_\d+)?[A-Z]*")
# callBackUrl is required by the resellers on every task route (not on timestamped lyrics).
# With no webhook URL for the task we send a path on our own public URL, and with no public
# URL a host that can never resolve (RFC 6761): no third party ever receives our results.
UNROUTABLE_CALLBACK = "https://callback.invalid/apiinone/suno"


def _http_url(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ValueError(f"suno option {name} must be an http(s) URL")
    return value.rstrip("/")


def _positive(value: Any, name: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"suno option {name} must be a positive number")
    return float(value)


@dataclass(frozen=True, slots=True)
class SunoOptions:
    models: Mapping[str, str]
    public_base_url: str | None
    callback_url: str | None
    poll_seconds: float
    timeout: float

    @classmethod
    def read(cls, options: Mapping[str, Any]) -> SunoOptions:
        extra = options.get("models", {})
        if not isinstance(extra, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in extra.items()
        ):
            raise ValueError("suno option models must map our variants to reseller model names")
        return cls(
            models={**DEFAULT_MODELS, **extra},
            public_base_url=_http_url(options.get("public_base_url"), "public_base_url"),
            callback_url=_http_url(options.get("callback_url"), "callback_url"),
            poll_seconds=_positive(options.get("poll_seconds", 10), "poll_seconds"),
            timeout=_positive(options.get("timeout", 60), "timeout"),
        )

    def model_for(self, variant: str | None, upstream_model: str) -> str | None:
        """The reseller model for our variant; for a request with no variant, the channel's
        model id when it names one; else ``None`` (a variant is never sent as another)."""
        if variant is not None:
            return self.models.get(variant)
        if RESELLER_MODEL.fullmatch(upstream_model):
            return upstream_model
        return None

    def callback(self, webhook_url: str | None) -> str:
        if webhook_url:
            return webhook_url
        if self.callback_url:
            return self.callback_url
        if self.public_base_url:
            return f"{self.public_base_url}/hooks/unused/suno"  # our domain; answers 404
        return UNROUTABLE_CALLBACK
