"""OpenAI Images (GPT Image models) as pure translation (no I/O).

Wire format (openai/openai-openapi ``CreateImageRequest``, ``CreateImageEditRequest``,
``ImagesResponse``, ``ErrorResponse``; the ``openai`` SDK's ``resources/images.py``). The
channel's ``base_url`` ends in ``/v1``, as for the OpenAI chat adapter and the SDK's
``OPENAI_BASE_URL`` (``https://api.openai.com/v1``):

- generate: ``POST {base_url}/images/generations``, JSON ``{model, prompt, n, size, quality,
  output_format, background, moderation, ...}``; ``Authorization: Bearer <key>``;
- edit (our ``input_urls``): ``POST {base_url}/images/edits``, ``multipart/form-data`` with the
  same fields as text parts and one ``image[]`` file part per input image (png, jpeg or
  webp; at most 16);
- both answer ``{created, data: [{b64_json}], background, output_format, size, quality,
  usage}``: the GPT Image models always return base64, never URLs;
- errors are ``{"error": {message, type, param, code}}``: a refusal by the safety system
  is HTTP 400 with ``code: "moderation_blocked"`` (``content_policy_violation`` for the
  DALL·E models); 429 is a rate limit, or an exhausted quota (``insufficient_quota``).

Our parameters reach OpenAI through the declarative mapping of
:mod:`apiinone.providers.mapping`: ``aspect_ratio`` becomes ``size``, ``input_urls`` are
sent as files, the rest passes through; a channel's ``options.params`` and
``options.defaults`` are laid over these built-in rules.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

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
from apiinone.providers.openai_images.multipart import FilePart, encode_multipart

__all__ = [
    "EDIT_TYPES",
    "MAX_INPUT_IMAGES",
    "InputImage",
    "OpenAIImagesTranslator",
    "mapping_options",
]

MAX_INPUT_IMAGES = 16
EDIT_TYPES: Mapping[str, str] = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
_OUTPUT_TYPES: Mapping[str, str] = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_POLICY_CODES = frozenset({"moderation_blocked", "content_policy_violation"})
_RESULT_KEYS = ("size", "quality", "output_format", "background", "usage")
_MESSAGE_LIMIT = 500

# Our catalog parameters -> OpenAI's (see apiinone.providers.mapping for the rule format).
_BUILTIN_PARAMS: Mapping[str, Any] = {
    "aspect_ratio": {
        "to": "size",
        "values": {"1:1": "1024x1024", "2:3": "1024x1536", "3:2": "1536x1024"},
    },
    "input_urls": "",  # sent as image[] files, never as a field
}
_BUILTIN_DEFAULTS: Mapping[str, Any] = {"n": 1, "output_format": "png"}


def mapping_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The channel's mapping laid over the built-in one (the channel wins, key by key)."""
    params = options.get("params", {})
    defaults = options.get("defaults", {})
    if not isinstance(params, Mapping) or not isinstance(defaults, Mapping):
        raise ValueError("openai_images options params and defaults must be tables")
    return {
        "params": {**_BUILTIN_PARAMS, **params},
        "defaults": {**_BUILTIN_DEFAULTS, **defaults},
        "passthrough": bool(options.get("passthrough", True)),
    }


@dataclass(frozen=True, slots=True)
class InputImage:
    """One fetched input image: its bytes and their (sniffed) media type."""

    data: bytes = field(repr=False)
    content_type: str


