"""Leasing rows of a work table (jobs, the outbox) to one process: the one claim both loops use.

A claim picks up to `limit` rows that are available (e.g. status pending), due and not leased (no lease,
or one that has run out), and writes `owner`, the lease's end and one more attempt on them, in the
caller's transaction. PostgreSQL skips rows another claim has locked (`FOR UPDATE SKIP LOCKED`), so
processes claiming at once get different rows; SQLite's single writer serialises claims. The update
checks availability and the lease again, so a row cannot be leased twice whatever the isolation level.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_of


def free(model, now: datetime):
    """Not leased, or its lease has run out."""
    return or_(model.lease_until.is_(None), model.lease_until < now)


async def claim(session: AsyncSession, model, *, available: Sequence, due: Sequence, order_by: Sequence,
                owner: str, now: datetime, lease_s: float, limit: int, returning: Sequence) -> list[Any]:
    """Lease rows of `model` (which has id, lease_owner, lease_until and attempts); returns the `returning`
    columns of the rows leased, in no particular order (callers sort)."""
    query = (select(model.id).where(*available, *due, free(model, now)).order_by(*order_by).limit(limit))
    if dialect_of(session) == "postgresql":
        query = query.with_for_update(skip_locked=True, of=model)
    ids = list((await session.execute(query)).scalars())
    if not ids:
        return []
    return list((await session.execute(
        update(model).where(model.id.in_(ids), *available, free(model, now))
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s), attempts=model.attempts + 1)
        .returning(*returning))).all())
