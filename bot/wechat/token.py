"""One access token for every server process, kept in the database (storage/tokens.py).

`get()` answers from memory while the token is fresh, else from the database; when the stored token is
missing or within `refresh_ahead_s` of expiry, the process that takes the lease fetches a new one and
the others keep using the old one (still valid) or wait briefly for the new one. So WeChat sees one
fetch per token lifetime, whatever the number of processes or concurrent pushes, and a refused token
(`invalidate`) leads to exactly one forced refresh.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from bot.errors import TransientError
from bot.api_client import IssuedToken
from storage import tokens as store
from storage.db import Database

log = logging.getLogger(__name__)

Fetch = Callable[..., Awaitable[IssuedToken]]


@dataclass
class _Cached:
    token: str
    expires_at: datetime


class SharedToken:
    def __init__(self, db: Database, name: str, fetch: Fetch, *, clock: Callable[[], datetime], owner: str,
                 refresh_ahead_s: float = 300.0, lease_s: float = 30.0, wait_s: float = 15.0):
        self.db = db
        self.name = name
        self.fetch = fetch
        self.clock = clock
        self.owner = owner
        self.ahead = timedelta(seconds=refresh_ahead_s)
        self.lease_s = lease_s
        self.wait_s = wait_s
        self._cached: _Cached | None = None
        self._lock = asyncio.Lock()
        self._force = False

    async def get(self) -> str:
        cached = self._cached
        if cached and self.clock() < cached.expires_at - self.ahead:
            return cached.token
        async with self._lock:  # one refresh per process at a time; the others reuse its result
            return await self._get_locked()

    async def _get_locked(self) -> str:
        deadline = asyncio.get_running_loop().time() + self.wait_s
        while True:
            now = self.clock()
            cached = self._cached
            if cached and now < cached.expires_at - self.ahead:
                return cached.token
            async with self.db.transaction() as session:
                stored = await store.read(session, self.name)
            if stored.valid_at(now, self.ahead):
                # another process already replaced the refused token: no forced refresh is owed any more
                # (forcing one now would revoke the token that process just fetched)
                self._force = False
                self._cached = _Cached(stored.token, stored.expires_at)
                return stored.token
            async with self.db.transaction() as session:
                leased = await store.take_lease(session, self.name, owner=self.owner, now=now,
                                                lease_s=self.lease_s)
                if leased:  # read again under the lease: another process may have refreshed meanwhile
                    stored = await store.read(session, self.name)
                    if stored.valid_at(now, self.ahead):
                        await store.release(session, self.name, owner=self.owner)
            if stored.valid_at(now, self.ahead):
                self._force = False
                self._cached = _Cached(stored.token, stored.expires_at)
                return stored.token
            if leased:
                return await self._refresh(stored, now)
            if stored.valid_at(now):  # someone else is refreshing; the old token still works
                return stored.token
            if asyncio.get_running_loop().time() > deadline:
                raise TransientError("token_wait", "another process holds the token lease and has not refreshed")
            await asyncio.sleep(0.05)

    async def _refresh(self, stored: store.StoredToken, now: datetime) -> str:
        try:
            issued = await self.fetch(force=self._force)
        except Exception:
            async with self.db.transaction() as session:
                await store.release(session, self.name, owner=self.owner)
            if stored.valid_at(now):
                log.warning("token refresh failed; using the current token until it expires", exc_info=True)
                return stored.token
            raise
        expires_at = now + timedelta(seconds=issued.expires_in)
        async with self.db.transaction() as session:
            await store.store(session, self.name, owner=self.owner, token=issued.token, expires_at=expires_at,
                              now=now)
        self._force = False
        self._cached = _Cached(issued.token, expires_at)
        log.info("access token %s refreshed, valid for %ds", self.name, issued.expires_in)
        return issued.token

    async def invalidate(self, token: str) -> None:
        """WeChat refused `token`: forget it here and in the database (unless already replaced), so the
        next get() refreshes, with stable_token's force_refresh."""
        if self._cached and self._cached.token == token:
            self._cached = None
        async with self.db.transaction() as session:
            if await store.invalidate(session, self.name, token=token, now=self.clock()):
                self._force = True
