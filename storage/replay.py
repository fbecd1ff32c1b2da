"""Replay protection shared by every server process: each (timestamp, nonce) a webhook accepted, with a
digest of its body, kept until its time stamp leaves the replay window.

WeChat's and WeCom's signatures cover the token, the time stamp and the nonce (and, encrypted, the
envelope), so a signed query string seen once (a proxy's log, a verification GET) would otherwise carry
any body for the whole window. The same pair with the same body is the platform's retry (the inbound
log dedupes it); with another body it is refused. Rows past their window are purged by a repeating job.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import INSERTS
from storage.jobs import JobHandlers, JobRun
from storage.models import ReplayNonce

PURGE_KIND = "replay.purge"
PURGE_EVERY_S = 300

NONCES = ReplayNonce.__table__
_REMEMBER = {
    name: insert(NONCES).on_conflict_do_nothing(index_elements=["platform", "timestamp", "nonce"])
    .returning(NONCES.c.nonce)
    for name, insert in INSERTS.items()
}
_SEEN = select(NONCES.c.body_sha256).where(NONCES.c.platform == bindparam("platform"),
                                           NONCES.c.timestamp == bindparam("timestamp"),
                                           NONCES.c.nonce == bindparam("nonce"))

handlers = JobHandlers()


async def remember(session: AsyncSession, *, platform: str, timestamp: str, nonce: str, body_sha256: str,
                   expires_at: datetime) -> bool:
    """Record the pair; True when it is new or was seen with the same body (a retry), False for a replay
    with another body. Two processes inserting the same pair at once: PostgreSQL makes the second wait for
    the first's commit, SQLite's writers take turns; either way the second reads the first's digest."""
    conn = await session.connection()
    values = {"platform": platform, "timestamp": timestamp, "nonce": nonce, "body_sha256": body_sha256,
              "expires_at": expires_at}
    if (await conn.execute(_REMEMBER[conn.dialect.name], values)).first() is not None:
        return True
    seen = (await conn.execute(_SEEN, values)).scalar_one_or_none()
    return seen == body_sha256


async def purge(session: AsyncSession, now: datetime) -> int:
    """Forget pairs whose time stamp is outside the window (a request carrying one is refused anyway)."""
    return (await session.execute(delete(ReplayNonce).where(ReplayNonce.expires_at < now))).rowcount


@handlers.handler(PURGE_KIND)
async def purge_job(session: AsyncSession, job: JobRun) -> None:
    await purge(session, job.now)
