"""One chat request: validate, hold, call the provider, settle — streaming or not."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import orjson
from starlette.responses import Response

from apiinone.auth.models import admit
from apiinone.auth.principal import Principal
from apiinone.billing.holds import CHAT_HOLD_PREFIX
from apiinone.chat.billing import StreamMeter, cost_from_usage, plan_hold
from apiinone.chat.relay import END, IDLE, Relay
from apiinone.chat.request import ignored_by, prepare
from apiinone.chat.trail import ChatTrail, watched
from apiinone.errors import (
    APIError,
    InvalidRequest,
    ServiceUnavailable,
    UpstreamError,
)
from apiinone.providers.base import ProviderContext
from apiinone.providers.chat import ChatProvider, ChatRequest, UpstreamFailure
from apiinone.providers.concurrency import ChannelsBusy, Slot
from apiinone.providers.registry import Channel
from apiinone.runtime import Runtime
from apiinone.wire import EventStream, FastJSON

__all__ = ["run_chat"]

T = TypeVar("T")
CHAT_PATH = "/api/v1/chat/completions"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _error_for(failure: UpstreamFailure) -> APIError:
    if failure.status == 429:
        error: APIError = ServiceUnavailable(f"The provider is rate limiting: {failure.message}")
        if failure.retry_after:
            error.headers = {"Retry-After": str(int(failure.retry_after) or 1)}
        return error
    if 400 <= failure.status < 500 and not failure.retryable:
        return InvalidRequest(f"The provider refused the request: {failure.message}")
    return UpstreamError(f"The provider failed: {failure.message}")


async def _no_fetch(url: str) -> tuple[bytes, str]:
    raise InvalidRequest("chat providers fetch no inputs through the gateway")


async def _settle(gateway: Runtime, hold_id: str, cost: int) -> None:
    await gateway.holds.settle(hold_id, cost)


async def _or_release(gateway: Runtime, hold_id: str, work: Awaitable[T]) -> T:
    """Run ``work``; a failure before any output releases the hold in full."""
    try:
        return await work
    except UpstreamFailure as failure:
        await asyncio.shield(_settle(gateway, hold_id, 0))
        raise _error_for(failure) from failure
    except BaseException:
        await asyncio.shield(_settle(gateway, hold_id, 0))
        raise


async def _first(iterator: AsyncIterator[dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return None


def _failed_over(gateway: Runtime, channel: Channel, failure: UpstreamFailure, last: bool) -> bool:
    """Count a failure before any output; True when the next channel should be tried."""
    if not failure.retryable:
        gateway.providers.report(channel.name, ok=True)  # the request's fault, not the channel's
        return False
    gateway.providers.report(channel.name, ok=False, error=failure.message)
    return not last


async def _complete(
    gateway: Runtime, channels: list[Channel], request: ChatRequest, ctx: ProviderContext
) -> tuple[dict[str, Any], ChatProvider]:
    """The first answer of the channels in order; a full channel (``max_concurrency``) is
    passed over."""
    failed: UpstreamFailure | None = None
    for index, channel in enumerate(channels):
        slot = gateway.providers.slots.take(channel)
        if slot is None:
            continue
        provider: ChatProvider = channel.provider  # type: ignore[assignment]
        try:
            result = await provider.complete(request, ctx)
        except UpstreamFailure as failure:
            if _failed_over(gateway, channel, failure, index == len(channels) - 1):
                failed = failure
                continue
            raise
        finally:
            slot.release()
        gateway.providers.report(channel.name, ok=True)
        return result, provider
    raise _none_left(request, channels, failed)


async def _open_stream(
    gateway: Runtime, channels: list[Channel], request: ChatRequest, ctx: ProviderContext
) -> tuple[AsyncIterator[dict[str, Any]], dict[str, Any] | None, ChatProvider, Slot]:
    """The first stream of the channels in order to give its first chunk, and its slot on
    its channel (held until the stream is over); a full channel is passed over."""
    failed: UpstreamFailure | None = None
    for index, channel in enumerate(channels):
        slot = gateway.providers.slots.take(channel)
        if slot is None:
            continue
        provider: ChatProvider = channel.provider  # type: ignore[assignment]
        iterator = provider.stream(request, ctx).__aiter__()
        try:
            first = await _first(iterator)
        except BaseException as exc:
            slot.release()
            if isinstance(exc, UpstreamFailure) and _failed_over(
                gateway, channel, exc, index == len(channels) - 1
            ):
                failed = exc
                continue
            raise
        gateway.providers.report(channel.name, ok=True)
        return iterator, first, provider, slot
    raise _none_left(request, channels, failed)


def _none_left(
    request: ChatRequest, channels: list[Channel], failed: UpstreamFailure | None
) -> Exception:
    """What to raise when no channel answered: the last failure, else (every channel was
    full) a 503 with Retry-After."""
    if failed is not None:
        return failed
    if channels:
        return ChannelsBusy(request.model)
    return UpstreamError("No provider channel is available")


async def run_chat(
    gateway: Runtime, principal: Principal, body: Any, *, coalesce: bool = False
) -> Response:
    """One chat request's answer. With ``coalesce``, a stream's events that are ready at
    once go out in one write (the bytes are the same; under load, fewer and fuller writes);
    the surfaces that read the answer's events one by one (Messages, Responses, the
    console) leave it off."""
    validated = admit(principal, gateway.catalog, CHAT_PATH, body)
    model = validated.model
    prepared = prepare(model, validated.params)
    params = prepared.params
    options = params.get("stream_options") or {}
    channels = _able(
        gateway.providers.route_chat(model.slug, test=principal.is_test), params.get("n")
    )
    slots = gateway.providers.slots
    if not slots.any_room(channels):  # refused before any hold is written
        slots.refuse_all(channels)
        raise ChannelsBusy(model.slug)
    completion_id = CHAT_HOLD_PREFIX + secrets.token_urlsafe(18)
    plan = plan_hold(model, params)
    held = await gateway.holds.hold(
        account_id=principal.account_id,
        mode=principal.mode,
        amount=plan.amount,
        key_id=principal.key_id,
        task_id=completion_id,
        model=model.slug,
        minimum=plan.minimum,
    )
    trail = ChatTrail(
        gateway.request_log,
        completion_id,
        principal.account_id,
        principal.key_id,
        principal.mode,
        model.slug,
        stream=bool(params.get("stream")),
    )
    ceiling = held.amount
    cap = plan.output_cap(model, ceiling)
    if cap is not None:  # the balance pays for fewer tokens than the default: ask no more
        params = {**params, "max_tokens": cap}
    request = ChatRequest(
        completion_id=completion_id,
        model=model.slug,
        params=params,
        stream=bool(params.get("stream")),
        include_usage=bool(options.get("include_usage")),
        include_thoughts=params.get("include_thoughts") is not False,
        reasoning_effort=prepared.reasoning_effort,
    )
    ctx = ProviderContext(
        session=gateway.session, fetch=_no_fetch, speed=gateway.settings.sandbox_speed
    )

    if not request.stream:
        result, provider = await watched(
            trail, _or_release(gateway, held.hold_id, _complete(gateway, channels, request, ctx))
        )
        for choice in result.get("choices") or ():
            choice.setdefault("logprobs", None)
            message = choice.setdefault("message", {})
            message.setdefault("content", None)
            message.setdefault("refusal", None)
        cost = cost_from_usage(model, result.get("usage") or {}, ceiling)
        await _settle(gateway, held.hold_id, cost)
        trail.finish("succeeded", credits=cost, usage=result.get("usage"))
        result["id"] = request.completion_id
        result["model"] = model.slug
        result["credits_consumed"] = cost
        headers = {"X-Credits-Consumed": str(cost)}
        return FastJSON(result, headers=_with_ignored(headers, provider, body, prepared.dropped))

    meter = StreamMeter(model=model, params=params, ceiling=ceiling)
    # Fail (or fail over) before sending headers when a provider fails before its first chunk.
    iterator, first, provider, slot = await watched(
        trail, _or_release(gateway, held.hold_id, _open_stream(gateway, channels, request, ctx))
    )

    keepalive = gateway.settings.chat_keepalive_seconds

    async def events() -> AsyncIterator[bytes]:
        relay: Relay | None = None
        status, error = "succeeded", None
        ready: list[bytes] = []  # events not yet written
        try:
            chunk: Any = END if first is None else first
            while chunk is not END:
                if chunk is IDLE:
                    ready.append(b": keep-alive\n\n")
                else:
                    chunk["id"] = request.completion_id
                    chunk["model"] = model.slug
                    meter.observe(chunk)
                    if chunk.get("choices") or request.include_usage:
                        trail.first_byte()
                        ready.append(b"data: " + orjson.dumps(chunk) + b"\n\n")
                if relay is None:
                    relay = Relay(iterator)
                chunk = relay.ready() if coalesce else None
                if chunk is None:  # nothing more at hand: write what is ready, then wait
                    if ready:
                        yield b"".join(ready)
                        ready.clear()
                    chunk = await relay.next(keepalive)
            final = b"data: [DONE]\n\n"
        except UpstreamFailure as failure:
            final = b"data: " + orjson.dumps(_error_for(failure).body()) + b"\n\n"
            status, error = "failed", failure.message
        except BaseException:
            trail.finish("canceled", credits=meter.cost(), usage=meter.usage, meter=meter)
            # The client went away (or the server is stopping): stop the upstream request
            # and settle in the background, by what was delivered.
            settle = asyncio.ensure_future(
                _close_and_settle(gateway, iterator, relay, slot, held.hold_id, meter)
            )
            gateway.background.add(settle)
            settle.add_done_callback(gateway.background.discard)
            raise
        # Settle before the last event, so the client that reads it sees the final books.
        await _close_and_settle(gateway, iterator, relay, slot, held.hold_id, meter)
        trail.finish(status, credits=meter.cost(), usage=meter.usage, meter=meter, error=error)
        ready.append(final)
        yield b"".join(ready)

    headers = _with_ignored(dict(STREAM_HEADERS), provider, body, prepared.dropped)
    return EventStream(events(), headers=headers)


def _able(channels: list[Channel], n: Any) -> list[Channel]:
    """The channels that can give ``n`` choices in one request; a 400 naming the limit when
    none can."""
    wanted = int(n or 1)
    able = [c for c in channels if _most_choices(c) >= wanted]
    if able or not channels:
        return able or channels
    limit = max(_most_choices(c) for c in channels)
    raise InvalidRequest(
        f"'n' must be at most {limit} for this model (its provider gives at most {limit} "
        "choices per request)",
        param="n",
    )


def _most_choices(channel: Channel) -> int:
    provider: ChatProvider = channel.provider  # type: ignore[assignment]
    return provider.max_choices


def _with_ignored(
    headers: dict[str, str], provider: ChatProvider, body: Any, dropped: tuple[str, ...]
) -> dict[str, str]:
    ignored = ignored_by(provider, body, dropped)
    if ignored:
        headers["X-Ignored-Params"] = ignored
    return headers


async def _close_and_settle(
    gateway: Runtime,
    iterator: AsyncIterator[dict[str, Any]],
    relay: Relay | None,
    slot: Slot,
    hold_id: str,
    meter: StreamMeter,
) -> None:
    """Close the upstream stream and free its channel slot, then settle the hold by the
    stream billing rule."""
    try:
        with contextlib.suppress(BaseException):
            if relay is not None:
                await relay.stop()
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
    finally:
        slot.release()
    await _settle(gateway, hold_id, meter.cost())
