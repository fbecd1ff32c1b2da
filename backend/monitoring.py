"""What /metrics and /healthz read from the database: outbox rows and jobs by status, the push backlog."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.pushes import STAFF_KINDS
from storage import pauses
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


async def staff_undeliverable(session: AsyncSession, now: datetime, within_s: float) -> dict:
    """What keeps staff from being reached: the paused platforms (platform -> error code), and how many
    staff members' last push within `within_s` did not arrive (failed, undeliverable or interrupted, with no
    push sent to them since)."""
    later = aliased(OutboxMessage)
    arrived_since = select(later.id).where(later.platform == OutboxMessage.platform,
                                           later.user_id == OutboxMessage.user_id, later.status == "sent",
                                           later.id > OutboxMessage.id).exists()
    unreached = (await session.execute(select(func.count(func.distinct(OutboxMessage.user_id))).where(
        OutboxMessage.status.in_(PROBLEM_STATUSES), OutboxMessage.kind.in_(STAFF_KINDS),
        OutboxMessage.created_at >= now - timedelta(seconds=within_s), ~arrived_since))).scalar_one()
    paused = {p.platform: p.error_code for p in (await pauses.current(session)).values()}
    return {"paused": paused, "staff_unreached": unreached}
