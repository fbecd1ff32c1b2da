"""The inbound log, which is also the durable dedupe of WeChat's retries.

A message is claimed by inserting its row (unique on platform, user, msg_key) as the first statement
of the transaction its handler runs in, and the row is completed with the reply in the same
transaction. So a handler's effects, its log row and its reply commit together or not at all: a
process that dies mid-handler leaves nothing behind, and WeChat's next retry handles the message
afresh. A retry arriving while the first delivery is in flight waits on the unique key (PostgreSQL
blocks the second insert until the first transaction ends; SQLite's writers take turns) and then
finds the finished row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import INSERTS
from storage.models import InboundMessage, OutboxMessage


@dataclass(frozen=True)
class Seen:
    """The message had already been handled: how, and with which reply."""

    row_id: int
    status: str  # done | deferred | failed
    reply: dict | None
    replied_at: datetime | None


# What WeChat counts as the resident's interaction, opening the 48-hour customer-service window and its
# allowance: any message, following the account, scanning a QR code, and the menu buttons that push an event
# to the server (click, the two scan-code ones). Other events (TEMPLATESENDJOBFINISH, LOCATION reports, a menu
# link's VIEW, unsubscribe, …) are logged but leave the window where it was.
WINDOW_EVENTS = frozenset({"subscribe", "scan", "click", "scancode_push", "scancode_waitmsg"})


def opens_window(kind: str, event: str | None) -> bool:
    """Whether an inbound message or event of this kind (and event name, any case) opens WeChat's window."""
    return kind != "event" or (event or "").lower() in WINDOW_EVENTS


LOG = InboundMessage.__table__
# The hot path's statements are built once: SQLAlchemy then finds each compiled form in its cache by a
# key computed once per statement, instead of building, keying and coercing a new one per message.
_CLAIM = {
    name: insert(LOG).on_conflict_do_nothing(index_elements=["platform", "user_id", "msg_key"]).returning(LOG.c.id)
    for name, insert in INSERTS.items()
}
_SEEN = select(LOG.c.id, LOG.c.status, LOG.c.reply, LOG.c.replied_at).where(
    LOG.c.platform == bindparam("p"), LOG.c.user_id == bindparam("u"), LOG.c.msg_key == bindparam("k"))
_COMPLETE = update(LOG).where(LOG.c.id == bindparam("row_id"))
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:who, 0))")
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:who, 0))")


async def lock_sender(session: AsyncSession, platform: str, user_id: str,
                      answered: Callable[[], None] = lambda: None) -> None:
    """Hold this sender's lock until the transaction ends, across every server process: one person's
    messages are handled one at a time, in turn. PostgreSQL: a transaction-level advisory lock on a hash
    of the identity (`answered` is called once the database has replied, before any wait for the lock,
    so a caller can tell a database that is down from a sender whose previous message is still being
    handled). SQLite needs none: its writers already take turns for the whole database."""
    if session.bind.dialect.name != "postgresql":
        return
    conn = await session.connection()
    who = {"who": f"{platform}:{user_id}"}
    got = (await conn.execute(_TRY_LOCK, who)).scalar()
    answered()
    if not got:
        await conn.execute(_LOCK, who)


async def claim(
    session: AsyncSession, *, platform: str, user_id: str, msg_key: str, kind: str, content: dict, now: datetime,
    status: str = "handling",
) -> int | Seen:
    """Insert the log row inside the caller's transaction and return its id; if the message is already
    logged, return what became of it instead (after waiting for an in-flight first delivery)."""
    values = dict(platform=platform, user_id=user_id, msg_key=msg_key, kind=kind, content=content,
                  received_at=now, status=status, opens_window=opens_window(kind, content.get("event")))
    conn = await session.connection()
    row_id = (await conn.execute(_CLAIM[conn.dialect.name], values)).scalar_one_or_none()
    if row_id is not None:
        return row_id
    row = (await conn.execute(_SEEN, {"p": platform, "u": user_id, "k": msg_key})).one()
    return Seen(row.id, row.status, row.reply, row.replied_at)


async def complete(
    session: AsyncSession, row_id: int, *, status: str, reply: dict | None, at: datetime, error: str | None = None
) -> None:
    """Record how the message was answered, inside the caller's transaction."""
    conn = await session.connection()
    await conn.execute(_COMPLETE, {"row_id": row_id, "status": status, "reply": reply, "replied_at": at,
                                   "error": error})


async def recent_texts(session: AsyncSession, platform: str, user_id: str, *, since: datetime,
                       limit: int) -> list[tuple[datetime, str]]:
    """What this person wrote since a time, oldest first, at most the last `limit` messages: (when, text) of
    their texts and recognised voice messages (cleared log rows have no text and are left out)."""
    rows = (await session.execute(
        select(LOG.c.received_at, LOG.c.content).where(
            LOG.c.platform == platform, LOG.c.user_id == user_id, LOG.c.received_at >= since,
            LOG.c.kind.in_(("text", "voice")))
        .order_by(LOG.c.id.desc()).limit(limit * 2))).all()
    said = [(at, (content or {}).get("text")) for at, content in rows]
    return [(at, text) for at, text in said if text][:limit][::-1]


async def mark(session: AsyncSession, platform: str, user_id: str) -> dict[str, int]:
    """Where this person's exchange stands now: their latest message (the one being handled) and the latest
    push to them, to ask later whether anything came between (`nothing_since`)."""
    sent = await session.scalar(select(func.max(InboundMessage.id)).where(
        InboundMessage.platform == platform, InboundMessage.user_id == user_id))
    pushed = await session.scalar(select(func.max(OutboxMessage.id)).where(
        OutboxMessage.platform == platform, OutboxMessage.user_id == user_id))
    return {"inbound": sent or 0, "outbox": pushed or 0}


async def nothing_since(session: AsyncSession, platform: str, user_id: str, since: dict[str, int]) -> bool:
    """Whether the person sent nothing after the `mark` but the message being handled, and nothing was pushed to
    them but replies: what the bot said at the mark is still what they answer."""
    sent = await session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.platform == platform, InboundMessage.user_id == user_id,
        InboundMessage.id > since.get("inbound", 0)))
    pushed = await session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.platform == platform, OutboxMessage.user_id == user_id, OutboxMessage.kind != "reply",
        OutboxMessage.id > since.get("outbox", 0)).limit(1))
    return sent <= 1 and pushed is None
