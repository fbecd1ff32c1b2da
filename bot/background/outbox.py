"""The outbox sender: delivers what the backend wrote to the outbox table (storage/outbox.py).

One loop per process. Each round claims due rows with a lease (only each recipient's oldest pending
push, so a person's pushes arrive in order), hands each to the delivery adapter registered for its
`platform`, and records the outcome:

    sent               the adapter delivered it (its channel is kept)
    TransientError     retried later, with exponential backoff and jitter; after `give_up_s` -> failed
    PermanentError     failed, with the platform's code and message
    Undeliverable      no channel can carry it (e.g. outside WeChat's 48 h window, no template) -> undeliverable
    AccountError       the platform refused our account's set-up (48001, an IP not on the allow-list, …): the
                       push stays queued and the platform's queue is paused (storage/pauses.py); one push is
                       tried every `pause_retry_s`, and the first that goes through resumes the queue

A push to staff that ends undeliverable or failed, and a pause, raise an alarm (backend/alarms.py: the
supervisors are told by whatever route they have; /healthz says `staff_undeliverable`).

Every row ends in one of these states or is still pending: nothing is dropped silently. The claim is
committed before anything is sent, then the start of the API request that delivers it (`sending_at`,
written when the API client calls `send_starting()`, after the channel is chosen and the token is in
hand), then the outcome. A process killed in between leaves its rows leased; when the lease runs out,
rows it had not started are sent by another process, and a row whose request had begun is marked
`interrupted` and not sent again:
WeChat's message APIs take no idempotency key, so that push may or may not have arrived, and sending it
again is how an officer gets the same case twice. Staff see interrupted pushes with the other delivery
problems; the case itself is unaffected (an officer's 待办 and the 1315 reminders still show it, a
resident's 我的工单 still shows its status). An adapter whose platform drops repeats itself declares
`resend_safe = True` (WeCom, with its duplicate check) and its interrupted rows are simply sent again; so is
a single call that the platform deduplicates for a while (a template message's client_msg_id): the API
client passes `resend_safe_s` to `send_starting`, and the row is sent again until then.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Protocol

from backend import alarms
from bot.backoff import backoff_s
from bot.errors import AccountError, PermanentError, TransientError
from storage import outbox, pauses
from storage.db import Database
from storage.outbox import Claimed

log = logging.getLogger(__name__)


# Set by the sender around one push's delivery: notes in the database that its API request starts now.
_starting: ContextVar[Callable[[float], Awaitable[None]] | None] = ContextVar("outbox_send_starting", default=None)


class LeaseLost(Exception):
    """Another process has taken the push over: this one must not send it."""


async def send_starting(resend_safe_s: float = 0) -> None:
    """Called by an API client right before the HTTP request that delivers a push (a no-op elsewhere);
    `resend_safe_s`: the platform drops a repeat of this request for that long."""
    starting = _starting.get()
    if starting is not None:
        await starting(resend_safe_s)


@dataclass(frozen=True)
class Sent:
    channel: str  # e.g. custom | template | subscribe (WeChat), textcard (WeCom)


@dataclass(frozen=True)
class Undeliverable:
    code: str  # short, stable: no_template | no_template_data | empty
    detail: str


class DeliveryAdapter(Protocol):
    """Delivers one push on one platform, choosing the channel; raises TransientError/PermanentError.
    `resend_safe`: the platform itself drops a repeat of a push, so one cut off mid-call may be sent again."""

    resend_safe: bool

    async def deliver(self, push: Claimed) -> Sent | Undeliverable: ...


def process_id() -> str:
    """Names this process in leases: host, pid and a random part (a restarted pid is someone else)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class SenderPolicy:
    batch: int = 50
    concurrency: int = 8
    lease_s: float = 60.0
    retry_base_s: float = 2.0
    retry_max_s: float = 600.0
    give_up_s: float = 86400.0
    poll_s: float = 1.0
    pause_retry_s: float = 300.0


