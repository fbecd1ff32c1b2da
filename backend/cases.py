"""Cases: numbers, creation with their first events, duplicates, followers, the trace, progress.

The statuses and their transitions are declared in backend.lifecycle (drawn in docs/lifecycle.md); every
change is an append-only CaseEvent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import lifecycle, texts as T
from backend.clock import local
from storage.db import insert_for
from storage.models import Case, CaseEvent, CaseFollower, CaseMedia, CaseNumberDay, ChannelReport, PhoneBinding

DUPLICATE_WINDOW = timedelta(hours=48)
# where a resident reads a case (the residents' pages, web/h5.py), as a path under PUBLIC_URL: every push
# about a case carries it, and the sender makes it a link (bot/wechat/delivery.py)
RESIDENT_PAGE = "/h5/cases/{number}"
URGENT_PRIORITY = 1
REPORT_KIND = "report"  # a case of a problem told; the other kind is a consultation left for a call-back


@dataclass(frozen=True)
class Reporter:
    platform: str
    user_id: str

    @property
    def actor(self) -> str:
        return f"resident:{self.platform}:{self.user_id}"


@dataclass
class NewCase:
    """Everything known about a report when it becomes a case."""

    category: str
    description: str
    priority: int
    channel: str
    dept_id: str | None = None
    compound_id: str | None = None
    building: str | None = None
    spot: str | None = None
    place_text: str | None = None  # no known place: the resident's description or shared point, to be placed
    occurred: str | None = None
    lat: float | None = None
    lng: float | None = None
    urgent: bool = False
    reporter: Reporter | None = None
    contact_phone: str | None = None
    anonymous: bool = False
    media: list[dict] = field(default_factory=list)  # {"kind", "media_id", "url"}
    actor: str | None = None  # who created it, when not a resident (e.g. "channel:12345热线")
    kind: str = REPORT_KIND  # report | consultation (a resident's question left for a call-back)


async def next_number(session: AsyncSession, now: datetime) -> str:
    """The next case number of the local day, e.g. 20261127-0012: one atomic upsert, unique across
    processes because the day's row is locked (PostgreSQL) or written by one writer (SQLite)."""
    day = local(now).strftime("%Y%m%d")
    insert = insert_for(session)(CaseNumberDay).values(day=day, last=1)
    statement = insert.on_conflict_do_update(
        index_elements=["day"], set_={"last": CaseNumberDay.last + 1}
    ).returning(CaseNumberDay.last)
    last = (await session.execute(statement)).scalar_one()
    return f"{day}-{last:04d}"


record = lifecycle.record


