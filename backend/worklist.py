"""What a staff member has to work on: the open cases they may act on (待办, paged, with the true total),
a case found by the ending of its number, and their month's figures (统计). Queries live here so the chat's
handlers ask for these by name."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import lifecycle, routing
from backend.clock import local
from storage.models import Case, CaseCohandler, CaseMedia, Staff


def _in_reach(statement, actor: Staff):
    """Limit a select over cases to those this staff member may act on (as backend.staff.may_act)."""
    if actor.role == "officer":
        compounds = list(actor.compounds or [])
        if "*" in compounds:
            return statement
        return statement.where((Case.officer_id == actor.id) | Case.compound_id.in_(routing.covered_by(compounds)))
    if actor.role == "liaison":
        joined = select(CaseCohandler.case_id).where(CaseCohandler.dept_id == actor.dept_id)
        return statement.where((Case.dept_id == actor.dept_id) | Case.id.in_(joined))
    return statement


@dataclass(frozen=True)
class WorkPage:
    cases: list[Case]
    total: int  # every open case in reach, not only this page
    page: int  # 1-based, clamped to the pages there are
    pages: int


async def open_page(session: AsyncSession, actor: Staff, *, page: int = 1, per_page: int = 10) -> WorkPage:
    """One page of the open cases in reach, most urgent first, then newest first."""
    where = _in_reach(select(Case).where(Case.status.in_(lifecycle.UNFINISHED)), actor)
    total = (await session.execute(select(func.count()).select_from(where.subquery()))).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    ordered = where.order_by(Case.priority, Case.created_at.desc(), Case.id.desc())
    found = (await session.execute(ordered.offset((page - 1) * per_page).limit(per_page))).scalars()
    return WorkPage(list(found), total, page, pages)


async def open_ending_with(session: AsyncSession, actor: Staff, ending: str, limit: int = 3) -> list[Case]:
    """Open cases in reach whose number ends with `ending` (a short number typed by staff)."""
    where = _in_reach(select(Case).where(Case.status.in_(lifecycle.UNFINISHED),
                                         Case.number.like(f"%{ending}")), actor)
    return list((await session.execute(where.order_by(Case.created_at.desc()).limit(limit))).scalars())


async def by_id(session: AsyncSession, case_id: int) -> Case | None:
    return await session.get(Case, case_id)


async def media_count(session: AsyncSession, case: Case) -> int:
    return (await session.execute(select(func.count()).select_from(CaseMedia)
                                  .where(CaseMedia.case_id == case.id))).scalar_one()


@dataclass(frozen=True)
class MonthFigures:
    total: int
    on_time: int  # accepted within the accept deadline
    resolved: int
    open: int


async def month_figures(session: AsyncSession, officer: Staff, now: datetime) -> MonthFigures:
    """统计: the cases assigned to this officer since the start of the local month."""
    month_start = local(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = (await session.execute(select(Case).where(Case.officer_id == officer.id,
                                                     Case.created_at >= month_start))).scalars().all()
    on_time = sum(1 for c in rows
                  if c.accepted_at and c.sla and c.accepted_at <= datetime.fromisoformat(c.sla["accept"]))
    return MonthFigures(total=len(rows), on_time=on_time,
                        resolved=sum(1 for c in rows if c.status in lifecycle.CLOSED),
                        open=sum(1 for c in rows if c.status in lifecycle.UNFINISHED))
