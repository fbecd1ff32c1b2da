"""Staff accounts for the web dashboard: passwords (salted scrypt, stdlib) and login sessions.

Only staff records can log in, by staff id (e.g. S12) and the password set with
`main.py staff password --staff-id S12`; a resident's openid is not a staff id, so it never can. The
session cookie carries a random token; the table keeps its sha256 and an absolute expiry.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_for
from storage.models import DashboardSession, LoginThrottle, Staff, StaffPassword

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
STAFF_ID = re.compile(r"[A-Za-z0-9_.-]{1,16}")  # what a staff id can be (staff.id is 16 characters at most)
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
MIN_PASSWORD_LENGTH = 8
_DUMMY_HASH = None  # computed on first use: makes a login with an unknown id cost as much as a real one
# Password checks run here, at most half the cores at once: a burst of bogus logins queues instead of taking
# every core from the event loop (and from the webhook it serves).
_HASHING = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="password-hash")


class AccountError(ValueError):
    """A password that cannot be set; the message is for the administrator."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


async def set_password(session: AsyncSession, staff_id: str, password: str, now: datetime) -> Staff:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise AccountError(f"no staff {staff_id}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    row = await session.get(StaffPassword, staff_id)
    if row is None:
        session.add(StaffPassword(staff_id=staff_id, password_hash=hash_password(password), set_at=now))
    else:
        row.password_hash, row.set_at = hash_password(password), now
    await end_sessions(session, staff_id)  # a new password logs every browser out
    return staff


async def stored_hash(session: AsyncSession, staff_id: str) -> str | None:
    """The password hash of a staff id, or None (unknown id, or no password set)."""
    staff_id = (staff_id or "").strip()
    row = await session.get(StaffPassword, staff_id) if STAFF_ID.fullmatch(staff_id) else None
    return row.password_hash if row is not None else None


async def verify(password: str, stored: str | None) -> bool:
    """scrypt (~50 ms of CPU, 16 MB) on the hashing threads, so the event loop keeps serving webhooks
    meanwhile. Call it outside any transaction. An unknown id costs as much as a known one."""
    global _DUMMY_HASH
    loop = asyncio.get_running_loop()
    if stored is None:
        _DUMMY_HASH = _DUMMY_HASH or await loop.run_in_executor(_HASHING, hash_password, secrets.token_hex(8))
        await loop.run_in_executor(_HASHING, check_password, password, _DUMMY_HASH)
        return False
    return await loop.run_in_executor(_HASHING, check_password, password, stored)


async def authenticate(db, staff_id: str, password: str) -> Staff | None:
    """The staff member with this id and password, or None (unknown id, no password set, wrong password).
    Reads the hash, closes the session, checks the password on a thread, then reads the staff row."""
    async with db.sessions() as session:
        stored = await stored_hash(session, staff_id)
    if not await verify(password, stored):
        return None
    async with db.sessions() as session:
        return await session.get(Staff, staff_id.strip())


# --- login throttling -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ThrottleRule:
    max_failures: int = 5  # this many failures of one key within `window` lock it
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)


def throttle_keys(staff_id: str, address: str) -> tuple[str, str]:
    """The two things a login is throttled by: the account tried and the client's address."""
    return f"staff:{UNPRINTABLE.sub('?', staff_id.strip())[:64]}", f"addr:{UNPRINTABLE.sub('?', address)[:64]}"


async def locked_until(session: AsyncSession, keys: tuple[str, ...], now: datetime) -> datetime | None:
    """When the latest lock on any of these keys ends, if one is on now."""
    ends = (await session.execute(select(LoginThrottle.locked_until).where(
        LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now))).scalars().all()
    return max(ends) if ends else None


async def record_failure(session: AsyncSession, keys: tuple[str, ...], now: datetime,
                         rule: ThrottleRule = ThrottleRule()) -> datetime | None:
    """Count one failed login against each key; returns when the lock ends if this failure set one."""
    t = LoginThrottle
    # forget keys whose window and lock are over, so guessing many ids does not grow the table for ever
    await session.execute(delete(t).where(t.first_failed_at < now - rule.window,
                                          t.locked_until.is_(None) | (t.locked_until <= now)))
    await session.execute(insert_for(session)(LoginThrottle).values(
        [{"key": k, "failures": 0, "first_failed_at": now} for k in keys]).on_conflict_do_nothing())
    stale = (t.first_failed_at < now - rule.window) | (t.locked_until.is_not(None) & (t.locked_until <= now))
    await session.execute(update(t).where(t.key.in_(keys), stale)
                          .values(failures=0, first_failed_at=now, locked_until=None))
    await session.execute(update(t).where(t.key.in_(keys)).values(failures=t.failures + 1))
    until = now + rule.lock
    locked = (await session.execute(update(t).where(t.key.in_(keys), t.failures >= rule.max_failures,
                                                    t.locked_until.is_(None))
                                    .values(locked_until=until).returning(t.key))).scalars().all()
    return until if locked else None


async def clear_failures(session: AsyncSession, key: str) -> None:
    """A successful login forgets the account's failures (the address's stay counted)."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(session: AsyncSession, staff: Staff, now: datetime, ttl_s: int) -> str:
    """A new login session; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(DashboardSession(token_hash=_token_hash(token), staff_id=staff.id, created_at=now,
                                 expires_at=now + timedelta(seconds=ttl_s), last_seen_at=now))
    await session.execute(delete(DashboardSession).where(DashboardSession.expires_at < now))
    return token


async def staff_for_token(session: AsyncSession, token: str | None, now: datetime) -> Staff | None:
    """The staff member of a live session, or None (no such session, or expired)."""
    if not token:
        return None
    found = (await session.execute(select(DashboardSession).where(
        DashboardSession.token_hash == _token_hash(token)))).scalar_one_or_none()
    if found is None or found.expires_at <= now:
        return None
    return await session.get(Staff, found.staff_id)


async def close_session(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(delete(DashboardSession).where(DashboardSession.token_hash == _token_hash(token)))


async def end_sessions(session: AsyncSession, staff_id: str) -> int:
    """Log a staff member out of every browser (password change, unbind, `staff logout`)."""
    result = await session.execute(delete(DashboardSession).where(DashboardSession.staff_id == staff_id))
    return result.rowcount or 0
