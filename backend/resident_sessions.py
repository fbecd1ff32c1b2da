"""The residents' page sessions (WeChat web authorisation), kept on the server like the dashboard's: the
cookie carries a random token and only its sha256 is stored, with the identity the login proved and a random
nonce the page tokens (CSRF, 我也遇到 offers) are derived from. A session ends when it expires or when the
resident erases their data (the pages have no logout of their own: WeChat is the login); expired rows go
as new sessions open and with the daily retention."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ResidentSession


@dataclass(frozen=True)
class Login:
    platform: str
    user_id: str
    expires_at: datetime
    nonce: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(session: AsyncSession, platform: str, user_id: str, now: datetime, ttl_s: int) -> str:
    """A new login; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(ResidentSession(token_hash=_hash(token), platform=platform, user_id=user_id,
                                nonce=secrets.token_urlsafe(12), created_at=now,
                                expires_at=now + timedelta(seconds=ttl_s)))
    await forget_expired(session, now)
    return token


async def forget_expired(session: AsyncSession, now: datetime) -> int:
    """Expired logins name a resident for nothing: gone when a new one opens and with the daily retention."""
    return (await session.execute(delete(ResidentSession).where(ResidentSession.expires_at <= now))).rowcount or 0


async def login_for(session: AsyncSession, token: str | None, now: datetime) -> Login | None:
    """The live login a cookie's token stands for, or None (unknown, ended or expired)."""
    if not token or len(token) > 128:
        return None
    row = await session.get(ResidentSession, _hash(token))
    if row is None or row.expires_at <= now:
        return None
    return Login(row.platform, row.user_id, row.expires_at, row.nonce)


async def end_sessions(session: AsyncSession, platform: str, user_id: str) -> int:
    """Log a resident out of every browser (their data erased)."""
    result = await session.execute(delete(ResidentSession).where(
        ResidentSession.platform == platform, ResidentSession.user_id == user_id))
    return result.rowcount or 0

