"""Writing to the outbox: what must reach a person, delivered later by the sender in bot/."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage


def enqueue(
    session: AsyncSession,
    *,
    platform: str,
    user_id: str,
    kind: str,
    payload: dict,
    idempotency_key: str,
    now: datetime,
) -> OutboxMessage:
    """Add one push to the caller's transaction. The idempotency key is unique: the same push cannot be
    queued twice, and the sender uses it so a crash between sending and marking repeats at most one."""
    row = OutboxMessage(
        platform=platform,
        user_id=user_id,
        kind=kind,
        payload=payload,
        idempotency_key=idempotency_key,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row
