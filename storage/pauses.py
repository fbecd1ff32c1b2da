"""Platforms whose pushes wait because the platform refused our account's set-up (API not authorised, our
IP not on the allow-list, an invalid template id, a wrong secret): sending push after push would fail each
of them for the same reason. One row per paused platform, shared by every process: senders skip the
platform until `next_try_at`, then one of them tries a single push; the first call that works ends the pause.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import INSERTS
from storage.models import PlatformPause


@dataclass(frozen=True)
class Pause:
    platform: str
    error_code: str
    detail: str
    since: datetime
    next_try_at: datetime


async def current(session: AsyncSession) -> dict[str, Pause]:
    rows = (await session.execute(select(PlatformPause))).scalars()
    return {r.platform: Pause(r.platform, r.error_code, r.detail, r.since, r.next_try_at) for r in rows}


async def pause(session: AsyncSession, platform: str, *, code: str, detail: str, now: datetime,
                retry_s: float) -> bool:
    """Pause `platform` (or keep it paused, with the latest cause) until a try in `retry_s`; True when the
    pause begins now (the caller raises the alarm once, even when several pushes are refused at once)."""
    values = dict(error_code=code, detail=detail[:1000], next_try_at=now + timedelta(seconds=retry_s))
    insert = INSERTS[session.bind.dialect.name](PlatformPause).values(platform=platform, since=now, **values)
    began = (await session.execute(insert.on_conflict_do_nothing(index_elements=["platform"])
                                   .returning(PlatformPause.platform))).first() is not None
    if not began:
        await session.execute(update(PlatformPause).where(PlatformPause.platform == platform).values(**values))
    return began


async def take_try(session: AsyncSession, platform: str, *, now: datetime, retry_s: float) -> bool:
    """Claim the paused platform's next try (one process, one push); False if it is not due or taken."""
    result = await session.execute(update(PlatformPause).where(
        PlatformPause.platform == platform, PlatformPause.next_try_at <= now)
        .values(next_try_at=now + timedelta(seconds=retry_s)))
    return result.rowcount == 1


async def resume(session: AsyncSession, platform: str) -> Pause | None:
    """A call on `platform` worked: end its pause (returns the pause that ended, if there was one)."""
    found = await session.get(PlatformPause, platform)
    if found is None:
        return None
    ended = Pause(found.platform, found.error_code, found.detail, found.since, found.next_try_at)
    await session.execute(delete(PlatformPause).where(PlatformPause.platform == platform))
    return ended