class OutboxSender:
    def __init__(self, db: Database, *, clock: Callable[[], datetime], owner: str | None = None,
                 policy: SenderPolicy = SenderPolicy(), rng: random.Random | None = None):
        self.db = db
        self.clock = clock
        self.owner = owner or process_id()
        self.policy = policy
        self.rng = rng or random.Random()
        self.adapters: dict[str, DeliveryAdapter] = {}
        self.paused: set[str] = set()  # platforms paused at the last round
        self._wake = asyncio.Event()

    def register(self, platform: str, adapter: DeliveryAdapter) -> None:
        """Deliver rows whose `platform` is this with `adapter` (rows of other platforms are left for a
        process that has an adapter for them)."""
        self.adapters[platform] = adapter

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll (e.g. right after queuing a push)."""
        self._wake.set()

    async def tick(self) -> int:
        """One round: claim, deliver, record. Returns how many pushes were handled."""
        now = self.clock()
        async with self.db.transaction() as session:
            paused = await pauses.current(session)
            running = sorted(p for p in self.adapters if p not in paused)
            claimed = await self._claim(session, running, now, self.policy.batch)
            for platform in sorted(p for p in self.adapters if p in paused):
                if await pauses.take_try(session, platform, now=now, retry_s=self.policy.pause_retry_s):
                    trial = await self._claim(session, [platform], now, 1)
                    if not trial:  # nothing waits to prove it still broken: the next push will tell
                        await pauses.resume(session, platform)
                        del paused[platform]
                    claimed += trial
        self.paused = set(paused)
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self.policy.concurrency)

        async def one(push: Claimed) -> None:
            async with gate:
                await self._deliver(push)

        await asyncio.gather(*(one(push) for push in claimed))
        return len(claimed)

    async def _claim(self, session, platforms: list[str], now: datetime, limit: int) -> list[Claimed]:
        return await outbox.claim(session, platforms=platforms, owner=self.owner, now=now,
                                  lease_s=self.policy.lease_s, limit=limit,
                                  resend_safe=frozenset(p for p, a in self.adapters.items()
                                                        if getattr(a, "resend_safe", False)))

    async def run(self, stop: asyncio.Event) -> None:
        """The loop: rounds until `stop` is set; sleeps `poll_s` when there was nothing to do."""
        log.info("outbox sender %s started for %s", self.owner, ", ".join(sorted(self.adapters)) or "no platform")
        while not stop.is_set():
            try:
                handled = await self.tick()
            except Exception:
                log.exception("outbox round failed")
                handled = 0
            if handled == 0 and not stop.is_set():
                self._wake.clear()
                waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
                await asyncio.wait(waits, timeout=self.policy.poll_s, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waits:
                    waiter.cancel()

    async def _deliver(self, push: Claimed) -> None:
        adapter = self.adapters[push.platform]

        async def starting(resend_safe_s: float) -> None:
            now = self.clock()
            until = now + timedelta(seconds=resend_safe_s) if resend_safe_s else None
            async with self.db.transaction() as session:
                if not await outbox.begin_send(session, push.id, owner=self.owner, now=now, resend_until=until):
                    raise LeaseLost(push.id)

        marker = _starting.set(starting)
        try:
            outcome = await adapter.deliver(push)
        except LeaseLost:
            log.warning("push %s: lease lost before sending; left to its new owner", push.id)
            return
        except AccountError as exc:
            await self._pause(push, exc)
            return
        except TransientError as exc:
            await self._retry(push, exc)
            return
        except PermanentError as exc:
            log.warning("push %s (%s) to %s failed for good: %s", push.id, push.idempotency_key, push.user_id, exc)
            await self._finish(push, "failed", error_code=exc.code, detail=str(exc))
            return
        except Exception as exc:  # a bug in an adapter: treat as transient, keep the row
            log.exception("adapter for %s raised on push %s", push.platform, push.id)
            await self._retry(push, TransientError("adapter_error", f"{type(exc).__name__}: {exc}"))
            return
        finally:
            _starting.reset(marker)
        if isinstance(outcome, Undeliverable):
            log.warning("push %s (%s) to %s undeliverable: %s", push.id, push.idempotency_key, push.user_id,
                        outcome.detail)
            await self._finish(push, "undeliverable", error_code=outcome.code, detail=outcome.detail)
        else:
            log.info("push %s (%s) sent to %s by %s", push.id, push.idempotency_key, push.user_id, outcome.channel)
            await self._finish(push, "sent", channel=outcome.channel)

    async def _finish(self, push: Claimed, status: str, **fields) -> None:
        now = self.clock()
        async with self.db.transaction() as session:
            ours = await outbox.finish(session, push.id, owner=self.owner, status=status, now=now, **fields)
            if ours and status in ("failed", "undeliverable"):
                raised = await alarms.staff_push_unreached(
                    session, platform=push.platform, user_id=push.user_id, kind=push.kind, payload=push.payload,
                    reason=fields.get("error_code") or status, push_id=push.id, now=now)
                if raised:
                    log.error("push %s (%s) to staff %s could not reach them (%s): %d supervisor(s) alerted",
                              push.id, push.kind, push.user_id, fields.get("error_code"), raised)
            answered = status == "sent" or (status == "failed" and fields.get("error_code") != "gave_up")
            if ours and answered and push.platform in self.paused:  # the platform took or judged the call
                ended = await pauses.resume(session, push.platform)
                if ended is not None:
                    log.warning("%s pushes resume: a call went through after %s (paused since %s)",
                                push.platform, ended.error_code, ended.since.isoformat())
        if not ours:
            log.warning("push %s: lease lost before it was marked %s (it may have gone out twice)", push.id, status)
        elif answered and push.platform in self.paused:
            self.paused.discard(push.platform)
            self.wake()

    async def _pause(self, push: Claimed, exc: AccountError) -> None:
        """The platform refused our account's set-up: this push stays queued (due at once when the pause ends),
        the platform's queue pauses, and the first pause raises the alarm."""
        now = self.clock()
        async with self.db.transaction() as session:
            await outbox.retry_later(session, push.id, owner=self.owner, at=now, error_code=exc.code,
                                     detail=f"{push.platform} paused: {exc}")
            began = await pauses.pause(session, push.platform, code=exc.code, detail=str(exc), now=now,
                                       retry_s=self.policy.pause_retry_s)
            if began:
                await alarms.platform_paused(session, platform=push.platform, code=exc.code, now=now)
        self.paused.add(push.platform)
        log.error("%s refused our account's set-up (%s): its pushes are paused, retried every %.0fs until a call "
                  "works; fix the account's configuration", push.platform, exc, self.policy.pause_retry_s)

    async def _retry(self, push: Claimed, exc: TransientError) -> None:
        now = self.clock()
        if now - push.created_at > timedelta(seconds=self.policy.give_up_s):
            log.error("push %s (%s) still failing after %d attempts; giving up: %s", push.id, push.idempotency_key,
                      push.attempts, exc)
            await self._finish(push, "failed", error_code="gave_up", detail=f"after {push.attempts} attempts: {exc}")
            return
        delay = backoff_s(push.attempts, base_s=self.policy.retry_base_s, max_s=self.policy.retry_max_s, rng=self.rng)
        log.info("push %s attempt %d failed (%s); next in %.1fs", push.id, push.attempts, exc, delay)
        async with self.db.transaction() as session:
            await outbox.retry_later(session, push.id, owner=self.owner, at=now + timedelta(seconds=delay),
                                     error_code=exc.code, detail=str(exc))
