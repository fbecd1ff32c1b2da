"""What the residents' web pages (/h5/) read and do, on the same rules as the chat.

- A resident sees a case only in their part of it (`cases.role_of`): the reporter's view with their own
  words and photos, or the public view of a follower (backend/trace.py). A case that is neither theirs nor
  followed reads as unknown, whatever its number, so numbers cannot be walked into another's page.
- Photos come from our own store only (the media keeper's files): the reporter sees their own and the
  officer's, a follower none (the public view has no photos).
- 我也遇到 is `cases.follow` on an open case, the chat's duplicate offer; a rating is the case's one survey
  (`surveys.question_about` + `surveys.settle`), answered once wherever it was answered.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases, lifecycle, surveys, trace, workflow
from backend.places import distance_m
from storage.models import Case, CaseFollower, CaseMedia, ChargingStation, Compound, ResidentPreference, Staff

NEARBY_DAYS = 30
NEARBY_LIMIT = 40
MY_CASES_LIMIT = 50
STAGE_AT = {"accept": "accepted_at", "depart": "departed_at", "arrive": "arrived_at"}


@dataclass(frozen=True)
class Photo:
    id: int
    by_staff: bool
    added_at: datetime


@dataclass(frozen=True)
class OpenStage:
    """The 1315 stage the case waits for now and when it is due (UTC)."""

    stage: str
    due: datetime


@dataclass(frozen=True)
class CasePage:
    case: Case
    view: trace.ResidentView
    compound: str | None
    officer_surname: str | None
    photos: list[Photo] = field(default_factory=list)
    stage: OpenStage | None = None
    question: surveys.Question | None = None  # what a rating answers now (None: nothing to rate)

    @property
    def is_open(self) -> bool:
        return self.case.status in lifecycle.UNFINISHED


def open_stage(case: Case) -> OpenStage | None:
    """The first 1315 stage of the current dispatch not yet done, while the case is being worked."""
    if not case.sla or case.status in (*lifecycle.CLOSED, "suspended"):
        return None
    for stage in workflow.STAGES:
        if getattr(case, STAGE_AT[stage]) is None and stage in case.sla:
            return OpenStage(stage, datetime.fromisoformat(case.sla[stage]))
    return None


async def case_page(session: AsyncSession, number: str, who: cases.Reporter) -> CasePage | None:
    """The case as `who` may read it, or None (unknown, or neither reported nor followed by them)."""
    case = await cases.by_number(session, number)
    role = await cases.role_of(session, case, who) if case is not None else None
    if role is None:
        return None
    view = await (trace.reporter_view(session, case, who) if role == "reporter" else trace.public_view(session, case))
    compound = await session.get(Compound, case.compound_id) if case.compound_id else None
    officer = await session.get(Staff, case.officer_id) if case.officer_id else None
    photos = await _photos(session, case, who) if role == "reporter" else []
    return CasePage(case, view, compound.name if compound else None, officer.name[:1] if officer else None,
                    photos, open_stage(case), await surveys.question_about(session, case, who))


async def _photos(session: AsyncSession, case: Case, who: cases.Reporter) -> list[Photo]:
    rows = (await session.execute(select(CaseMedia).where(
        CaseMedia.case_id == case.id, CaseMedia.kind == "image", CaseMedia.stored_path.is_not(None))
        .order_by(CaseMedia.id))).scalars()
    return [Photo(m.id, not m.added_by.startswith("resident:"), m.added_at) for m in rows
            if m.added_by == who.actor or not m.added_by.startswith("resident:")]


async def photo_for(session: AsyncSession, media_id: int, who: cases.Reporter) -> str | None:
    """The stored file of a photo `who` may see (their own or staff's, on a case they reported), or None."""
    media = await session.get(CaseMedia, media_id)
    if media is None or not media.stored_path or media.kind != "image":
        return None
    if media.added_by != who.actor and media.added_by.startswith("resident:"):
        return None
    case = await session.get(Case, media.case_id)
    if case is None or await cases.role_of(session, case, who) != "reporter":
        return None
    return media.stored_path


async def my_cases(session: AsyncSession, who: cases.Reporter) -> list[trace.CaseSummary]:
    return await trace.my_cases(session, who, limit=MY_CASES_LIMIT)


async def compound_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Compound.id, Compound.name).where(Compound.id.in_(ids)))
    return dict(rows.all())


@dataclass(frozen=True)
class NearbyCase:
    number: str
    category: str
    compound_id: str | None
    compound: str | None
    created_at: datetime
    reporters: int  # the reporter and everyone who reported it again
    distance_m: float | None
    lat: float | None
    lng: float | None
    followed: bool  # `who` reported or follows it already


