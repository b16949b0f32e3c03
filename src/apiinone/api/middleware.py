"""The outermost pure-ASGI layer: request ids, what a request may carry (its body's size,
arrival time and JSON nesting; no NUL character anywhere), rate-limit headers, one log line
for a client that went away, and the error JSON for an exception no inner layer handled."""

from __future__ import annotations

import logging
import re
import secrets

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiinone.api.body import BodyReader, Checked
from apiinone.api.errors import error_response, unexpected_response
from apiinone.errors import APIError, InvalidRequest, PayloadTooLarge

__all__ = ["RequestContextMiddleware"]

log = logging.getLogger("apiinone.requests")

_GOOD_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
# Bodies the framework parses as JSON: no Content-Type, or application/json or */*+json. The
# gateway's own JSON parsing (``parse_json_object``) checks whatever the type says.
_JSON_TYPE = re.compile(rb"^\s*application/(?:[^;\s]*\+)?json\s*(?:;|$)", re.IGNORECASE)
_FORM_TYPE = re.compile(rb"^\s*application/x-www-form-urlencoded", re.IGNORECASE)


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_json_depth: int,
        body_timeout_seconds: float,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.body_timeout = body_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = b""
        length: int | None = None
        chunked = False
        json_typed = True
        form_typed = False
        for name, value in scope["headers"]:
            if name == b"x-request-id" and _GOOD_ID.match(value):
                request_id = value
            elif name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-type":
                json_typed = _JSON_TYPE.match(value) is not None
                form_typed = _FORM_TYPE.match(value) is not None
        if not request_id:
            request_id = ("req_" + secrets.token_hex(8)).encode()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id.decode()

        if length is not None and length > self.max_body_bytes:
            await self._too_large(send, request_id)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            # PostgreSQL cannot store or compare it in text; no id or name has it.
            refused = InvalidRequest("The request's path or query holds a NUL character (%00)")
            await error_response(refused)(scope, receive, send)
            return

        checked: Checked = "json" if json_typed else "form" if form_typed else None
        started = False
        finished = False

        def went_away() -> None:
            if not finished:
                _went_away(scope, state, started)

        body = BodyReader(
            receive,
            expected=chunked or bool(length),
            checked=checked,
            max_bytes=self.max_body_bytes,
            max_json_depth=self.max_json_depth,
            timeout=self.body_timeout,
            on_disconnect=went_away,
        )

        async def send_with_headers(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                if b"x-request-id" not in present:
                    headers.append((b"x-request-id", request_id))
                decision = state.get("ratelimit")
                if decision is not None:
                    headers.extend(h for h in decision.raw_headers() if h[0] not in present)
                if not body.done and b"connection" not in present:
                    # The rest of an unread body would be taken for the next request, and a
                    # client that never sends it would hold the connection: close it.
                    headers.append((b"connection", b"close"))
                message["headers"] = headers
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        try:
            await self.app(scope, body.receive, send_with_headers)
        except ClientDisconnect:
            _went_away(scope, state, started)  # nobody is left to answer
        except APIError as error:  # raised by the body's limits under a layer that let it pass
            if started:
                raise
            await error_response(error)(scope, receive, send_with_headers)
        except Exception as exc:
            if started:
                raise  # the answer is under way: the server closes the connection
            await unexpected_response(scope, exc)(scope, receive, send_with_headers)
        finally:
            body.close()

    async def _too_large(self, send: Send, request_id: bytes) -> None:
        body = orjson.dumps(
            PayloadTooLarge(f"The request body is larger than {self.max_body_bytes} bytes").body()
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _went_away(scope: Scope, state: dict[str, object], started: bool) -> None:
    """One line, no traceback: a client that closes its connection is not an error."""
    if state.get("went_away"):
        return
    state["went_away"] = True
    log.info(
        "client disconnected request_id=%s %s %s (%s)",
        state.get("request_id", "-"),
        scope.get("method", "-"),
        scope.get("path", "-"),
        "during the answer" if started else "before the answer",
    )
