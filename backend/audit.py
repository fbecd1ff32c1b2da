"""The audit log: every deliberate look at a resident's personal data (and every refused attempt) is a
row saying who, when, what and which case; the supervisor reads it with `audit list`.

`reveal_contact` is the one way staff see a case's contact number unmasked, from the chat (`电话 <case>`)
or the dashboard's button alike: the case's assigned officer and supervisors may; anyone else is refused,
and both are recorded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases
from backend.privacy import find_phones
from storage.models import AuditEntry, Case, ChannelReport, Staff

REVEAL = "reveal_contact"
ERASE = "erase_resident"


def record(session: AsyncSession, *, actor: str, action: str, outcome: str, now: datetime,
           case: Case | None = None, case_number: str | None = None, via: str | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits with what it records)."""
    number = case.number if case else case_number
    entry = AuditEntry(at=now, actor=actor, action=action, outcome=outcome, case_id=case.id if case else None,
                       case_number=number[:16] if number else None, via=via)
    session.add(entry)
    return entry


async def entries(session: AsyncSession, *, since: datetime | None = None, case_number: str | None = None,
                  limit: int = 200) -> list[AuditEntry]:
    """The newest entries first."""
    statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if since is not None:
        statement = statement.where(AuditEntry.at >= since)
    if case_number:
        statement = statement.where(AuditEntry.case_number == case_number)
    return list((await session.execute(statement)).scalars())


@dataclass(frozen=True)
class Reveal:
    """What a reveal gave: `ok` with the numbers as written, or the refusal's code
    (unknown_case | not_yours | no_phone)."""

    ok: bool
    code: str = ""
    phones: list[str] = field(default_factory=list)
    number: str = ""


def may_reveal(staff: Staff, case: Case) -> bool:
    """The case's assigned officer, and supervisors: the people DESIGN.md lets see a reporter's contact."""
    return staff.role == "supervisor" or (case.officer_id is not None and case.officer_id == staff.id)


async def contact_phones(session: AsyncSession, case: Case) -> list[str]:
    """The numbers a case was left with: its contact, those written into its description, and those of the
    channels' reports merged into it (e.g. a 12345 hotline caller)."""
    channel_phones = (await session.execute(
        select(ChannelReport.contact_phone).where(ChannelReport.case_id == case.id,
                                                  ChannelReport.contact_phone.is_not(None))
        .order_by(ChannelReport.id))).scalars()
    found = [case.contact_phone or "", *find_phones(case.description), *channel_phones]
    return list(dict.fromkeys(p.strip() for p in found if p and p.strip()))


async def reveal_contact(session: AsyncSession, case_number: str, staff: Staff, now: datetime, *,
                         via: str = "chat") -> Reveal:
    """Show `staff` the contact numbers of a case, if they may see them; recorded either way."""
    actor = f"staff:{staff.id}"
    case = await cases.by_number(session, case_number)
    if case is None:
        record(session, actor=actor, action=REVEAL, outcome="refused:unknown_case", now=now,
               case_number=case_number, via=via)
        return Reveal(False, "unknown_case", number=case_number)
    if not may_reveal(staff, case):
        record(session, actor=actor, action=REVEAL, outcome="refused:not_yours", now=now, case=case, via=via)
        return Reveal(False, "not_yours", number=case.number)
    phones = await contact_phones(session, case)
    record(session, actor=actor, action=REVEAL, outcome="shown" if phones else "no_phone", now=now, case=case,
           via=via)
    return Reveal(bool(phones), "" if phones else "no_phone", phones, case.number)
