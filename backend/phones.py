"""Residents' phone numbers, proved by a code sent by SMS (`绑定手机`): a resident who reported by the
hotline and then binds WeChat with the same number sees those cases under 我的工单 (backend.cases).

The code goes out through the outbox (platform "sms", recipient the number), in the same transaction as
the code's row; the SMS sender in bot/ delivers it. Only a hash of the code is kept."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import texts as T
from backend.cases import Reporter
from storage import outbox
from storage.models import PhoneBinding, PhoneCode

SMS_PLATFORM = "sms"
CODE_TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
DAILY_CODES = 5  # codes one identity may ask for in 24 hours
MAX_ATTEMPTS = 5  # wrong answers before a code is dead
MOBILE = re.compile(r"1[3-9]\d{9}")


def normalize(phone: str | None) -> str | None:
    """The 11 digits of a mainland mobile number (spaces, dashes and +86 dropped), or None if it is not one."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if MOBILE.fullmatch(digits) else None


def _hash(who: Reporter, code: str) -> str:
    return hashlib.sha256(f"{who.platform}:{who.user_id}:{code.strip()}".encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: str = ""  # refusals: bad_phone | too_soon | too_many | no_code | expired | wrong | locked
    phone: str | None = None


async def request_code(session: AsyncSession, who: Reporter, phone: str, now: datetime) -> Outcome:
    """Send a fresh 6-digit code to `phone` for this identity (earlier codes stop working)."""
    number = normalize(phone)
    if number is None:
        return Outcome(False, "bad_phone")
    recent = (await session.execute(
        select(func.count(), func.max(PhoneCode.created_at))
        .where(PhoneCode.platform == who.platform, PhoneCode.user_id == who.user_id,
               PhoneCode.created_at > now - timedelta(days=1)))).one()
    if recent[1] is not None and now - recent[1] < RESEND_AFTER:
        return Outcome(False, "too_soon", number)
    if recent[0] >= DAILY_CODES:
        return Outcome(False, "too_many", number)
    code = f"{secrets.randbelow(10 ** 6):06d}"
    row = PhoneCode(platform=who.platform, user_id=who.user_id, phone=number, code_hash=_hash(who, code),
                    created_at=now, expires_at=now + CODE_TTL, attempts=0)
    session.add(row)
    await session.flush()
    outbox.enqueue(session, platform=SMS_PLATFORM, user_id=number, kind="phone_code",
                   payload={"text": T.SMS_CODE.format(code=code, minutes=int(CODE_TTL.total_seconds() // 60))},
                   idempotency_key=f"sms:phone_code:{row.id}", now=now)
    return Outcome(True, phone=number)


async def verify(session: AsyncSession, who: Reporter, code: str, now: datetime) -> Outcome:
    """Check the answer against this identity's latest code; on success bind the number to the identity."""
    latest = (await session.execute(
        select(PhoneCode).where(PhoneCode.platform == who.platform, PhoneCode.user_id == who.user_id)
        .order_by(PhoneCode.id.desc()).limit(1).with_for_update())).scalar_one_or_none()
    if latest is None or latest.used_at is not None:
        return Outcome(False, "no_code")
    if latest.expires_at < now:
        return Outcome(False, "expired", latest.phone)
    if latest.attempts >= MAX_ATTEMPTS:
        return Outcome(False, "locked", latest.phone)
    if latest.code_hash != _hash(who, code):
        latest.attempts += 1
        return Outcome(False, "locked" if latest.attempts >= MAX_ATTEMPTS else "wrong", latest.phone)
    latest.used_at = now
    await session.execute(delete(PhoneBinding).where(PhoneBinding.platform == who.platform,
                                                     PhoneBinding.user_id == who.user_id))
    session.add(PhoneBinding(platform=who.platform, user_id=who.user_id, phone=latest.phone, verified_at=now))
    return Outcome(True, phone=latest.phone)


async def bound_phone(session: AsyncSession, who: Reporter) -> str | None:
    return (await session.execute(select(PhoneBinding.phone).where(
        PhoneBinding.platform == who.platform, PhoneBinding.user_id == who.user_id))).scalar_one_or_none()


async def unbind(session: AsyncSession, who: Reporter) -> bool:
    result = await session.execute(delete(PhoneBinding).where(PhoneBinding.platform == who.platform,
                                                              PhoneBinding.user_id == who.user_id))
    return bool(result.rowcount)
