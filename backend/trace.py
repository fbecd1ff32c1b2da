"""What each audience reads of a case and its trace: the reporter, followers (the public view), staff.

- The **reporter** (who reported it, or left it with the phone number they verified) reads their own words
  and photos, the status in plain Chinese, and the trace events that have a resident text
  (`texts.EVENT_RESIDENT`); notes only of the events that carry a note for residents, and only when staff
  (or the reporter themself) wrote them.
- A **follower** (我也遇到, a duplicate merged into the case) reads the public view: category, compound,
  status, times and the public notes staff wrote, masked. Never another resident's words, photos, names or
  numbers; no building (the reporter's flat may be in it).
- **Staff** read every field and code (`cases.staff_view`).

An event without a resident text is staff-internal (SLA breaches, escalations, unreachable officers,
co-handling, sign-off opinions, revisit reminders) and never reaches a resident.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases, texts as T
from backend.privacy import mask_text
from storage.models import Case, CaseEvent

RESIDENT_EVENTS = tuple(T.EVENT_RESIDENT)
# Events whose note is written for residents: the resolution, the reason for 重办, the new department.
NOTED_FOR_RESIDENTS = ("resolved", "reopened", "reassigned", "survey_answered")
STAFF_ACTORS = ("staff:", "system")

staff_view = cases.staff_view


@dataclass(frozen=True)
class TraceLine:
    at: datetime
    what: str
    note: str | None = None


@dataclass(frozen=True)
class ResidentView:
    """A case as one resident reads it; `description`, `building`, `place_text` and `photos` only for the
    reporter."""

    number: str
    role: str  # reporter | follower
    category: str
    compound_id: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    lines: list[TraceLine] = field(default_factory=list)
    description: str | None = None
    building: str | None = None
    place_text: str | None = None  # the reporter's own words for a place no known place matched
    photos: list[str] = field(default_factory=list)


def status_text(status: str) -> str:
    return T.STATUS_RESIDENT.get(status, "")


def event_text(kind: str) -> str | None:
    """The resident text of a trace event, or None: the event is not shown to residents."""
    return T.EVENT_RESIDENT.get(kind)


def _by_staff(event: CaseEvent) -> bool:
    return event.actor.startswith(STAFF_ACTORS)


def public_note(note: str | None, actor: str) -> str | None:
    """A note as every resident of a case may read it (pushes to all its followers included): staff's words,
    masked; a resident's words (a survey comment, a repeat report) are nobody else's to read."""
    return mask_text(note) if note and actor.startswith(STAFF_ACTORS) else None


def _note_for(event: CaseEvent, viewer: str | None) -> str | None:
    """The event's note as a resident may read it: `viewer` is the reporter's actor, None for the public."""
    if not event.note or event.kind not in NOTED_FOR_RESIDENTS:
        return None
    if _by_staff(event):
        return event.note if viewer else public_note(event.note, event.actor)
    return event.note if viewer is not None and event.actor == viewer else None


def resident_lines(events: list[CaseEvent], viewer: str | None = None) -> list[TraceLine]:
    """The trace as residents read it: events with a resident text only, each with its shown note."""
    return [TraceLine(e.at, event_text(e.kind), _note_for(e, viewer)) for e in events if event_text(e.kind)]


def _base(case: Case, role: str, events: list[CaseEvent], viewer: str | None) -> dict:
    return dict(number=case.number, role=role, category=case.category, compound_id=case.compound_id,
                status=status_text(case.status), created_at=case.created_at, updated_at=case.updated_at,
                lines=resident_lines(events, viewer))


async def reporter_view(session: AsyncSession, case: Case, who: cases.Reporter) -> ResidentView:
    events = await cases.timeline(session, case)
    photos = [m.url for m in await cases.media_of(session, case)
              if m.url and (m.added_by == who.actor or not m.added_by.startswith("resident:"))]
    return ResidentView(**_base(case, "reporter", events, who.actor), description=case.description,
                        building=case.building, place_text=case.place_text, photos=photos)


async def public_view(session: AsyncSession, case: Case) -> ResidentView:
    return ResidentView(**_base(case, "follower", await cases.timeline(session, case), None))


async def view_for(session: AsyncSession, number: str, who: cases.Reporter) -> ResidentView | None:
    """The case with this number as `who` may read it: the reporter's view, the public view for a follower,
    None when it is not theirs to read (or unknown)."""
    case = await cases.by_number(session, number)
    role = await cases.role_of(session, case, who) if case is not None else None
    if role is None:
        return None
    return await (reporter_view(session, case, who) if role == "reporter" else public_view(session, case))


@dataclass(frozen=True)
class CaseSummary:
    """One line of 我的工单: the case, the resident's role in it, its status and latest step in Chinese."""

    case: Case
    role: str
    status: str
    latest: str


async def my_cases(session: AsyncSession, who: cases.Reporter, limit: int = 10) -> list[CaseSummary]:
    found = await cases.cases_of(session, who, limit=limit, kinds=RESIDENT_EVENTS)
    return [CaseSummary(line.case, line.role, status_text(line.case.status),
                        event_text(line.last_event.kind) if line.last_event else "") for line in found]


def events_table() -> str:
    """Every trace event with what staff and residents read of it, as docs/lifecycle.md lists them."""
    from backend.lifecycle import EVENTS

    lines = ["| event | staff read | residents read | note shown to residents |", "| --- | --- | --- | --- |"]
    for kind in EVENTS:
        resident = event_text(kind) or "(not shown)"
        noted = "yes" if kind in NOTED_FOR_RESIDENTS and event_text(kind) else ""
        lines.append(f"| {kind} | {T.EVENT_STAFF.get(kind, '')} | {resident} | {noted} |")
    return "\n".join(lines)
