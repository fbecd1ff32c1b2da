"""Staff identity: records, one-time binding codes, bound messaging identities, who may act on a case."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import accounts, routing
from storage.models import Case, CaseCohandler, Staff, StaffBindFailure, StaffBinding, StaffInvite

ROLES = ("officer", "liaison", "supervisor")
# Binding codes: long enough not to be guessed within the tries allowed, from letters and digits that
# cannot be misread for one another when copied by hand (no 0/O, 1/I/L), and short-lived.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
INVITE_TTL = timedelta(hours=24)
BIND_TRIES = 5  # wrong codes a sender may send within BIND_TRIES_WINDOW
BIND_TRIES_WINDOW = timedelta(hours=1)
# platforms a push to staff may go to, most preferred first (WeCom is the work phone when bound)
PUSH_PREFERENCE = ("wecom", "wechat")


class StaffError(ValueError):
    """A staff command that cannot be carried out; the message is for the administrator."""


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


async def create_staff(session: AsyncSession, *, name: str, role: str, dept_id: str, compounds: list[str]) -> Staff:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    existing = (await session.execute(select(Staff.id))).scalars().all()
    number = 1 + max((int(i[1:]) for i in existing if i[1:].isdigit()), default=0)
    staff = Staff(id=f"S{number:02d}", name=name, role=role, dept_id=dept_id, compounds=compounds,
                  mode="supervisor" if role == "supervisor" else ("liaison" if role == "liaison" else "roving"))
    session.add(staff)
    await session.flush()
    return staff


async def get(session: AsyncSession, staff_id: str) -> Staff | None:
    return await session.get(Staff, staff_id)


async def invite(session: AsyncSession, staff_id: str, now: datetime) -> str:
    """A new one-time code for `绑定 <code>` (only its hash is stored)."""
    if await session.get(Staff, staff_id) is None:
        raise StaffError(f"no staff {staff_id}")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    session.add(StaffInvite(staff_id=staff_id, code_hash=_hash(code), created_at=now, expires_at=now + INVITE_TTL))
    return code


@dataclass(frozen=True)
class Binding:
    staff: Staff | None
    code: str = ""  # refusals: wrong (unknown, used or expired) | locked (too many wrong tries this hour)


async def bind(session: AsyncSession, code: str, platform: str, user_id: str, now: datetime) -> Binding:
    """Redeem a binding code for this identity. A sender with BIND_TRIES wrong codes in the last hour is
    refused without the code being looked at; each wrong code is recorded."""
    since = now - BIND_TRIES_WINDOW
    failures = StaffBindFailure.__table__
    await session.execute(delete(failures).where(failures.c.platform == platform, failures.c.user_id == user_id,
                                                 failures.c.at < since))
    wrong = (await session.execute(select(func.count()).select_from(failures).where(
        failures.c.platform == platform, failures.c.user_id == user_id, failures.c.at >= since))).scalar_one()
    if wrong >= BIND_TRIES:
        return Binding(None, "locked")
    statement = select(StaffInvite).where(StaffInvite.code_hash == _hash(code)).with_for_update()
    found = (await session.execute(statement)).scalar_one_or_none()
    if found is None or found.used_at is not None or found.expires_at < now:
        session.add(StaffBindFailure(platform=platform, user_id=user_id, at=now))
        return Binding(None, "locked" if wrong + 1 >= BIND_TRIES else "wrong")
    found.used_at = now
    await session.execute(delete(StaffBinding).where(StaffBinding.platform == platform,
                                                     StaffBinding.user_id == user_id))
    session.add(StaffBinding(staff_id=found.staff_id, platform=platform, user_id=user_id, bound_at=now))
    return Binding(await session.get(Staff, found.staff_id))


async def link(session: AsyncSession, staff_id: str, platform: str, user_id: str, now: datetime) -> None:
    """Bind an identity directly (administrators syncing a directory)."""
    if await session.get(Staff, staff_id) is None:
        raise StaffError(f"no staff {staff_id}")
    await session.execute(delete(StaffBinding).where(StaffBinding.platform == platform,
                                                     StaffBinding.user_id == user_id))
    session.add(StaffBinding(staff_id=staff_id, platform=platform, user_id=user_id, bound_at=now))


async def unbind(session: AsyncSession, staff_id: str, platform: str | None = None) -> int:
    """Remove bound identities; the staff member's dashboard sessions end with them (whoever held the
    phone should not keep a browser logged in)."""
    statement = delete(StaffBinding).where(StaffBinding.staff_id == staff_id)
    if platform:
        statement = statement.where(StaffBinding.platform == platform)
    removed = (await session.execute(statement)).rowcount
    await accounts.end_sessions(session, staff_id)
    return removed


async def log_out(session: AsyncSession, staff_id: str) -> int:
    """End every dashboard session of a staff member (`staff logout`); returns how many were open."""
    if await session.get(Staff, staff_id) is None:
        raise StaffError(f"no staff {staff_id}")
    return await accounts.end_sessions(session, staff_id)


async def identify(session: AsyncSession, platform: str, user_id: str) -> Staff | None:
    """The staff member bound to this identity, if any (asked on every message: one light Core query,
    the ORM object only for staff)."""
    table = StaffBinding.__table__
    conn = await session.connection()
    staff_id = (await conn.execute(select(table.c.staff_id).where(
        table.c.platform == platform, table.c.user_id == user_id))).scalar_one_or_none()
    return await session.get(Staff, staff_id) if staff_id else None


async def bindings(session: AsyncSession, staff_id: str) -> list[StaffBinding]:
    rows = (await session.execute(select(StaffBinding).where(StaffBinding.staff_id == staff_id))).scalars()
    return sorted(rows, key=lambda b: PUSH_PREFERENCE.index(b.platform) if b.platform in PUSH_PREFERENCE else 99)


async def push_address(session: AsyncSession, staff_id: str) -> tuple[str, str] | None:
    """Where a push to this staff member goes: WeCom when bound there, else WeChat, else nowhere."""
    found = await bindings(session, staff_id)
    return (found[0].platform, found[0].user_id) if found else None


async def list_staff(session: AsyncSession) -> list[tuple[Staff, list[StaffBinding]]]:
    people = (await session.execute(select(Staff).order_by(Staff.id))).scalars().all()
    return [(s, await bindings(session, s.id)) for s in people]


async def supervisors(session: AsyncSession) -> list[Staff]:
    return list((await session.execute(select(Staff).where(Staff.role == "supervisor").order_by(Staff.id)))
                .scalars())


@dataclass(frozen=True)
class Permission:
    allowed: bool
    reason: str = ""  # why not: not_yours | not_your_dept


async def may_act(session: AsyncSession, staff: Staff, case: Case) -> Permission:
    """Officers act on cases assigned to them or at a place of their grid cells (the public places patrolled
    from them included); liaisons on their department's
    cases (owning or co-handling); supervisors on all."""
    if staff.role == "supervisor":
        return Permission(True)
    if staff.role == "officer":
        cells = list(staff.compounds or [])
        ok = case.officer_id == staff.id or "*" in cells or await routing.covers(session, cells, case.compound_id)
        return Permission(ok, "" if ok else "not_yours")
    if case.dept_id == staff.dept_id:
        return Permission(True)
    joined = await session.execute(select(CaseCohandler.id).where(CaseCohandler.case_id == case.id,
                                                                  CaseCohandler.dept_id == staff.dept_id))
    ok = joined.first() is not None
    return Permission(ok, "" if ok else "not_your_dept")
