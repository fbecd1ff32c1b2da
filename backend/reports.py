"""A report from any channel (the WeChat chat, the Open311 API) becomes a case the same way: created with
its first events, then dispatched on the grid with its 1315 clock (backend.workflow.dispatch)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend import lifecycle, cases, routing, workflow
from backend import texts as T
from backend.privacy import mask_text
from storage.models import Case, Staff


async def open_case(session: AsyncSession, new: cases.NewCase, rules: workflow.CategoryRules,
                    policy: workflow.Policy, now: datetime, *, officer: Staff | None = None
                    ) -> tuple[Case, Staff | None]:
    """Create the case and dispatch it (to `officer` when given, else on the grid); returns the case and the
    officer it went to (None: nobody)."""
    case = await cases.create_case(session, new, now)
    officer = await workflow.dispatch(session, case, rules, policy, now, officer=officer)
    return case, officer


SUPPLEMENT_LIMIT = 1000  # characters of a supplement kept in the trace


async def supplement(session: AsyncSession, case: Case, text: str, media: list[dict], actor: str,
                     now: datetime) -> None:
    """The reporter tells more about their own open case instead of making a second one: the words join
    the trace (the officer sees them), photos join the case."""
    cases.record(session, case, "supplemented", actor=actor, at=now, note=text[:SUPPLEMENT_LIMIT] or None)
    await cases.add_media(session, case, media, actor=actor, now=now)
    case.updated_at = now
    if case.officer_id:
        await workflow.notify_staff(session, case.officer_id, "supplement",
                                    T.SUPPLEMENT.format(number=case.number, text=mask_text(text[:200])), now,
                                    key=f"supplement:{case.id}:{now.isoformat()}", case=case)


@dataclass(frozen=True)
class Place:
    compound_id: str | None = None
    building: str | None = None
    spot: str | None = None
    lat: float | None = None
    lng: float | None = None


async def add_place(session: AsyncSession, case: Case, place: Place, rules: workflow.CategoryRules,
                    policy: workflow.Policy, now: datetime, *, actor: str) -> None:
    """The place of a case made before it was known (an emergency becomes a case at once): recorded, and
    the case goes to that place's grid officer, or whoever has it is told where it is."""
    case.compound_id = place.compound_id or case.compound_id
    case.building = place.building or case.building
    case.spot = place.spot or case.spot
    if place.lat is not None:
        case.lat, case.lng = place.lat, place.lng
    case.updated_at = now
    cases.record(session, case, "place_added", actor=actor, at=now,
                 data={"compound_id": place.compound_id, "building": place.building, "spot": place.spot,
                       "lat": place.lat, "lng": place.lng})
    officer = await routing.assignee(session, case.compound_id) if case.compound_id else None
    # not yet taken up (dispatched, returned, reopened, new): the place's own officer takes it over
    if officer is not None and case.officer_id != officer.id and case.status in lifecycle.OPEN:
        await workflow.hand_over(session, case, officer, rules, policy, now, actor=actor,
                                 data={"place": case.compound_id})
        return
    text = T.PLACE_ADDED.format(number=case.number, place=await workflow.place_of(session, case),
                                point=T.PLACE_POINT.format(lat=case.lat, lng=case.lng) if case.lat is not None else "")
    key = f"place:{case.id}:{now.isoformat()}"
    if case.officer_id:
        await workflow.notify_staff(session, case.officer_id, "place_added", text, now, key=key, case=case)
    await workflow.notify_supervisors(session, "place_added", text, now, key=key, case=case)
