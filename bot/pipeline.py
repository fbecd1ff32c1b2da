"""The path of one inbound Update, the same for every platform:

per-user lock -> one transaction: dedupe claim (the log row), router, completion -> reply;
or, when the reply is not ready within the budget, an empty answer now and the reply in the outbox.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable

from backend.privacy import mask_text
from bot import texts
from handlers.router import Context, Router
from handlers.services import Services
from handlers.types import Reply, Update
from storage import inbound, outbox
from storage.db import Database

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# A webhook's last check, run as the first statement of the message's transaction (so it costs no turn of
# its own on SQLite's one connection): False refuses the message (bot/guard.py ReplayGuard).
Admit = Callable[[Any], Awaitable[bool]]


@dataclass(frozen=True)
class Outcome:
    """What the webhook answers now: a reply (rendered with the time it was made) or nothing."""

    reply: Reply | None
    at: datetime | None = None
    refused: bool = False  # the webhook's admission check said no (a replayed timestamp and nonce)


class _Ticket:
    """Decides, without awaiting in between, whether a reply goes out inline or through the outbox.

    The webhook side calls `defer()` when the budget runs out; the handler side calls `go_inline()`
    right before committing. Whichever comes first wins, so a reply is never both lost and sent.
    """

    def __init__(self) -> None:
        self.state = "pending"
        self.reached_database = False  # the database has answered a statement for this message

    def database_answered(self) -> None:
        self.reached_database = True

    def go_inline(self) -> bool:
        if self.state == "pending":
            self.state = "inline"
        return self.state == "inline"

    def defer(self) -> bool:
        if self.state == "pending":
            self.state = "deferred"
        return self.state == "deferred"


class UserLocks:
    """One asyncio lock per user, so one user's messages are handled one at a time, in arrival order.

    Process-local; across processes the database lock of storage.inbound.lock_sender does the same.
    """

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._users: dict[tuple[str, str], int] = defaultdict(int)

    def hold(self, platform: str, user_id: str):
        return _Held(self, (platform, user_id))


class _Held:
    def __init__(self, locks: UserLocks, key: tuple[str, str]):
        self.locks, self.key = locks, key

    async def __aenter__(self):
        locks = self.locks
        locks._users[self.key] += 1
        lock = locks._locks.setdefault(self.key, asyncio.Lock())
        await lock.acquire()
        return self

    async def __aexit__(self, *exc):
        locks = self.locks
        locks._locks[self.key].release()
        locks._users[self.key] -= 1
        if locks._users[self.key] == 0:
            del locks._users[self.key]
            del locks._locks[self.key]


class MessagePipeline:
    def __init__(
        self,
        db: Database,
        router: Router,
        *,
        clock: Clock,
        budget_s: float = 4.0,
        services: Services | dict[str, Any] | None = None,
    ):
        self.db = db
        self.router = router
        self.clock = clock
        self.budget_s = budget_s
        self.services = Services.of(services)
        self.locks = UserLocks()
        self._background: set[asyncio.Task] = set()
        # when a handler's transaction last committed: a message still waiting for the database while
        # others commit is queued behind a busy moment, not facing a database that is down
        self.database_alive_at = time.monotonic()

    async def process(self, update: Update, admit: Admit | None = None) -> Outcome:
        """Handle one delivery of an Update and say what to answer within the budget."""
        ticket = _Ticket()
        task = asyncio.create_task(self._handle(update, ticket, admit))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        done, _ = await asyncio.wait({task}, timeout=self.budget_s)
        if not done and ticket.defer():
            stalled = time.monotonic() - self.database_alive_at > self.budget_s
            if not ticket.reached_database and stalled:  # the database is down or locked: say so now
                log.error("database not answering for %s %s after %.1fs", update.platform, update.message_key,
                          self.budget_s)
                return Outcome(Reply(text=texts.DATABASE_BUSY), self.clock())
            log.warning("reply to %s %s not ready in %.1fs: answering empty, reply goes to the outbox",
                        update.platform, update.message_key, self.budget_s)
            return Outcome(None)
        return await task

    async def _handle(self, update: Update, ticket: _Ticket, admit: Admit | None) -> Outcome:
        async with self.locks.hold(update.platform, update.user_id):
            try:
                async with self.db.transaction() as session:
                    await inbound.lock_sender(session, update.platform, update.user_id,
                                              answered=ticket.database_answered)
                    if admit is not None and not await admit(session):
                        return Outcome(None, refused=True)
                    now = self.clock()
                    claimed = await inbound.claim(session, platform=update.platform, user_id=update.user_id,
                                                  msg_key=update.message_key, kind=update.kind,
                                                  content=update.to_log(), now=now)
                    ticket.database_answered()
                    if isinstance(claimed, inbound.Seen):
                        return _repeat(claimed)
                    ctx = Context(session=session, now=now, services=self.services)
                    reply = await self.router.dispatch(update, ctx) or Reply()
                    status = "done" if ticket.go_inline() else "deferred"
                    if status == "deferred" and not reply.empty:
                        self._enqueue_reply(session, update, claimed, reply, now)
                    await inbound.complete(session, claimed, status=status, reply=reply.to_data(), at=now)
                self.database_alive_at = time.monotonic()
                return Outcome(reply, now) if status == "done" else Outcome(None)
            except Exception as exc:  # the resident gets an apology, the log keeps the error
                log.exception("handler failed for %s %s", update.platform, update.message_key)
                return await self._fail(update, ticket, exc, admit)

    async def _fail(self, update: Update, ticket: _Ticket, exc: Exception, admit: Admit | None) -> Outcome:
        reply = Reply(text=texts.HANDLER_FAILED)
        now = self.clock()
        inline = ticket.go_inline()
        try:
            async with self.db.transaction() as session:
                if admit is not None and not await admit(session):
                    return Outcome(None, refused=True)
                claimed = await inbound.claim(session, platform=update.platform, user_id=update.user_id,
                                              msg_key=update.message_key, kind=update.kind,
                                              content=update.to_log(), now=now, status="failed")
                if isinstance(claimed, inbound.Seen):
                    return _repeat(claimed)
                if not inline:
                    self._enqueue_reply(session, update, claimed, reply, now)
                await inbound.complete(session, claimed, status="failed", reply=reply.to_data(), at=now,
                                       error=mask_text(f"{type(exc).__name__}: {exc}")[:2000])
        except Exception:
            log.exception("could not record the failure of %s", update.message_key)
        return Outcome(reply, now) if inline else Outcome(None)

    @staticmethod
    def _enqueue_reply(session, update: Update, row_id: int, reply: Reply, now: datetime) -> None:
        outbox.enqueue(session, platform=update.platform, user_id=update.user_id, kind="reply",
                       payload=reply.to_data(), idempotency_key=f"reply:{row_id}", now=now)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for handlers still running after their webhook answered (used at shutdown)."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=timeout)


def _repeat(seen: inbound.Seen) -> Outcome:
    """The answer to a retry: the stored reply, or nothing when the first went to the outbox."""
    if seen.status == "deferred" or not seen.reply:
        return Outcome(None)
    return Outcome(Reply.from_data(seen.reply), seen.replied_at)
