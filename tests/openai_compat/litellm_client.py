"""LiteLLM calls, run by the LiteLLM venv's Python (not the gateway's: LiteLLM pins another
openai). Reads one order per line on stdin, ``{"call": ..., "kwargs": {...}}``, and answers
each with one JSON line:
``{"result": ..., "chunks": [...], "binary": hex, "refused_hosts": [...], "error": ...}``
(LiteLLM is imported once for all of a module's calls; ``refused_hosts`` is per call).

Name resolution is limited to loopback: any other host LiteLLM tries to reach is refused and
listed in ``refused_hosts`` (the tests assert the list is empty).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import traceback
from typing import Any

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
refused: list[str] = []
_getaddrinfo = socket.getaddrinfo


def _loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name not in LOOPBACK:
        refused.append(name)
        raise OSError(f"refused: {name} is not loopback")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _loopback_only  # type: ignore[assignment]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_TELEMETRY", "False")

import litellm  # type: ignore[import-not-found]  # noqa: E402

litellm.telemetry = False


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return value


def one(order: dict[str, Any]) -> dict[str, Any]:
    call, kwargs = order["call"], order["kwargs"]
    refused.clear()
    out: dict[str, Any] = {"result": None, "chunks": [], "binary": None, "error": None}
    try:
        if call == "completion":
            answer = litellm.completion(**kwargs)
            if kwargs.get("stream"):
                out["chunks"] = [_dump(chunk) for chunk in answer]
            else:
                out["result"] = _dump(answer)
        elif call == "image_generation":
            out["result"] = _dump(litellm.image_generation(**kwargs))
        elif call == "speech":
            out["binary"] = litellm.speech(**kwargs).content.hex()
        else:
            raise ValueError(f"unknown call {call}")
    except Exception as exc:  # the test reads the failure from the JSON
        out["error"] = {
            "trace": traceback.format_exc()[-3000:],
            "type": type(exc).__name__,
            "status_code": getattr(exc, "status_code", None),
            "message": str(exc)[:2000],
        }
    out["refused_hosts"] = list(refused)
    return out


def main() -> None:
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(json.dumps(one(json.loads(line)), default=str) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