async def create_case(session: AsyncSession, new: NewCase, now: datetime) -> Case:
    case = Case(
        number=await next_number(session, now),
        category=new.category,
        compound_id=new.compound_id,
        building=new.building,
        spot=new.spot,
        place_text=None if new.compound_id else new.place_text,
        description=new.description,
        occurred=new.occurred,
        lat=new.lat,
        lng=new.lng,
        priority=URGENT_PRIORITY if new.urgent else new.priority,
        urgent=new.urgent,
        status=lifecycle.INITIAL,
        channel=new.channel,
        kind=new.kind,
        reporter_platform=new.reporter.platform if new.reporter else None,
        reporter_id=new.reporter.user_id if new.reporter else None,
        contact_phone=new.contact_phone,
        anonymous=new.anonymous,
        dept_id=new.dept_id,
        repeat_reports=0,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    actor = new.reporter.actor if new.reporter else (new.actor or "system")
    record(session, case, "created", actor=actor, at=now,
           data={"category": new.category, "compound_id": new.compound_id, "building": new.building,
                 "urgent": new.urgent, "channel": new.channel,
                 **({"place_text": case.place_text, "needs_place": True} if case.place_text else {})})
    for item in new.media:
        session.add(CaseMedia(case_id=case.id, kind=item["kind"], media_id=item.get("media_id"),
                              url=item.get("url"), platform=item.get("platform"), added_by=actor, added_at=now))
    if new.reporter:
        session.add(CaseFollower(case_id=case.id, platform=new.reporter.platform, user_id=new.reporter.user_id,
                                 role="reporter", since=now))
    return case


async def find_duplicate(session: AsyncSession, *, compound_id: str | None, category: str,
                         now: datetime) -> Case | None:
    """An open case in the same compound and category created within the last 48 hours."""
    if compound_id is None:
        return None
    statement = (
        select(Case)
        .where(Case.compound_id == compound_id, Case.category == category, Case.status.in_(lifecycle.UNFINISHED),
               Case.created_at >= now - DUPLICATE_WINDOW)
        .order_by(Case.created_at.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def follow(session: AsyncSession, case: Case, who: Reporter, now: datetime) -> bool:
    """Add a resident as a follower of a case; counts as a repeat report. False if already following."""
    existing = await session.execute(
        select(CaseFollower.id).where(CaseFollower.case_id == case.id, CaseFollower.platform == who.platform,
                                      CaseFollower.user_id == who.user_id))
    if existing.first() is not None:
        return False
    session.add(CaseFollower(case_id=case.id, platform=who.platform, user_id=who.user_id, role="follower",
                             since=now))
    case.repeat_reports += 1
    record(session, case, "followed", actor=who.actor, at=now, note=T.NOTE_FOLLOWED)
    return True


async def add_media(session: AsyncSession, case: Case, items: list[dict], *, actor: str, now: datetime) -> None:
    for item in items:
        session.add(CaseMedia(case_id=case.id, kind=item["kind"], media_id=item.get("media_id"),
                              url=item.get("url"), platform=item.get("platform"), added_by=actor, added_at=now))
    if items:
        record(session, case, "media_added", actor=actor, at=now, data={"count": len(items)})


async def by_number(session: AsyncSession, number: str) -> Case | None:
    return (await session.execute(select(Case).where(Case.number == number))).scalar_one_or_none()


async def visible_to(session: AsyncSession, number: str, who: Reporter) -> Case | None:
    """The case with this number if `who` reported or follows it, or it was reported (by any channel) with
    the phone number `who` verified; None otherwise (also when unknown)."""
    statement = (
        select(Case)
        .join(CaseFollower, CaseFollower.case_id == Case.id)
        .where(Case.number == number, CaseFollower.platform == who.platform, CaseFollower.user_id == who.user_id)
    )
    found = (await session.execute(statement)).scalars().first()
    if found is not None:
        return found
    return (await session.execute(select(Case).where(Case.number == number, Case.id.in_(_by_phone(who))))
            ).scalars().first()


async def role_of(session: AsyncSession, case: Case, who: Reporter) -> str | None:
    """`who`'s part in the case: reporter (they reported it, or it was left with the phone number they
    verified), follower (they follow it, or a channel's repeat report with their number was merged into
    it), or None."""
    row = (await session.execute(select(CaseFollower.role).where(
        CaseFollower.case_id == case.id, CaseFollower.platform == who.platform,
        CaseFollower.user_id == who.user_id))).scalars().first()
    phone = await _phone_of(session, who)
    if row == "reporter" or (phone is not None and case.contact_phone == phone):
        return "reporter"
    if row is not None:
        return "follower"
    merged = (await session.execute(select(ChannelReport.id).where(
        ChannelReport.case_id == case.id, ChannelReport.contact_phone == phone))).first() if phone else None
    return "follower" if merged else None


async def _phone_of(session: AsyncSession, who: Reporter) -> str | None:
    return (await session.execute(select(PhoneBinding.phone).where(
        PhoneBinding.platform == who.platform, PhoneBinding.user_id == who.user_id))).scalars().first()


def _by_phone(who: Reporter):
    """Ids of cases left with the phone number this identity verified (as the case's contact, or in a
    channel's repeat report merged into it)."""
    phone = (select(PhoneBinding.phone).where(PhoneBinding.platform == who.platform,
                                              PhoneBinding.user_id == who.user_id).scalar_subquery())
    return select(Case.id).where(Case.contact_phone == phone).union(
        select(ChannelReport.case_id).where(ChannelReport.contact_phone == phone))


@dataclass(frozen=True)
class CaseLine:
    case: Case
    role: str  # reporter | follower
    last_event: CaseEvent | None


async def cases_of(session: AsyncSession, who: Reporter, limit: int = 10,
                   kinds: tuple[str, ...] | None = None) -> list[CaseLine]:
    """The resident's reported and followed cases, and those left with their verified phone number (e.g. by
    the 12345 hotline; a channel's repeat report merged into another's case makes them a follower), newest
    first, each with its last event (of `kinds`, when given)."""
    rows = (
        await session.execute(
            select(Case, CaseFollower.role)
            .join(CaseFollower, CaseFollower.case_id == Case.id)
            .where(CaseFollower.platform == who.platform, CaseFollower.user_id == who.user_id)
            .order_by(Case.created_at.desc(), Case.id.desc())
            .limit(limit)
        )
    ).all()
    followed = {case.id for case, _ in rows}
    by_phone = (await session.execute(select(Case).where(Case.id.in_(_by_phone(who)))
                                      .order_by(Case.created_at.desc(), Case.id.desc()).limit(limit))).scalars()
    phone = await _phone_of(session, who)
    rows = [*rows, *((case, "reporter" if case.contact_phone == phone else "follower")
                     for case in by_phone if case.id not in followed)]
    rows = sorted(rows, key=lambda row: (row[0].created_at, row[0].id), reverse=True)[:limit]
    if not rows:
        return []
    ids = [case.id for case, _ in rows]
    last_ids = select(func.max(CaseEvent.id)).where(CaseEvent.case_id.in_(ids)).group_by(CaseEvent.case_id)
    if kinds is not None:
        last_ids = last_ids.where(CaseEvent.kind.in_(kinds))
    events = {e.case_id: e for e in (await session.execute(select(CaseEvent).where(CaseEvent.id.in_(last_ids))))
              .scalars()}
    return [CaseLine(case, role, events.get(case.id)) for case, role in rows]


async def timeline(session: AsyncSession, case: Case) -> list[CaseEvent]:
    return list((await session.execute(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))).scalars())


async def media_of(session: AsyncSession, case: Case) -> list[CaseMedia]:
    return list((await session.execute(
        select(CaseMedia).where(CaseMedia.case_id == case.id).order_by(CaseMedia.id))).scalars())


async def followers_of(session: AsyncSession, case: Case) -> list[CaseFollower]:
    return list((await session.execute(
        select(CaseFollower).where(CaseFollower.case_id == case.id).order_by(CaseFollower.id))).scalars())


async def recipients_of(session: AsyncSession, case: Case) -> list[Reporter]:
    """Who hears about the case's steps: its reporter and followers, then the identities that verified a
    phone number the case was left with (e.g. a 12345 hotline caller who bound WeChat to that number):
    the same people who see it under 我的工单. Each once."""
    who = [Reporter(f.platform, f.user_id) for f in await followers_of(session, case)]
    left_with = PhoneBinding.phone.in_(select(ChannelReport.contact_phone).where(ChannelReport.case_id == case.id))
    if case.contact_phone:
        left_with = or_(left_with, PhoneBinding.phone == case.contact_phone)
    bound = (await session.execute(select(PhoneBinding.platform, PhoneBinding.user_id).where(left_with)
                                   .order_by(PhoneBinding.id))).all()
    who += [Reporter(platform, user_id) for platform, user_id in bound]
    return list(dict.fromkeys(who))


async def urge(session: AsyncSession, case: Case, who: Reporter, now: datetime) -> CaseEvent:
    """A resident's 催办: recorded on the trace (the workflow notifies the officer)."""
    return record(session, case, "urged", actor=who.actor, at=now, note=T.NOTE_URGED)


async def list_cases(session: AsyncSession, *, status: str | None = None, unplaced: bool = False,
                     limit: int = 100) -> list[Case]:
    """Newest first; `unplaced`: only cases at no known place (waiting for a person to place them)."""
    statement = select(Case).order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)
    if status:
        statement = statement.where(Case.status == status)
    if unplaced:
        statement = statement.where(Case.compound_id.is_(None))
    return list((await session.execute(statement)).scalars())


async def staff_view(session: AsyncSession, case: Case) -> dict:
    """A case as staff and the admin CLI see it: every field, the trace, media and followers, with the
    reporter's phone and the personal data in the resident's words and the notes masked (the number is one
    recorded `backend.audit.reveal_contact` away), and the reporter hidden when the report is anonymous."""
    from backend.privacy import mask_phone, mask_text

    events = await timeline(session, case)
    return {
        "number": case.number,
        "category": case.category,
        "compound": case.compound_id,
        "building": case.building,
        "spot": case.spot,
        "place_text": mask_text(case.place_text),
        "description": mask_text(case.description),
        "occurred": case.occurred,
        "status": case.status,
        "priority": case.priority,
        "urgent": case.urgent,
        "channel": case.channel,
        "dept": case.dept_id,
        "officer": case.officer_id,
        "location": {"lat": case.lat, "lng": case.lng} if case.lat is not None else None,
        "reporter": None if case.anonymous else case.reporter_id,
        "anonymous": case.anonymous,
        "contact_phone": mask_phone(case.contact_phone),
        "repeat_reports": case.repeat_reports,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "media": [{"kind": m.kind, "media_id": m.media_id, "url": m.url, "added_at": m.added_at.isoformat()}
                  for m in await media_of(session, case)],
        "followers": [{"user": f.user_id, "role": f.role, "since": f.since.isoformat()}
                      for f in await followers_of(session, case) if not (case.anonymous and f.role == "reporter")],
        "events": [{"kind": e.kind, "at": e.at.isoformat(), "actor": _shown_actor(case, e.actor), "note": mask_text(e.note),
                    "data": e.data} for e in events],
    }


def _shown_actor(case: Case, actor: str) -> str:
    if case.anonymous and case.reporter_id and actor.endswith(f":{case.reporter_id}"):
        return "resident:anonymous"
    return actor
