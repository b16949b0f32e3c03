"""Send one probe (:mod:`apiinone.providers.probe`) for one bound upstream id and read its
answer: what ``apiinone channels check --live`` and the admin's channel test both run."""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["ProbeOutcome", "run_probe"]


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    ok: bool
    detail: str  # the verdict, with the upstream's own error text; credential scrubbed
    latency_ms: int | None
    http_status: int | None


def run_probe(
    adapter: str, base_url: str, credential: str, upstream: str, *, timeout: float
) -> ProbeOutcome:
    """Blocking (run it in a thread from async code)."""
    import httpx
    import orjson

    from apiinone.providers.http import HttpResponse
    from apiinone.providers.probe import cancel_request, probe_request, read_probe
    from apiinone.redact import Scrubber

    scrub = Scrubber(credential)
    try:
        request = probe_request(adapter, base_url, credential, upstream)
    except ValueError as exc:
        return ProbeOutcome(False, str(exc), None, None)
    started = time.monotonic()
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            answer = client.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                content=orjson.dumps(request.json) if request.json is not None else None,
            )
            latency = int((time.monotonic() - started) * 1000)
            response = HttpResponse(answer.status_code, dict(answer.headers), answer.content)
            result = read_probe(adapter, upstream, response)
            if 200 <= answer.status_code < 300:
                try:
                    body = answer.json()
                except ValueError:
                    body = None
                cancel = cancel_request(adapter, base_url, credential, upstream, body)
                if cancel is not None:
                    client.request(cancel.method, cancel.url, headers=dict(cancel.headers))
    except httpx.HTTPError as exc:
        latency = int((time.monotonic() - started) * 1000)
        return ProbeOutcome(False, scrub.text(f"unreachable: {type(exc).__name__}"), latency, None)
    return ProbeOutcome(result.ok, scrub.text(result.detail), latency, answer.status_code)
