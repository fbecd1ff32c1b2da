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

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundMessage


@dataclass(frozen=True)
class Seen:
    """The message had already been handled: how, and with which reply."""

    row_id: int
    status: str  # done | deferred | failed
    reply: dict | None
    replied_at: datetime | None


LOG = InboundMessage.__table__  # Core statements on the table: the hot path skips the ORM's bulk machinery


def _insert(session: AsyncSession):
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


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
    got = (await conn.execute(text("SELECT pg_try_advisory_xact_lock(hashtextextended(:who, 0))"), who)).scalar()
    answered()
    if not got:
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:who, 0))"), who)


async def claim(
    session: AsyncSession, *, platform: str, user_id: str, msg_key: str, kind: str, content: dict, now: datetime,
    status: str = "handling",
) -> int | Seen:
    """Insert the log row inside the caller's transaction and return its id; if the message is already
    logged, return what became of it instead (after waiting for an in-flight first delivery)."""
    values = dict(platform=platform, user_id=user_id, msg_key=msg_key, kind=kind, content=content,
                  received_at=now, status=status)
    statement = (
        _insert(session)(LOG)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["platform", "user_id", "msg_key"])
        .returning(LOG.c.id)
    )
    conn = await session.connection()
    row_id = (await conn.execute(statement)).scalar_one_or_none()
    if row_id is not None:
        return row_id
    row = (
        await conn.execute(
            select(LOG.c.id, LOG.c.status, LOG.c.reply, LOG.c.replied_at).where(
                LOG.c.platform == platform, LOG.c.user_id == user_id, LOG.c.msg_key == msg_key)
        )
    ).one()
    return Seen(row.id, row.status, row.reply, row.replied_at)


async def complete(
    session: AsyncSession, row_id: int, *, status: str, reply: dict | None, at: datetime, error: str | None = None
) -> None:
    """Record how the message was answered, inside the caller's transaction."""
    conn = await session.connection()
    await conn.execute(update(LOG).where(LOG.c.id == row_id).values(status=status, reply=reply, replied_at=at,
                                                                     error=error))
