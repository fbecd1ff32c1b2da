"""What the staff dashboard (web/dashboard.py) reads: the case list with its filters and pages, one case
with its places and media, the map's facts, and a kept photo's file. Queries only; the page is the web's."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases as cases_mod, lifecycle
from storage.models import Case, CaseMedia, ChargingStation, Compound, Department, Staff

# filters that match one column exactly: query parameter -> column
EXACT_FILTERS = {"status": Case.status, "compound": Case.compound_id, "category": Case.category,
                 "officer": Case.officer_id, "channel": Case.channel, "community": Compound.community}


@dataclass(frozen=True)
class CaseFilter:
    exact: dict  # a name of EXACT_FILTERS -> the value it must have
    number: str | None = None  # part of the case number
    start: datetime | None = None  # created at or after
    end: datetime | None = None  # created before


@dataclass(frozen=True)
class CaseRow:
    case: Case
    compound: str | None
    officer: str | None


@dataclass(frozen=True)
class FilterChoices:
    compounds: list[Compound]
    officers: list[Staff]
    channels: list[str]

    @property
    def communities(self) -> list[str]:
        return sorted({c.community for c in self.compounds})


def _conditions(found: CaseFilter) -> list:
    conditions = [EXACT_FILTERS[name] == value for name, value in found.exact.items()
                  if name in EXACT_FILTERS and value]
    if found.number:
        conditions.append(Case.number.contains(found.number, autoescape=True))
    if found.start is not None:
        conditions.append(Case.created_at >= found.start)
    if found.end is not None:
        conditions.append(Case.created_at < found.end)
    return conditions


async def case_page(session: AsyncSession, found: CaseFilter, *, offset: int, limit: int) -> tuple[int, list[CaseRow]]:
    """How many cases match, and one page of them (newest first) with their compound's and officer's names."""
    statement = (select(Case, Compound.name, Staff.name).outerjoin(Compound, Compound.id == Case.compound_id)
                 .outerjoin(Staff, Staff.id == Case.officer_id).where(*_conditions(found)))
    total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
    rows = (await session.execute(statement.order_by(Case.created_at.desc(), Case.id.desc())
                                  .limit(limit).offset(offset))).all()
    return total, [CaseRow(*row) for row in rows]


async def filter_choices(session: AsyncSession) -> FilterChoices:
    compounds = list((await session.execute(select(Compound).order_by(Compound.id))).scalars())
    officers = list((await session.execute(select(Staff).order_by(Staff.id))).scalars())
    channels = sorted((await session.execute(select(Case.channel).distinct())).scalars())
    return FilterChoices(compounds, officers, channels)


@dataclass(frozen=True)
class MapFacts:
    compounds: list[Compound]
    stations: list[ChargingStation]
    open_by_compound: dict[str, int]
    demo_cases: int  # cases made by `seed --history` (the page says the data is a demonstration)


async def map_facts(session: AsyncSession) -> MapFacts:
    compounds = list((await session.execute(select(Compound).order_by(Compound.id))).scalars())
    stations = list((await session.execute(select(ChargingStation).order_by(ChargingStation.id))).scalars())
    open_rows = (await session.execute(
        select(Case.compound_id, func.count()).where(Case.status.in_(lifecycle.UNFINISHED))
        .group_by(Case.compound_id))).all()
    demo = (await session.execute(select(func.count()).select_from(Case)
                                  .where(Case.reporter_platform == "demo"))).scalar_one()
    return MapFacts(compounds, stations, {k: n for k, n in open_rows if k}, demo)


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    view: dict  # cases.staff_view
    compound: Compound | None
    officer: Staff | None
    department: Department | None
    media: list[CaseMedia]


async def case_detail(session: AsyncSession, number: str) -> CaseDetail | None:
    case = await cases_mod.by_number(session, number)
    if case is None:
        return None
    view = await cases_mod.staff_view(session, case)
    compound = await session.get(Compound, case.compound_id) if case.compound_id else None
    officer = await session.get(Staff, case.officer_id) if case.officer_id else None
    department = await session.get(Department, case.dept_id) if case.dept_id else None
    media = list((await session.execute(select(CaseMedia).where(CaseMedia.case_id == case.id)
                                        .order_by(CaseMedia.id))).scalars())
    return CaseDetail(case, view, compound, officer, department, media)


async def stored_media(session: AsyncSession, media_id: int) -> CaseMedia | None:
    """A case's photo that the media keeper stored in our own data directory, or None."""
    media = await session.get(CaseMedia, media_id)
    return media if media is not None and media.stored_path else None