@dataclass(frozen=True, slots=True)
class OpenAIImagesTranslator:
    """Pure: every method is a function of its arguments and of ``inputs``.

    A job with ``input_urls`` is an edit: the provider fetches the images, then uses
    ``translator.with_inputs(images)`` to build the multipart request.
    """

    inputs: tuple[InputImage, ...] = ()

    def with_inputs(self, images: Sequence[InputImage]) -> OpenAIImagesTranslator:
        return replace(self, inputs=tuple(images))

    # -- submit ---------------------------------------------------------------------

    @staticmethod
    def input_urls(job: JobRequest) -> list[str]:
        urls = job.params.get("input_urls") or []
        return [url for url in urls if isinstance(url, str)] if isinstance(urls, list) else []

    @staticmethod
    def check_inputs(images: Sequence[InputImage]) -> Failed | None:
        """Why OpenAI would refuse these input images, or ``None``."""
        if len(images) > MAX_INPUT_IMAGES:
            return Failed(
                message=f"OpenAI accepts at most {MAX_INPUT_IMAGES} input images "
                f"(got {len(images)})",
                code="invalid_input",
            )
        for index, image in enumerate(images):
            if image.content_type not in EDIT_TYPES:
                return Failed(
                    message=f"input_urls[{index}] is {image.content_type}; OpenAI edits "
                    "accept PNG, JPEG or WebP images",
                    code="invalid_input",
                )
        return None

    def build_body(self, job: JobRequest, channel: ChannelConfig) -> dict[str, Any]:
        mapped = apply_mapping(job.params, mapping_options(channel.options))
        mapped.pop("model", None)
        return {"model": channel.upstream_model, **mapped}

    def build_submit(self, job: JobRequest, channel: ChannelConfig) -> HttpRequest:
        body = self.build_body(job, channel)
        if not self.input_urls(job):
            url = f"{channel.base_url}/images/generations"
            return HttpRequest("POST", url, headers=_headers(channel), json=body)
        if len(self.inputs) != len(self.input_urls(job)):
            raise ValueError("an edit needs its input images: use with_inputs() first")
        fields = [(key, _form_value(value)) for key, value in body.items()]
        files = [
            FilePart(
                name="image[]",
                filename=f"image-{index}.{EDIT_TYPES[image.content_type]}",
                content_type=image.content_type,
                data=image.data,
            )
            for index, image in enumerate(self.inputs)
        ]
        data, content_type = encode_multipart(fields, files)
        headers = {**_headers(channel), "Content-Type": content_type}
        return HttpRequest("POST", f"{channel.base_url}/images/edits", headers, data=data)

    def parse_submit(self, job: JobRequest, response: HttpResponse) -> Outcome:
        if response.status != 200:
            return self.map_error(response)
        body = response.json()
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise MalformedResponse("OpenAI answered 200 without any image in 'data'")
        declared = body.get("output_format")
        artifacts = tuple(_artifact(index, item, declared) for index, item in enumerate(items))
        result = {key: body[key] for key in _RESULT_KEYS if body.get(key) is not None}
        return Succeeded(artifacts=artifacts, result=result or None)

    # -- poll and cancel: OpenAI Images answers synchronously ------------------------

    def build_poll(
        self,
        job: JobRequest,
        channel: ChannelConfig,
        upstream_id: str,
        state: Mapping[str, Any] | None,
    ) -> HttpRequest:
        raise NotImplementedError("OpenAI Images answers synchronously: nothing to poll")

    def parse_poll(
        self, job: JobRequest, response: HttpResponse, state: Mapping[str, Any] | None
    ) -> PollOutcome:
        raise NotImplementedError("OpenAI Images answers synchronously: nothing to poll")

    def build_cancel(
        self, job: JobRequest, channel: ChannelConfig, upstream_id: str
    ) -> HttpRequest | None:
        return None

    # -- errors ---------------------------------------------------------------------

    def map_error(self, response: HttpResponse) -> Failed:
        status = response.status
        error = _error(response)
        code = str(error.get("code") or "")
        kind = str(error.get("type") or "")
        text = str(error.get("message") or "").strip()
        message = _clip(f"OpenAI answered HTTP {status}" + (f": {text}" if text else ""))
        retry_after = retry_after_seconds(response.header("Retry-After"))
        if status == 400 and code in _POLICY_CODES:
            return HttpFailed(
                message=_clip(f"OpenAI refused the request under its content policy: {text}"),
                code="upstream_content_policy",
                retryable=False,
                status=status,
            )
        if status == 429 and "insufficient_quota" in (code, kind):
            return HttpFailed(
                message=message, code="upstream_quota_exceeded", retryable=False, status=status
            )
        return status_failure(message, status=status, retry_after=retry_after)


def _headers(channel: ChannelConfig) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {channel.credential}", "Accept": "application/json"}
    organization = channel.options.get("organization")
    if isinstance(organization, str) and organization:
        headers["OpenAI-Organization"] = organization
    return headers


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return orjson.dumps(value).decode()


def _artifact(index: int, item: Any, declared: Any) -> Artifact:
    if not isinstance(item, dict):
        raise MalformedResponse("OpenAI answered an image entry that is not an object")
    encoded = item.get("b64_json")
    if isinstance(encoded, str) and encoded:
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedResponse("OpenAI answered an image that is not valid base64") from exc
        content_type = sniff(data)
        if content_type is None or content_type not in _OUTPUT_TYPES.values():
            raise MalformedResponse("OpenAI answered base64 that is not a PNG, JPEG or WebP")
        ext = "jpg" if content_type == "image/jpeg" else content_type.split("/")[1]
        return Artifact(content_type=content_type, name=f"image-{index}.{ext}", data=data)
    url = item.get("url")
    if isinstance(url, str) and url.startswith("https://"):  # the DALL·E models only
        fmt = declared if isinstance(declared, str) and declared in _OUTPUT_TYPES else "png"
        ext = "jpg" if fmt == "jpeg" else fmt
        return Artifact(content_type=_OUTPUT_TYPES[fmt], name=f"image-{index}.{ext}", url=url)
    raise MalformedResponse("OpenAI answered an image entry with neither b64_json nor url")


def _error(response: HttpResponse) -> Mapping[str, Any]:
    try:
        body = response.json()
    except MalformedResponse:
        return {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]  # type: ignore[no-any-return]
    return {}


def _clip(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
