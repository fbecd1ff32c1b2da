"""Standing jobs: repeating rows every process makes sure exist (idempotent across processes and
restarts), whichever job loop is free runs them.

    replay.purge       forget webhook (timestamp, nonce) pairs past the replay window (storage/replay.py)
    privacy.retention  personal data's lifetime, daily (RETENTION_LOG_DAYS, RETENTION_MEDIA_DAYS)

They are scheduled when the server starts; a database that is down then does not stop the start (the
webhooks answer with an apology, /healthz says degraded): the job loop schedules them at its first round
that reaches the database.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from backend.personal_data import RetentionPolicy, schedule_retention
from bot.config import Settings
from storage import jobs, replay
from storage.db import Database

log = logging.getLogger(__name__)

Schedule = Callable[[AsyncSession, datetime], Awaitable[object]]


def retention_policy(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(log_days=settings.retention_log_days, media_days=settings.retention_media_days)


def standing_jobs(settings: Settings) -> list[Schedule]:
    async def replay_purge(session: AsyncSession, now: datetime) -> None:
        # first run one period after the job is made: a fresh server has no expired nonces to purge
        await jobs.schedule(session, replay.PURGE_KIND, now + timedelta(seconds=replay.PURGE_EVERY_S),
                            key=replay.PURGE_KIND, every_s=replay.PURGE_EVERY_S, now=now)

    async def retention(session: AsyncSession, now: datetime) -> None:
        await schedule_retention(session, retention_policy(settings), now)

    return [replay_purge, retention]


async def schedule_standing(db: Database, clock: Callable[[], datetime], schedules: list[Schedule]) -> bool:
    """Make sure the standing jobs exist; False (logged) when the database does not answer."""
    try:
        async with db.transaction() as session:
            for schedule in schedules:
                await schedule(session, clock())
    except Exception as exc:
        log.warning("standing jobs not scheduled now (%s): the job loop tries again", type(exc).__name__)
        return False
    return True


def schedule_at_start(settings: Settings, db: Database,
                      clock: Callable[[], datetime]) -> Callable[[web.Application], Awaitable[None]]:
    async def schedule(app: web.Application) -> None:
        await schedule_standing(db, clock, standing_jobs(settings))

    return schedule
