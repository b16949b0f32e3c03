"""The cheapest real call that shows a bound upstream id works with the channel's key
(``apiinone channels check --live``): pure request building and answer reading, no I/O.

Per adapter:

- a model look-up where the provider has one: Replicate ``GET /v1/models/{owner}/{name}``
  (``.../versions/{id}`` for a pinned version), OpenAI-compatible ``GET {base}/models/{id}``,
  Gemini ``GET {base}/models/{id}``, ElevenLabs ``GET /v1/models`` (the id must be listed);
- an account look-up where the id is not the provider's to check: remove.bg
  ``GET /v1.0/account``, the Suno reseller ``GET /api/v1/generate/credit``;
- else a submission with an **empty input** that the endpoint refuses by validation, which
  no provider bills: fal ``POST {base}/{id}`` ``{}`` (a queued request is cancelled at once),
  WaveSpeed ``POST /api/v3/{id}`` ``{}``, MiniMax ``POST /v1/video_generation``
  ``{"model": id}``. A refusal that names the input (HTTP 400/422, MiniMax 2013) proves the
  endpoint exists and the key is accepted; 401/403 is the key, 404 the id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from apiinone.providers.fal.translate import parse_app
from apiinone.providers.http import HttpRequest, HttpResponse

__all__ = ["ProbeResult", "cancel_request", "probe_request", "read_probe"]

_TEXT_LIMIT = 200
_VALIDATION = frozenset({400, 422})


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    detail: str


def probe_request(adapter: str, base_url: str, credential: str, upstream: str) -> HttpRequest:
    """The probe for one bound id (``ValueError`` for an adapter with no probe)."""
    base = base_url.rstrip("/")
    bearer = {"Authorization": f"Bearer {credential}", "Accept": "application/json"}
    if adapter == "replicate":
        name, _, version = upstream.partition(":")
        path = f"/v1/models/{name}" + (f"/versions/{version}" if version else "")
        return HttpRequest("GET", base + path, headers=bearer)
    if adapter in ("openai", "openai_images"):
        return HttpRequest("GET", f"{base}/models/{quote(upstream, safe='')}", headers=bearer)
    if adapter == "gemini":
        headers = {"x-goog-api-key": credential, "Accept": "application/json"}
        return HttpRequest("GET", f"{base}/models/{quote(upstream, safe='')}", headers=headers)
    if adapter == "elevenlabs":
        return HttpRequest("GET", f"{base}/v1/models", headers={"xi-api-key": credential})
    if adapter == "removebg":
        return HttpRequest("GET", f"{base}/v1.0/account", headers={"X-Api-Key": credential})
    if adapter == "suno":
        return HttpRequest("GET", f"{base}/api/v1/generate/credit", headers=bearer)
    if adapter == "fal":
        headers = {"Authorization": f"Key {credential}", "Accept": "application/json"}
        return HttpRequest("POST", f"{base}/{upstream}", headers=headers, json={})
    if adapter == "wavespeed":
        return HttpRequest("POST", f"{base}/api/v3/{upstream}", headers=bearer, json={})
    if adapter == "minimax":
        return HttpRequest(
            "POST", f"{base}/v1/video_generation", headers=bearer, json={"model": upstream}
        )
    raise ValueError(f"no probe for the adapter {adapter!r}")


def read_probe(adapter: str, upstream: str, response: HttpResponse) -> ProbeResult:
    """What the probe's answer says about the id and the key."""
    status = response.status
    body = _json(response)
    if status in (401, 403):
        return ProbeResult(False, f"HTTP {status}: the key is refused{_said(body, response)}")
    if status == 404:
        return ProbeResult(False, f"HTTP 404: unknown upstream id{_said(body, response)}")
    if adapter == "minimax" and status == 200:
        return _minimax(body)
    if adapter == "elevenlabs" and status == 200:
        listed = isinstance(body, list) and any(
            isinstance(m, dict) and m.get("model_id") == upstream for m in body
        )
        return ProbeResult(listed, "listed" if listed else f"{upstream} is not in /v1/models")
    if 200 <= status < 300:
        return ProbeResult(True, f"HTTP {status}")
    if status in _VALIDATION and adapter in ("fal", "wavespeed"):
        return ProbeResult(True, f"HTTP {status}: the empty input was refused (endpoint found)")
    return ProbeResult(False, f"HTTP {status}{_said(body, response)}")


def _minimax(body: Any) -> ProbeResult:
    base = body.get("base_resp") if isinstance(body, dict) else None
    code = base.get("status_code") if isinstance(base, dict) else None
    message = str(base.get("status_msg", "")) if isinstance(base, dict) else ""
    if code == 2013:
        return ProbeResult(True, f"2013 {message}: the empty input was refused (model found)")
    if code == 1004:
        return ProbeResult(False, f"1004 {message}: the key is refused")
    if code == 0:
        return ProbeResult(True, "accepted")
    return ProbeResult(False, f"{code} {message}".strip())


def _json(response: HttpResponse) -> Any:
    try:
        return orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return None


def _said(body: Any, response: HttpResponse) -> str:
    """``": <the upstream's own words>"``, clipped."""
    text = ""
    if isinstance(body, dict):
        for key in ("detail", "error", "message", "msg"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if value:
                text = value if isinstance(value, str) else orjson.dumps(value).decode()
                break
    elif response.body:
        text = response.body.decode("utf-8", "replace")
    text = " ".join(text.split())
    if len(text) > _TEXT_LIMIT:
        text = text[: _TEXT_LIMIT - 1] + "…"
    return f": {text}" if text else ""


def cancel_request(
    adapter: str, base_url: str, credential: str, upstream: str, answer: Any
) -> HttpRequest | None:
    """A fal probe that was queued after all: its cancel (fal's queue URL convention)."""
    if adapter != "fal" or not isinstance(answer, dict):
        return None
    request_id = answer.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        return None
    app = parse_app(upstream)
    url = f"{base_url.rstrip('/')}/{app.queue_path}/requests/{quote(request_id, safe='')}/cancel"
    headers = {"Authorization": f"Key {credential}", "Accept": "application/json"}
    return HttpRequest("PUT", url, headers=headers)
