"""Standing jobs: repeating rows every process makes sure exist (idempotent across processes and
restarts), whichever job loop is free runs them.

    replay.purge       forget webhook (timestamp, nonce) pairs past the replay window (storage/replay.py)
    privacy.retention  personal data's lifetime, daily (RETENTION_LOG_DAYS, RETENTION_MEDIA_DAYS)

Retention is scheduled when any server process starts (its policy comes from that process's settings); a
database that is down then does not stop the start (the webhooks answer with an apology, /healthz says
degraded). The job loop schedules all of them at its first round that reaches the database; the nonce
purge only there, as only a process with a job loop needs it, first one period after the start.
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
    """What every process schedules at start."""
    async def retention(session: AsyncSession, now: datetime) -> None:
        await schedule_retention(session, retention_policy(settings), now)

    return [retention]


def job_loop_jobs(settings: Settings) -> list[Schedule]:
    """What a process's job loop makes sure of: the standing jobs and the purge of used nonces."""
    async def replay_purge(session: AsyncSession, now: datetime) -> None:
        await jobs.schedule(session, replay.PURGE_KIND, now + timedelta(seconds=replay.PURGE_EVERY_S),
                            key=replay.PURGE_KIND, every_s=replay.PURGE_EVERY_S, now=now)

    return [*standing_jobs(settings), replay_purge]


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
