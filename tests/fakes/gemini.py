"""A fake Gemini API on loopback: ``POST /v1beta/models/{model}:generateContent`` and
``:streamGenerateContent?alt=sse``, in the documented wire format.

- The key must come in ``x-goog-api-key`` (missing: 403 PERMISSION_DENIED; wrong: 400
  INVALID_ARGUMENT with ``API_KEY_INVALID``, as Google answers); an unknown model is 404.
- The body is checked like the real API does: unknown fields, empty ``contents``, roles other
  than ``user``/``model``, ``thinkingLevel`` together with ``thinkingBudget``,
  ``responseJsonSchema`` without a JSON ``responseMimeType``, and Gemini 3's rule that the
  function calls of the current turn carry a thought signature (one we issued, or Google's
  documented ``skip_thought_signature_validator``) are 400 INVALID_ARGUMENT.
- Answers: ``Echo: <last user text>``, with a thought part first when ``includeThoughts``
  (``thinkingLevel`` low thinks less); a ``functionCall`` (signed) when tools are declared and
  the prompt says "call" (or the mode is ANY); JSON (an instance of ``responseJsonSchema``)
  when ``responseMimeType`` is JSON; after a ``functionResponse`` it reports the tool's answer.
  ``maxOutputTokens`` cuts words (MAX_TOKENS), ``stopSequences`` cut text. Tokens are words.
- Streams: several ``data:`` events (``\\r\\n\\r\\n`` apart), usage in each, no ``[DONE]``.
- Knobs in the last user text: ``gemini:429`` (RESOURCE_EXHAUSTED with RetryInfo 7s),
  ``gemini:500``, ``gemini:malformed`` (an HTML body), ``gemini:reset`` (drop the connection),
  ``gemini:stall`` (30 s of silence), ``gemini:blocked`` (``promptFeedback.blockReason``),
  ``gemini:midstream`` (an error event after 2 events), ``gemini:slow`` (30 events 0.1 s apart).

Records every request (``.requests``) and streams the client left (``.disconnects``).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.schemas import subject, summary, violations

__all__ = ["SKIP_SIGNATURE", "FakeGemini", "Recorded"]

SKIP_SIGNATURE = "skip_thought_signature_validator"
TOP_FIELDS = {
    "contents",
    "systemInstruction",
    "tools",
    "toolConfig",
    "generationConfig",
    "safetySettings",
    "cachedContent",
}
CONFIG_FIELDS = {
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "candidateCount",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "thinkingConfig",
}
PART_DATA = ("text", "inlineData", "fileData", "functionCall", "functionResponse")
LEVELS = {"minimal", "low", "medium", "high"}


@dataclass
class Recorded:
    model: str
    method: str
    query: dict[str, str]
    body: dict[str, Any]


class _Refused(Exception):
    def __init__(self, status: int, kind: str, message: str, details: list[Any] | None = None):
        super().__init__(message)
        self.response = _error(status, kind, message, details)


def _error(status: int, kind: str, message: str, details: list[Any] | None = None) -> web.Response:
    error: dict[str, Any] = {"code": status, "message": message, "status": kind}
    if details:
        error["details"] = details
    return web.json_response({"error": error}, status=status)


def _words(text: str) -> int:
    return len(text.split())


def _instance(schema: Any, name: str = "value") -> Any:
    """A small instance of a JSON Schema, enough to satisfy its types and required fields."""
    if not isinstance(schema, dict):
        return name
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {key: _instance(sub, key) for key, sub in props.items()}
    if kind == "array":
        return [_instance(schema.get("items") or {}, name)]
    if kind == "integer":
        return 3
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    return f"{name}-sample"


class FakeGemini:
    def __init__(
        self, *, key: str = "AIza-fake-gemini-key", models: tuple[str, ...] = ("gemini-3-flash",)
    ) -> None:
        self.key = key
        self.models = models
        self.requests: list[Recorded] = []
        self.disconnects: list[float] = []
        self.finished_streams = 0
        self.issued: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeGemini:
        app = web.Application()
        app.router.add_post("/v1beta/models/{target}", self._handle)
        # A client that goes away cancels its handler (a stall or a slow stream stops at once).
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/v1beta"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---------------------------------------------------------------- the handler

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        given = request.headers.get("x-goog-api-key")
        if not given:
            return _error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )
        if given != self.key:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                    }
                ],
            )
        model, _, method = request.match_info["target"].partition(":")
        if method not in ("generateContent", "streamGenerateContent"):
            return _error(404, "NOT_FOUND", f"Method {method!r} is not found.")
        if model not in self.models:
            return _error(
                404,
                "NOT_FOUND",
                f"models/{model} is not found for API version v1beta, or is not supported "
                f"for {method}.",
            )
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        if not isinstance(body, dict):
            return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        self.requests.append(Recorded(model, method, dict(request.query), body))
        try:
            self._validate(body)
        except _Refused as refused:
            return refused.response
        problems = violations("gemini", *subject("gemini", request.path, body))
        if problems:  # Google's answer to a body its schema refuses
            return _error(
                400, "INVALID_ARGUMENT", f"Invalid JSON payload received. {summary(problems)}"
            )
        last = self._last_user_text(body)
        if "gemini:429" in last:
            return _error(
                429,
                "RESOURCE_EXHAUSTED",
                "You exceeded your current quota, please check your plan and billing details.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}],
                    },
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"},
                ],
            )
        if "gemini:500" in last:
            return _error(500, "INTERNAL", "An internal error has occurred. Please retry.")
        if "gemini:malformed" in last:
            return web.Response(
                status=200,
                body=b"<html><body>upstream proxy error</body></html>",
                content_type="text/html",
            )
        if "gemini:stall" in last:
            await asyncio.sleep(30)
        if "gemini:reset" in last and method == "generateContent":
            assert request.transport is not None
            request.transport.abort()
            return web.Response()
        if "gemini:blocked" in last:
            if method == "generateContent" or request.query.get("alt") != "sse":
                return web.json_response(self._blocked(body, model))
            blocked = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await blocked.prepare(request)
            await blocked.write(b"data: " + orjson.dumps(self._blocked(body, model)) + b"\r\n\r\n")
            return blocked
        if method == "generateContent":
            return web.json_response(self._answer(body, model))
        return await self._stream(request, body, model, last)

    # ---------------------------------------------------------------- validation

    def _validate(self, body: dict[str, Any]) -> None:
        def bad(message: str) -> _Refused:
            return _Refused(400, "INVALID_ARGUMENT", message)

        for name in body:
            if name not in TOP_FIELDS:
                raise bad(
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.'
                )
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            raise bad("* GenerateContentRequest.contents: contents is not specified")
        for content in contents:
            if content.get("role") not in ("user", "model"):
                raise bad("Please use a valid role: user, model.")
            parts = content.get("parts")
            if not isinstance(parts, list) or not parts:
                raise bad(
                    "* GenerateContentRequest.contents.parts: contents.parts must not be empty."
                )
            for part in parts:
                if sum(1 for key in PART_DATA if key in part) != 1:
                    raise bad(
                        "* GenerateContentRequest.contents.parts.data: required oneof field 'data' must have one initialized field"
                    )
                response = part.get("functionResponse")
                if response is not None and not isinstance(response.get("response"), dict):
                    raise bad("functionResponse.response must be an object")
        config = body.get("generationConfig") or {}
        for name in config:
            if name not in CONFIG_FIELDS:
                raise bad(
                    f"Invalid JSON payload received. Unknown name \"{name}\" at 'generation_config': Cannot find field."
                )
        thinking = config.get("thinkingConfig") or {}
        if "thinkingLevel" in thinking and "thinkingBudget" in thinking:
            raise bad("You can only set only one of thinking budget and thinking level.")
        if "thinkingLevel" in thinking and str(thinking["thinkingLevel"]).lower() not in LEVELS:
            raise bad(
                f"Invalid value at 'generation_config.thinking_config.thinking_level' ({thinking['thinkingLevel']})"
            )
        if ("responseJsonSchema" in config or "responseSchema" in config) and config.get(
            "responseMimeType"
        ) != "application/json":
            raise bad("responseMimeType must be application/json when a response schema is set.")
        for tool in body.get("tools") or ():
            for declaration in tool.get("functionDeclarations") or ():
                if not re.fullmatch(
                    r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}", str(declaration.get("name"))
                ):
                    raise bad(
                        "* GenerateContentRequest.tools[0].function_declarations[0].name: Invalid function name."
                    )
                if "parameters" in declaration and "parametersJsonSchema" in declaration:
                    raise bad("parameters and parametersJsonSchema are mutually exclusive.")
        self._check_signatures(contents)

    def _check_signatures(self, contents: list[dict[str, Any]]) -> None:
        """Gemini 3: each model step of the current turn must sign its first function call."""
        start = 0
        for position, content in enumerate(contents):
            if content["role"] == "user" and any("text" in p for p in content["parts"]):
                start = position
        for position, content in enumerate(contents[start:], start):
            calls = [p for p in content["parts"] if "functionCall" in p]
            if content["role"] != "model" or not calls:
                continue
            signature = calls[0].get("thoughtSignature")
            if signature != SKIP_SIGNATURE and signature not in self.issued:
                name = calls[0]["functionCall"].get("name")
                raise _Refused(
                    400,
                    "INVALID_ARGUMENT",
                    f"Function call is missing a thought_signature in functionCall parts. "
                    f"Additional data, function call `default_api:{name}` , position {position}.",
                )

    @staticmethod
    def _last_user_text(body: dict[str, Any]) -> str:
        for content in reversed(body.get("contents") or []):
            if content.get("role") == "user":
                return " ".join(str(p["text"]) for p in content.get("parts") or [] if "text" in p)
        return ""

    # ---------------------------------------------------------------- answers

    def _prompt_tokens(self, body: dict[str, Any]) -> int:
        texts = [
            p.get("text", "") for p in (body.get("systemInstruction") or {}).get("parts") or []
        ]
        for content in body["contents"]:
            for part in content["parts"]:
                if "text" in part:
                    texts.append(part["text"])
                elif "functionResponse" in part or "functionCall" in part:
                    texts.append(orjson.dumps(part).decode().replace(",", " "))
                else:
                    texts.append("media " * 8)
        return sum(_words(t) for t in texts) + 2

    @staticmethod
    def _thinking(body: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """(the thought parts shown, the thought tokens spent): low thinks less, 0 not at all."""
        thinking = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
        level = str(thinking.get("thinkingLevel") or "high").lower()
        if thinking.get("thinkingBudget") == 0:
            return [], 0
        thought = (
            "Quick check of the request."
            if level in ("low", "minimal")
            else "Let me think about the request step by step before I answer it."
        )
        shown = [{"text": thought, "thought": True}] if thinking.get("includeThoughts") else []
        return shown, _words(thought)

    def _function_call(self, body: dict[str, Any], last: str) -> dict[str, Any] | None:
        declarations = [
            d for t in body.get("tools") or () for d in t.get("functionDeclarations") or ()
        ]
        calling = ((body.get("toolConfig") or {}).get("functionCallingConfig")) or {}
        mode = calling.get("mode", "AUTO")
        contents = body["contents"]
        after_tool = any("functionResponse" in p for p in contents[-1]["parts"])
        if not declarations or mode == "NONE" or after_tool:
            return None
        if mode != "ANY" and not re.search(r"\bcall\b", last, re.IGNORECASE):
            return None
        allowed = calling.get("allowedFunctionNames") or []
        chosen = next((d for d in declarations if d["name"] in allowed), None) or next(
            (d for d in declarations if d["name"] in last), declarations[0]
        )
        schema = (
            chosen.get("parametersJsonSchema") or chosen.get("parameters") or {"type": "object"}
        )
        return {"name": chosen["name"], "args": _instance(schema)}

    def _text(self, body: dict[str, Any], last: str) -> str:
        config = body.get("generationConfig") or {}
        contents = body["contents"]
        responses = [
            p["functionResponse"] for p in contents[-1]["parts"] if "functionResponse" in p
        ]
        if config.get("responseMimeType") == "application/json":
            schema = config.get("responseJsonSchema") or config.get("responseSchema")
            value = _instance(schema) if schema else {"echo": last}
            return orjson.dumps(value).decode()
        if responses:
            said = "; ".join(
                f"{r['name']} said {orjson.dumps(r['response']).decode()}" for r in responses
            )
            return f"The tool answered: {said}"
        return f"Echo: {last}"

    def _candidate_parts(
        self, body: dict[str, Any], last: str
    ) -> tuple[list[dict[str, Any]], int, int, str]:
        """(parts, candidate tokens, thought tokens, finishReason)."""
        thoughts, thought_tokens = self._thinking(body)
        call = self._function_call(body, last)
        if call is not None:
            signature = base64.b64encode(os.urandom(24)).decode()
            self.issued.add(signature)
            part = {"functionCall": call, "thoughtSignature": signature}
            return (
                [*thoughts, part],
                _words(orjson.dumps(call).decode().replace(",", " ")),
                thought_tokens,
                "STOP",
            )
        config = body.get("generationConfig") or {}
        text, finish = self._text(body, last), "STOP"
        for stop in config.get("stopSequences") or ():
            if stop in text:
                text = text[: text.index(stop)]
        limit = config.get("maxOutputTokens")
        if isinstance(limit, int) and _words(text) > limit:
            text, finish = " ".join(text.split()[:limit]), "MAX_TOKENS"
        return [*thoughts, {"text": text}], _words(text), thought_tokens, finish

    def _usage(self, prompt: int, candidates: int, thoughts: int) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "promptTokenCount": prompt,
            "candidatesTokenCount": candidates,
            "totalTokenCount": prompt + candidates + thoughts,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
        }
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        return usage

    def _answer(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        last = self._last_user_text(body)
        count = int((body.get("generationConfig") or {}).get("candidateCount") or 1)
        candidates, out, thinking = [], 0, 0
        for index in range(count):
            parts, tokens, thoughts, finish = self._candidate_parts(body, last)
            out, thinking = out + tokens, thinking + thoughts
            candidates.append(
                {
                    "content": {"parts": parts, "role": "model"},
                    "finishReason": finish,
                    "index": index,
                }
            )
        return {
            "candidates": candidates,
            "usageMetadata": self._usage(self._prompt_tokens(body), out, thinking),
            "modelVersion": model,
            "responseId": base64.urlsafe_b64encode(os.urandom(9)).decode(),
        }

    def _blocked(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        prompt = self._prompt_tokens(body)
        return {
            "promptFeedback": {
                "blockReason": "SAFETY",
                "safetyRatings": [
                    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}
                ],
            },
            "usageMetadata": {"promptTokenCount": prompt, "totalTokenCount": prompt},
            "modelVersion": model,
            "responseId": base64.urlsafe_b64encode(os.urandom(9)).decode(),
        }

    # ---------------------------------------------------------------- streaming

    def _events(self, body: dict[str, Any], model: str, last: str) -> list[dict[str, Any]]:
        answer = self._answer(body, model)
        candidate = answer["candidates"][0]
        usage = answer["usageMetadata"]
        prompt = usage["promptTokenCount"]
        parts = candidate["content"]["parts"]
        pieces: list[list[dict[str, Any]]] = []
        for part in parts:
            if "text" in part and not part.get("thought"):
                words = (["w"] * 30) if "gemini:slow" in last else part["text"].split(" ")
                for start in range(0, len(words), 3):
                    pieces.append(
                        [
                            {
                                "text": " ".join(words[start : start + 3])
                                + (" " if start + 3 < len(words) else "")
                            }
                        ]
                    )
            else:
                pieces.append([part])
        while len(pieces) < 3:
            pieces.append([{"text": ""}])
        events = []
        for position, piece in enumerate(pieces):
            final = position == len(pieces) - 1
            event: dict[str, Any] = {
                "candidates": [{"content": {"parts": piece, "role": "model"}, "index": 0}],
                "usageMetadata": usage
                if final
                else {"promptTokenCount": prompt, "totalTokenCount": prompt},
                "modelVersion": model,
                "responseId": answer["responseId"],
            }
            if final:
                event["candidates"][0]["finishReason"] = candidate["finishReason"]
            events.append(event)
        return events

    async def _stream(
        self, request: web.Request, body: dict[str, Any], model: str, last: str
    ) -> web.StreamResponse:
        events = self._events(body, model, last)
        if request.query.get("alt") != "sse":
            return web.json_response(events)  # without alt=sse the API answers a JSON array
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        try:
            for index, event in enumerate(events):
                if "gemini:midstream" in last and index == 2:
                    error = {
                        "error": {
                            "code": 500,
                            "message": "An internal error has occurred. Please retry.",
                            "status": "INTERNAL",
                        }
                    }
                    await response.write(b"data: " + orjson.dumps(error) + b"\r\n\r\n")
                    return response
                if "gemini:reset" in last and index == 1:
                    assert request.transport is not None
                    request.transport.abort()
                    return response
                if "gemini:slow" in last:
                    await asyncio.sleep(0.1)
                await response.write(b"data: " + orjson.dumps(event) + b"\r\n\r\n")
            self.finished_streams += 1
        except (ConnectionResetError, asyncio.CancelledError):
            self.disconnects.append(time.monotonic())
            raise
        return response
