"""Grid routing: who handles a case. The category's department owns it (taxonomy); the compound's grid
officer takes it first: the stationed officer of a `resident` compound, the patrol officer of a `roving`
one (least loaded when several); nobody on the grid -> a supervisor."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import lifecycle
from storage.models import Case, Compound, Staff



async def open_load(session: AsyncSession, staff_ids: list[str]) -> dict[str, int]:
    if not staff_ids:
        return {}
    rows = await session.execute(select(Case.officer_id, func.count()).where(
        Case.officer_id.in_(staff_ids), Case.status.in_(lifecycle.UNFINISHED)).group_by(Case.officer_id))
    return {officer: count for officer, count in rows.all()}


async def grid_officer(session: AsyncSession, compound_id: str | None) -> Staff | None:
    """The officer a case in this compound goes to, or None when the grid has nobody for it."""
    if compound_id is None:
        return None
    compound = await session.get(Compound, compound_id)
    officers = [s for s in (await session.execute(select(Staff).where(Staff.role == "officer"))).scalars()
                if compound_id in (s.compounds or [])]
    if not officers:
        return None
    if compound is not None and compound.grid_mode == "resident":
        stationed = [s for s in officers if s.mode == "resident"]
        if stationed:
            return stationed[0]
    load = await open_load(session, [s.id for s in officers])
    return min(officers, key=lambda s: (load.get(s.id, 0), s.id))


async def fallback_supervisor(session: AsyncSession) -> Staff | None:
    return (await session.execute(select(Staff).where(Staff.role == "supervisor").order_by(Staff.id).limit(1))
            ).scalar_one_or_none()


async def assignee(session: AsyncSession, compound_id: str | None) -> Staff | None:
    return await grid_officer(session, compound_id) or await fallback_supervisor(session)
