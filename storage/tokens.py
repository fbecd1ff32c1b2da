"""Access tokens shared by every server process, with a lease for the one that refreshes.

A token row is read by everyone; only the process that wins `take_lease` (a conditional update, so at
most one holder at a time on SQLite and PostgreSQL alike) fetches a new token and `store`s it. A lease
that is not released (the holder died) simply expires. Each function runs in the caller's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_for
from storage.models import AccessToken


@dataclass(frozen=True)
class StoredToken:
    token: str | None
    expires_at: datetime | None
    fetches: int

    def valid_at(self, at: datetime, margin: timedelta = timedelta(0)) -> bool:
        return bool(self.token) and self.expires_at is not None and at < self.expires_at - margin


async def read(session: AsyncSession, name: str) -> StoredToken:
    row = (await session.execute(
        select(AccessToken.token, AccessToken.expires_at, AccessToken.fetches).where(AccessToken.name == name)
    )).one_or_none()
    if row is None:
        return StoredToken(None, None, 0)
    return StoredToken(row.token, row.expires_at, row.fetches)


async def take_lease(session: AsyncSession, name: str, *, owner: str, now: datetime, lease_s: float) -> bool:
    """Become the one process allowed to refresh `name` until now + lease_s; False if another holds it."""
    insert = insert_for(session)
    await session.execute(insert(AccessToken).values(name=name, fetches=0).on_conflict_do_nothing(
        index_elements=["name"]))
    result = await session.execute(
        update(AccessToken)
        .where(AccessToken.name == name,
               or_(AccessToken.lease_until.is_(None), AccessToken.lease_until < now, AccessToken.lease_owner == owner))
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s))
    )
    return result.rowcount == 1


async def store(session: AsyncSession, name: str, *, owner: str, token: str, expires_at: datetime,
                now: datetime) -> bool:
    """Save a freshly fetched token and release the lease; False if the lease was lost meanwhile
    (the token is saved anyway: it is the newest one WeChat issued)."""
    values = dict(token=token, expires_at=expires_at, refreshed_at=now, lease_owner=None, lease_until=None,
                  fetches=AccessToken.fetches + 1)
    result = await session.execute(
        update(AccessToken).where(AccessToken.name == name, AccessToken.lease_owner == owner).values(**values))
    if result.rowcount == 1:
        return True
    await session.execute(update(AccessToken).where(AccessToken.name == name).values(**values))
    return False


async def release(session: AsyncSession, name: str, *, owner: str) -> None:
    await session.execute(update(AccessToken).where(AccessToken.name == name, AccessToken.lease_owner == owner)
                          .values(lease_owner=None, lease_until=None))


async def invalidate(session: AsyncSession, name: str, *, token: str, now: datetime) -> bool:
    """WeChat refused `token`: mark it expired, unless another process has replaced it already."""
    result = await session.execute(
        update(AccessToken).where(AccessToken.name == name, AccessToken.token == token).values(expires_at=now))
    return result.rowcount == 1