async def nearby(session: AsyncSession, who: cases.Reporter, now: datetime, *, lat: float | None,
                 lng: float | None, radius_m: float, days: int = NEARBY_DAYS,
                 limit: int = NEARBY_LIMIT) -> list[NearbyCase]:
    """Open cases of the last `days` days, nearest first within `radius_m` of the point (all of them,
    newest first, without a point). Only what the public view shows: category, compound, when, how many."""
    rows = (await session.execute(
        select(Case.id, Case.number, Case.category, Case.compound_id, Case.created_at, Case.repeat_reports,
               Compound.name, func.coalesce(Case.lat, Compound.lat), func.coalesce(Case.lng, Compound.lng))
        .outerjoin(Compound, Compound.id == Case.compound_id)
        .where(Case.status.in_(lifecycle.UNFINISHED), Case.created_at >= now - timedelta(days=days))
        .order_by(Case.created_at.desc()))).all()
    found = []
    for row in rows:
        away = distance_m(lat, lng, row[7], row[8]) if lat is not None and row[7] is not None else None
        if lat is not None and (away is None or away > radius_m):
            continue
        found.append((row, away))
    if lat is not None:
        found.sort(key=lambda pair: pair[1])
    found = found[:limit]
    mine = await _followed(session, who, [row[0] for row, _ in found])
    return [NearbyCase(row[1], row[2], row[3], row[6], row[4], row[5] + 1, away, row[7], row[8], row[0] in mine)
            for row, away in found]


async def _followed(session: AsyncSession, who: cases.Reporter, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    rows = await session.execute(select(CaseFollower.case_id).where(
        CaseFollower.case_id.in_(ids), CaseFollower.platform == who.platform, CaseFollower.user_id == who.user_id))
    return set(rows.scalars())


@dataclass(frozen=True)
class Followed:
    """What 我也遇到 did. code: followed | already | closed (nothing to follow any more) | unknown."""

    code: str
    number: str


async def me_too(session: AsyncSession, number: str, who: cases.Reporter, now: datetime) -> Followed:
    """我也遇到 on an open case: the resident follows it and it counts as a repeat report, as when they take
    the chat's duplicate offer; from now on they get its pushes."""
    case = await cases.by_number(session, number)
    if case is None:
        return Followed("unknown", number)
    if case.status not in lifecycle.UNFINISHED:
        return Followed("closed", number)
    added = await cases.follow(session, case, who, now)
    return Followed("followed" if added else "already", number)


async def where_is(session: AsyncSession, who: cases.Reporter) -> Compound | None:
    """The compound of the resident's latest reported case: where 附近 starts when no point was shared."""
    row = (await session.execute(select(Compound).join(Case, Case.compound_id == Compound.id).where(
        Case.reporter_platform == who.platform, Case.reporter_id == who.user_id)
        .order_by(Case.created_at.desc()).limit(1))).scalars().first()
    return row


async def map_places(session: AsyncSession) -> tuple[list, list]:
    """The street's compounds and charging stations (id/name, lat, lng rows) for the map; no counting: 附近
    counts its own list."""
    compounds = (await session.execute(select(Compound.id, Compound.name, Compound.lat, Compound.lng)
                                       .order_by(Compound.id))).all()
    stations = (await session.execute(select(ChargingStation.name, ChargingStation.lat, ChargingStation.lng)
                                      .order_by(ChargingStation.id))).all()
    return list(compounds), list(stations)


async def compound(session: AsyncSession, compound_id: str) -> Compound | None:
    return await session.get(Compound, compound_id)


async def large_text(session: AsyncSession, who: cases.Reporter) -> bool:
    pref = await session.get(ResidentPreference, (who.platform, who.user_id))
    return bool(pref and pref.large_text)


async def set_large_text(session: AsyncSession, who: cases.Reporter, on: bool, now: datetime) -> None:
    pref = await session.get(ResidentPreference, (who.platform, who.user_id))
    if pref is None:
        session.add(ResidentPreference(platform=who.platform, user_id=who.user_id, large_text=on, updated_at=now))
    else:
        pref.large_text, pref.updated_at = on, now


async def add_stored_photos(session: AsyncSession, case: Case, paths: list[str], who: cases.Reporter,
                            now: datetime) -> None:
    """Photos the resident uploaded on a page, already in our own store: joined to the case like chat photos
    (on its trace as 补充了照片 when the case existed before)."""
    for path in paths:
        session.add(CaseMedia(case_id=case.id, kind="image", platform="h5", added_by=who.actor, added_at=now,
                              stored_path=path))
    if paths and case.created_at != now:
        cases.record(session, case, "media_added", actor=who.actor, at=now, data={"count": len(paths)})


async def duplicate_of(session: AsyncSession, compound_id: str | None, category: str, now: datetime) -> Case | None:
    """The chat's duplicate rule (an open case of the same category in the same compound, recently)."""
    return await cases.find_duplicate(session, compound_id=compound_id, category=category, now=now)


async def kept_names(session: AsyncSession, names: list[str]) -> set[str]:
    """Which of these uploaded files (by file name: random, unique) a case's photo row points at. By name, not
    by whole path, so a data folder written another way (relative, absolute, a link) still finds them."""
    if not names:
        return set()
    rows = await session.execute(select(CaseMedia.stored_path).where(
        CaseMedia.platform == "h5", or_(*(CaseMedia.stored_path.endswith("/" + name) for name in names))))
    return {path.rsplit("/", 1)[-1] for path in rows.scalars()}
