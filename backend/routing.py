"""Grid routing: who handles a case. The category's department owns it (taxonomy); the grid officer of
the place takes it first: the stationed officer of a `resident` compound, the patrol officer of a `roving`
one (least loaded when several). A public place (road, intersection, square, market…) is patrolled from
the compound cell named as its `grid`, so its cases go to that cell's officer. Nobody on the grid, or no
place known (a place only described, waiting to be placed by a person) -> a supervisor."""
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


def covered_by(cells: list[str]):
    """The ids of the places the officers of these grid cells cover: the cells and the public places patrolled
    from them (a subquery). Routing, 待办 and the authority check all read "whose grid" from here."""
    return select(Compound.id).where(Compound.id.in_(cells) | Compound.grid.in_(cells))


async def covers(session: AsyncSession, cells: list[str], place_id: str | None) -> bool:
    if place_id is None:
        return False
    found = await session.execute(covered_by(cells).where(Compound.id == place_id))
    return found.first() is not None


async def grid_cell(session: AsyncSession, place_id: str) -> tuple[str, Compound | None]:
    """The compound cell whose officers cover a place: the place itself, or the cell a public place lies in."""
    place = await session.get(Compound, place_id)
    if place is not None and place.grid and place.grid != place_id:
        return place.grid, await session.get(Compound, place.grid)
    return place_id, place


async def grid_officer(session: AsyncSession, compound_id: str | None) -> Staff | None:
    """The officer a case at this place goes to, or None when the grid has nobody for it."""
    if compound_id is None:
        return None
    compound_id, compound = await grid_cell(session, compound_id)
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
