"""Personal data's lifetime: at start, each process makes sure the daily retention job exists with the
configured policy (RETENTION_LOG_DAYS, RETENTION_MEDIA_DAYS); whichever job loop is free runs it
(backend/personal_data.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Awaitable, Callable

from aiohttp import web

from backend.personal_data import RetentionPolicy, schedule_retention
from bot.config import Settings
from storage.db import Database


def retention_policy(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(log_days=settings.retention_log_days, media_days=settings.retention_media_days)


def schedule_at_start(settings: Settings, db: Database,
                      clock: Callable[[], datetime]) -> Callable[[web.Application], Awaitable[None]]:
    async def schedule(app: web.Application) -> None:
        async with db.transaction() as session:
            await schedule_retention(session, retention_policy(settings), clock())

    return schedule
