"""What /metrics and /healthz read from the database: outbox rows and jobs by status, the push backlog."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Job, OutboxMessage
from storage.outbox import PROBLEM_STATUSES


async def outbox_by_status(session: AsyncSession) -> dict[str, int]:
    return dict((await session.execute(select(OutboxMessage.status, func.count())
                                       .group_by(OutboxMessage.status))).all())


async def jobs_by_status(session: AsyncSession) -> dict[str, int]:
    return dict((await session.execute(select(Job.status, func.count()).group_by(Job.status))).all())


async def outbox_backlog(session, now: datetime) -> dict:
    pending, oldest = (await session.execute(select(func.count(), func.min(OutboxMessage.created_at))
                                             .where(OutboxMessage.status == "pending"))).one()
    failed = (await session.execute(select(func.count()).where(
        OutboxMessage.status.in_(PROBLEM_STATUSES)))).scalar_one()
    oldest_s = None
    if oldest is not None:
        from storage.types import UTCDateTime

        oldest = UTCDateTime().process_result_value(oldest, None) if not isinstance(oldest, datetime) else oldest
        oldest_s = round((now - oldest).total_seconds(), 1)
    return {"pending": pending, "oldest_pending_s": oldest_s, "failed": failed}
