"""The inbound log and its dedupe claims.

A message is claimed by inserting its row (unique on platform, user, msg_key) in a short transaction of
its own, so a concurrent retry sees the claim at once. The handler later completes the row inside its
own transaction, conditioned on still holding the claim: effects and completion commit together.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import InboundMessage

FINISHED = ("done", "deferred", "failed")


@dataclass(frozen=True)
class Claim:
    """This process holds the right to handle one inbound message."""

    row_id: int
    token: str


@dataclass(frozen=True)
class Seen:
    """The message had already arrived: its current state in the log."""

    row_id: int
    status: str
    reply: dict | None
    replied_at: datetime | None
    claim_until: datetime


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    *,
    platform: str,
    user_id: str,
    msg_key: str,
    kind: str,
    content: dict,
    now: datetime,
    lease: timedelta,
) -> Claim | Seen:
    """Insert the log row and claim it, or report the row that is already there."""
    token = secrets.token_hex(8)
    row = InboundMessage(
        platform=platform,
        user_id=user_id,
        msg_key=msg_key,
        kind=kind,
        content=content,
        received_at=now,
        status="handling",
        claim_token=token,
        claim_until=now + lease,
        attempts=1,
    )
    try:
        async with sessions() as session, session.begin():
            session.add(row)
            await session.flush()
            return Claim(row.id, token)
    except IntegrityError:
        pass
    seen = await look(sessions, platform=platform, user_id=user_id, msg_key=msg_key)
    if seen is None:  # the conflicting row vanished (only a test reset does that): try once more
        return await claim(sessions, platform=platform, user_id=user_id, msg_key=msg_key, kind=kind,
                           content=content, now=now, lease=lease)
    return seen


async def look(sessions, *, platform: str, user_id: str, msg_key: str) -> Seen | None:
    async with sessions() as session, session.begin():
        row = (
            await session.execute(
                select(InboundMessage).where(
                    InboundMessage.platform == platform,
                    InboundMessage.user_id == user_id,
                    InboundMessage.msg_key == msg_key,
                )
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        return Seen(row.id, row.status, row.reply, row.replied_at, row.claim_until)


async def take_over(sessions, row_id: int, *, now: datetime, lease: timedelta) -> Claim | None:
    """Take the claim of a message whose handler vanished (its lease expired while `handling`)."""
    token = secrets.token_hex(8)
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(InboundMessage)
            .where(
                InboundMessage.id == row_id,
                InboundMessage.status == "handling",
                InboundMessage.claim_until < now,
            )
            .values(claim_token=token, claim_until=now + lease, attempts=InboundMessage.attempts + 1)
        )
    return Claim(row_id, token) if result.rowcount == 1 else None


class ClaimLost(RuntimeError):
    """Another process took over this message; this handler's transaction must roll back."""


async def complete(
    session: AsyncSession, claim_: Claim, *, status: str, reply: dict | None, at: datetime, error: str | None = None
) -> None:
    """Mark the message handled, inside the caller's transaction. Raises ClaimLost if not ours any more."""
    result = await session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == claim_.row_id, InboundMessage.claim_token == claim_.token)
        .values(status=status, reply=reply, replied_at=at, error=error)
    )
    if result.rowcount != 1:
        raise ClaimLost(f"inbound message {claim_.row_id} was taken over")
