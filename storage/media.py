"""Residents' media awaiting download (WeChat deletes temporary media after 3 days)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_of
from storage.models import CaseMedia

MAX_ATTEMPTS = 8
# the only kinds of file kept and served back (by the file's suffix), each with the type it is served as:
# photos, voice and video as WeChat and WeCom send them. Not SVG or HTML: they can carry script.
MEDIA_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
               "image/bmp": ".bmp", "audio/amr": ".amr", "audio/mpeg": ".mp3", "audio/x-speex": ".speex",
               "video/mp4": ".mp4"}
SERVED_TYPES = {suffix: content_type for content_type, suffix in MEDIA_TYPES.items()} | {
    ".jpeg": "image/jpeg", ".jpe": "image/jpeg"}  # files stored before the suffixes were fixed


@dataclass(frozen=True)
class Pending:
    id: int
    case_id: int
    platform: str
    media_id: str
    kind: str


async def claim(session: AsyncSession, *, platforms: list[str], now: datetime, lease: timedelta,
                limit: int = 10) -> list[Pending]:
    """Media not yet stored, due for a (re)try; each is reserved for `lease` so another process skips it."""
    statement = (select(CaseMedia).where(
        CaseMedia.stored_path.is_(None), CaseMedia.media_id.is_not(None), CaseMedia.platform.in_(platforms),
        CaseMedia.fetch_attempts < MAX_ATTEMPTS, or_(CaseMedia.fetch_after.is_(None), CaseMedia.fetch_after <= now))
        .order_by(CaseMedia.id).limit(limit))
    if dialect_of(session) == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    rows = (await session.execute(statement)).scalars().all()
    for row in rows:
        row.fetch_after = now + lease
        row.fetch_attempts += 1
    return [Pending(r.id, r.case_id, r.platform, r.media_id, r.kind) for r in rows]


async def stored(session: AsyncSession, media_row_id: int, path: str) -> None:
    await session.execute(update(CaseMedia).where(CaseMedia.id == media_row_id)
                          .values(stored_path=path, fetch_error=None))


async def failed(session: AsyncSession, media_row_id: int, error: str, retry_at: datetime | None) -> None:
    """Record a failed download; `retry_at` None gives up (e.g. WeChat says the media has expired)."""
    values = {"fetch_error": error[:500], "fetch_after": retry_at}
    if retry_at is None:
        values["fetch_attempts"] = MAX_ATTEMPTS
    await session.execute(update(CaseMedia).where(CaseMedia.id == media_row_id).values(**values))
