"""The webhook dispatcher: claims due deliveries, POSTs them signed, schedules retries.

Deliveries are rows, so they outlive the process: a delivery claimed by a dispatcher that
died is taken over once its lease expires. A delivery can therefore arrive more than once;
every attempt carries the same ``webhook-id`` so receivers can drop duplicates.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from apiinone.db.engine import Database, now_ms
from apiinone.net.guard import UrlGuard
from apiinone.sealing import Sealer
from apiinone.webhooks.deliveries import (
    Attempt,
    Claim,
    Outcome,
    claim_due,
    next_due_at,
    record_attempt,
    release,
    requeue_delivery,
)
from apiinone.webhooks.retry import next_delay, parse_retry_after
from apiinone.webhooks.secrets import ensure_secret
from apiinone.webhooks.signing import signed_headers
from apiinone.webhooks.status import DeliveryStatus

__all__ = ["WebhookDispatcher"]

log = logging.getLogger("apiinone.webhooks")

MAX_IDLE_SECONDS = 1.0
MIN_IDLE_SECONDS = 0.005
ERROR_LIMIT = 500


@dataclass(frozen=True, slots=True)
class _Answer:
    """What one POST got: a status (and Retry-After), or an error text."""

    status_code: int | None
    retry_after: float | None = None
    error: str | None = None


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    cause = exc.__cause__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text} ({cause})"
    return text


class WebhookDispatcher:
    def __init__(
        self,
        db: Database,
        session_factory: Callable[[], aiohttp.ClientSession],
        *,
        schedule: Sequence[float],
        timeout: float,
        lease_seconds: float = 60,
        jitter: float = 0.1,
        concurrency: int = 16,
        guard: UrlGuard | None = None,
        sealer: Sealer,
    ) -> None:
        """``guard``, when given, is checked before each POST (docs/ssrf.md); the gateway's
        session (``UrlGuard.session``) checks again at connect time. Redirects are never
        followed: a 3xx answer is a failed attempt. ``sealer`` opens the accounts' signing
        secrets."""
        if not schedule:
            raise ValueError("the webhook retry schedule needs at least one entry")
        if timeout <= 0 or lease_seconds <= timeout:
            raise ValueError("lease_seconds must be longer than the delivery timeout")
        if not 0 <= jitter < 1 or concurrency < 1:
            raise ValueError("jitter must be in [0, 1) and concurrency at least 1")
        self._db = db
        self._session_factory = session_factory
        self._schedule = tuple(float(s) for s in schedule)
        self._timeout = timeout
        self._lease_ms = int(lease_seconds * 1000)
        self._first_delay_ms = int(max(0.0, self._schedule[0]) * 1000)
        self._jitter = jitter
        self._concurrency = concurrency
        self._guard = guard
        self._sealer = sealer
        self._random = random.Random()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due deliveries now (called after an enqueue commits)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim what is due (up to the concurrency), deliver it; how many were attempted."""
        claims = await self._claim(self._concurrency, busy=())
        await asyncio.gather(*(self._deliver(claim) for claim in claims))
        return len(claims)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; unfinished attempts are abandoned and their leases
        given back, so they are sent again later."""
        in_flight: dict[str, tuple[Claim, asyncio.Task[None]]] = {}
        stopping = asyncio.create_task(stop.wait())

        def finished(delivery_id: str, task: asyncio.Task[None]) -> None:
            in_flight.pop(delivery_id, None)
            if not task.cancelled() and (exc := task.exception()) is not None:
                log.error("webhook delivery %s failed", delivery_id, exc_info=exc)
            self._wake.set()

        try:
            while not stop.is_set():
                self._wake.clear()
                idle = MAX_IDLE_SECONDS
                try:
                    free = self._concurrency - len(in_flight)
                    claims = await self._claim(free, busy=in_flight.keys())
                    for claim in claims:
                        task = asyncio.create_task(self._deliver(claim))
                        in_flight[claim.id] = (claim, task)
                        task.add_done_callback(functools.partial(finished, claim.id))
                    if len(claims) < free:
                        idle = await self._idle_seconds()
                except Exception:
                    log.exception("webhook dispatcher: claiming due deliveries failed")
                await self._sleep(idle, stopping)
        finally:
            stopping.cancel()
            await self._abandon([entry for entry in in_flight.values()])

    async def redeliver(self, db: Database, account_id: str, delivery_id: str) -> None:
        """Send a delivery again (same ``webhook-id``); NotFound unless the account owns it."""
        await requeue_delivery(db, account_id, delivery_id)
        self.wake()

    async def _claim(self, limit: int, busy: Iterable[str]) -> list[Claim]:
        return await claim_due(
            self._db,
            lease_ms=self._lease_ms,
            limit=limit,
            first_delay_ms=self._first_delay_ms,
            busy=list(busy),
        )

    async def _idle_seconds(self) -> float:
        due = await next_due_at(self._db, first_delay_ms=self._first_delay_ms)
        if due is None:
            return MAX_IDLE_SECONDS
        return min(MAX_IDLE_SECONDS, max(MIN_IDLE_SECONDS, (due - now_ms()) / 1000))

    async def _sleep(self, seconds: float, stopping: asyncio.Task[bool]) -> None:
        if self._wake.is_set():
            return
        waking = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait(
                {waking, stopping}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waking.cancel()

    async def _abandon(self, entries: list[tuple[Claim, asyncio.Task[None]]]) -> None:
        for _, task in entries:
            task.cancel()
        await asyncio.gather(*(task for _, task in entries), return_exceptions=True)
        try:
            await release(self._db, (claim for claim, _ in entries))
        except Exception:
            log.exception("webhook dispatcher: giving back leases failed")

    async def _deliver(self, claim: Claim) -> None:
        attempt_no = claim.attempts + 1
        secret = await ensure_secret(self._db, self._sealer, claim.account_id)
        started_at = now_ms()
        clock = time.monotonic()
        answer = await self._post(claim, secret)
        duration_ms = int((time.monotonic() - clock) * 1000)
        code = answer.status_code
        success = code is not None and 200 <= code < 300
        error = answer.error.replace(secret, "[secret]") if answer.error else None
        attempt = Attempt(
            attempt=attempt_no,
            started_at=started_at,
            duration_ms=duration_ms,
            status_code=code,
            error=error[:ERROR_LIMIT] if error else None,
            success=success,
        )
        outcome = self._outcome(answer, attempt_no, success)
        if not await record_attempt(self._db, claim, attempt, outcome):
            log.warning("webhook delivery %s: lease taken over during attempt", claim.id)

    async def _post(self, claim: Claim, secret: str) -> _Answer:
        body = claim.payload.encode("utf-8")
        headers = signed_headers(secret, claim.id, datetime.now(UTC), body)
        try:
            if self._guard is not None:
                await self._guard.check(claim.url)
            session = self._session_factory()
            async with session.post(
                claim.url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), now=datetime.now(UTC)
                )
                redirect = 300 <= response.status < 400
                return _Answer(
                    status_code=response.status,
                    retry_after=retry_after,
                    error="redirects are not followed" if redirect else None,
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure to reach the receiver is a failed attempt
            return _Answer(status_code=None, error=_describe(exc, self._timeout))

    def _outcome(self, answer: _Answer, attempts: int, success: bool) -> Outcome:
        if success:
            return Outcome(DeliveryStatus.DELIVERED)
        if answer.status_code == 410:
            return Outcome(DeliveryStatus.DISABLED)
        delay = next_delay(
            self._schedule,
            attempts,
            jitter=self._jitter,
            retry_after=answer.retry_after,
            rng=self._random,
        )
        if delay is None:
            return Outcome(DeliveryStatus.FAILED)
        return Outcome(DeliveryStatus.RETRYING, now_ms() + int(delay * 1000))
