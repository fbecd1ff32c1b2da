"""Staff accounts for the web dashboard: passwords (salted scrypt, stdlib) and login sessions.

Only staff records can log in, by staff id (e.g. S12) and the password set with
`main.py staff password --staff-id S12`; a resident's openid is not a staff id, so it never can. The
session cookie carries a random token; the table keeps its sha256 and an absolute expiry.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DashboardSession, Staff, StaffPassword

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
MIN_PASSWORD_LENGTH = 8
_DUMMY_HASH = None  # computed on first use: makes a login with an unknown id cost as much as a real one


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


async def authenticate(session: AsyncSession, staff_id: str, password: str) -> Staff | None:
    """The staff member with this id and password, or None (unknown id, no password set, wrong password)."""
    global _DUMMY_HASH
    row = await session.get(StaffPassword, staff_id.strip()) if staff_id else None
    if row is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(8))
        check_password(password, _DUMMY_HASH)
        return None
    if not check_password(password, row.password_hash):
        return None
    return await session.get(Staff, row.staff_id)


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


async def end_sessions(session: AsyncSession, staff_id: str) -> None:
    await session.execute(delete(DashboardSession).where(DashboardSession.staff_id == staff_id))
