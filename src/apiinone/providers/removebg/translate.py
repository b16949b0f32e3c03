"""remove.bg as pure translation (no I/O).

Wire format (https://www.remove.bg/api; the official clients remove-bg/ruby and
remove-bg/go):

- ``POST /v1.0/removebg``, header ``X-Api-Key``, a form (``x-www-form-urlencoded`` or
  multipart) with ``image_url`` (or ``image_file``), ``size`` (``auto`` is the largest the
  image and the credits allow) and ``format`` (``png`` keeps the alpha channel);
- 200 answers the image itself, with ``X-Type``, ``X-Width``, ``X-Height``,
  ``X-Credits-Charged`` and the ``X-RateLimit-Limit / -Remaining / -Reset`` headers;
- errors are ``{"errors": [{"title", "code"?, "detail"?}]}``: 400 for a bad input (an image
  it cannot download, no foreground found), 402 for insufficient credits, 403 for a bad
  key, 429 with ``Retry-After`` when rate limited.

Our ``image`` URL becomes ``image_url``; remove.bg fetches it itself, so it must be a URL
remove.bg can reach. A channel's ``options.params`` / ``options.defaults`` (see
:mod:`apiinone.providers.mapping`) are laid over the built-in mapping, e.g.
``defaults = { type = "product", crop = true }``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from apiinone.net.sniff import sniff
from apiinone.providers.base import (
    Artifact,
    Failed,
    JobRequest,
    Outcome,
    PollOutcome,
    Succeeded,
)
from apiinone.providers.failures import status_failure
from apiinone.providers.http import (
    ChannelConfig,
    HttpFailed,
    HttpRequest,
    HttpResponse,
    MalformedResponse,
    retry_after_seconds,
)
from apiinone.providers.mapping import apply_mapping

__all__ = ["RemoveBgTranslator", "mapping_options"]

_BUILTIN_PARAMS: Mapping[str, Any] = {"image": "image_url"}
_BUILTIN_DEFAULTS: Mapping[str, Any] = {"size": "auto", "format": "png"}
_RESULTS: Mapping[str, str] = {"image/png": "png", "image/jpeg": "jpg"}
_MESSAGE_LIMIT = 500


def mapping_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The channel's mapping laid over the built-in one (the channel wins, key by key).
    Parameters without a rule are not sent: remove.bg refuses fields it does not know."""
    params = options.get("params", {})
    defaults = options.get("defaults", {})
    if not isinstance(params, Mapping) or not isinstance(defaults, Mapping):
        raise ValueError("removebg options params and defaults must be tables")
    return {
        "params": {**_BUILTIN_PARAMS, **params},
        "defaults": {**_BUILTIN_DEFAULTS, **defaults},
        "passthrough": bool(options.get("passthrough", False)),
    }


@dataclass(frozen=True, slots=True)
class RemoveBgTranslator:
    """Pure: every method is a function of its arguments."""

    def build_form(self, job: JobRequest, channel: ChannelConfig) -> dict[str, str]:
        mapped = apply_mapping(job.params, mapping_options(channel.options))
        return {key: _form_value(value) for key, value in mapped.items()}

    def build_submit(self, job: JobRequest, channel: ChannelConfig) -> HttpRequest:
        form = self.build_form(job, channel)
        return HttpRequest(
            "POST",
            f"{channel.base_url}/v1.0/removebg",
            headers={
                "X-Api-Key": channel.credential,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            data=urlencode(form).encode(),
        )

    def parse_submit(self, job: JobRequest, response: HttpResponse) -> Outcome:
        if response.status != 200:
            return self.map_error(response)
        content_type = sniff(response.body)
        if content_type is None or content_type not in _RESULTS:
            raise MalformedResponse(
                f"remove.bg answered 200 with {len(response.body)} bytes that are not an image"
            )
        image = Artifact(
            content_type=content_type,
            name=f"no-bg.{_RESULTS[content_type]}",
            data=response.body,
        )
        return Succeeded(artifacts=(image,), result=_metadata(response) or None)

    # -- poll and cancel: remove.bg answers synchronously -----------------------------

    def build_poll(
        self,
        job: JobRequest,
        channel: ChannelConfig,
        upstream_id: str,
        state: Mapping[str, Any] | None,
    ) -> HttpRequest:
        raise NotImplementedError("remove.bg answers synchronously: nothing to poll")

    def parse_poll(
        self, job: JobRequest, response: HttpResponse, state: Mapping[str, Any] | None
    ) -> PollOutcome:
        raise NotImplementedError("remove.bg answers synchronously: nothing to poll")

    def build_cancel(
        self, job: JobRequest, channel: ChannelConfig, upstream_id: str
    ) -> HttpRequest | None:
        return None

    # -- errors ---------------------------------------------------------------------

    def map_error(self, response: HttpResponse) -> Failed:
        status = response.status
        text = _titles(response)
        message = _clip(f"remove.bg answered HTTP {status}" + (f": {text}" if text else ""))
        if status == 402:
            return HttpFailed(
                message=_clip(
                    "remove.bg: the account has run out of credits (HTTP 402"
                    + (f": {text}" if text else "")
                    + "); top it up at remove.bg"
                ),
                code="upstream_insufficient_credits",
                retryable=False,
                status=status,
            )
        return status_failure(
            message, status=status, retry_after=retry_after_seconds(response.header("Retry-After"))
        )


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _metadata(response: HttpResponse) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = response.header("X-Type")
    if kind:
        out["type"] = kind
    for key, header, convert in (
        ("width", "X-Width", int),
        ("height", "X-Height", int),
        ("credits_charged", "X-Credits-Charged", float),
    ):
        raw = response.header(header)
        if raw is None:
            continue
        try:
            out[key] = convert(raw)
        except ValueError:
            continue
    return out


def _titles(response: HttpResponse) -> str:
    try:
        body = response.json()
    except MalformedResponse:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ""
    titles = []
    for error in errors:
        if isinstance(error, dict) and isinstance(error.get("title"), str):
            code = error.get("code")
            titles.append(f"{error['title']} ({code})" if isinstance(code, str) else error["title"])
    return "; ".join(titles)


def _clip(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
