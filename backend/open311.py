"""Cases as Open311 GeoReport v2 sees them: a channel's report becoming a case (or a repeat report of an
open one), the request view of a case, the GET requests query, tokens, and mySociety's
servicerequestupdates (the trace as status updates a channel mirrors).

Who sees what. Reads need no key (the spec and its clients send `api_key` on POST only), so what a read
returns is the public view: category, compound, status, times, the description and staff's notes masked
(backend.privacy.mask_text, the channels' contact names too), the compound's coordinates and name rather
than the reporter's exact point and building, no media URLs and no contact fields. A channel that reads with
its key sees its own cases (those it created) in full: its own words, its notes unmasked, the point it
sent and the media URLs it sent. No channel ever sees another channel's reporters.

Field names follow the spec; rendering to JSON or XML is the HTTP module's job (web/open311.py).
`service_request_id` is the case number (e.g. 20261127-0012), the same number residents and staff use.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases, lifecycle, reports, texts as T, trace, workflow
from backend.clock import local
from backend.privacy import mask_text
from storage.models import Case, CaseEvent, CaseMedia, Channel, ChannelReport, Compound, Department

CHANNEL_COMMENT = "channel_comment"  # the trace event of a channel's POST servicerequestupdates
# mySociety's update statuses (FixMyStreet sends them upper-case) that ask for a finished case to be worked
# again: REOPEN with extended statuses, OPEN without. Closing statuses are recorded, never applied: only
# the street's officers and the resident's survey finish a case.
REOPEN_STATUSES = ("reopen", "open")

MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
UPDATES_WINDOW = timedelta(days=1)
CLOSED = lifecycle.CLOSED  # resolved waits only for the revisit: fixed, as far as a channel is concerned
# mySociety's update statuses for the trace events that change a case's status (lifecycle's table)
UPDATE_STATUS = {event: lifecycle.status(lifecycle.event_status(event)).open311
                 for event in ("created", *lifecycle.EVENTS) if lifecycle.event_status(event)}
NOTE_EVENTS = ("resolved", "reopened", "returned", "reassigned", "closed", "revisited")
# statuses whose entering event carries a note a channel should read beside the status
_NOTED = ("resolved", "closed", "reopened", "returned")


def w3c(at: datetime | None) -> str | None:
    """2026-11-27T10:05:00+08:00: W3C date-time in the street's time zone."""
    return local(at).isoformat(timespec="seconds") if at is not None else None


def actor_of(channel: Channel) -> str:
    return f"channel:{channel.name}"


# --- POST requests ------------------------------------------------------------------------------

@dataclass
class Submission:
    """A channel's report, already understood (category, compound) by the caller, plus what Open311 carries
    that a case does not: the service code as sent, the address, attributes and the contact."""

    new: cases.NewCase
    service_code: str | None = None
    address: str | None = None
    attributes: dict = field(default_factory=dict)
    contact: dict = field(default_factory=dict)  # first_name, last_name, email, device_id, account_id


@dataclass(frozen=True)
class Submitted:
    case: Case
    report: ChannelReport
    repeat: bool  # merged into an open case of the same compound and category (no new case, no new clock)

    @property
    def notice(self) -> str:
        if self.repeat:
            return T.OPEN311_REPEAT_NOTICE.format(number=self.case.number,
                                                  status=T.OPEN311_STATUS_NOTES.get(self.case.status, ""))
        return T.OPEN311_URGENT_NOTICE if self.case.urgent else T.OPEN311_CREATED_NOTICE


async def submit(session: AsyncSession, channel: Channel, submission: Submission, rules: workflow.CategoryRules,
                 policy: workflow.Policy, now: datetime) -> Submitted:
    """The same rules as a WeChat report: an open case of the same compound and category within 48 h takes
    this report as a repeat report (as a WeChat resident who follows it); otherwise a new case is created,
    routed and put on the 1315 clock. Urgent reports always get their own case, as in WeChat."""
    new = submission.new
    new.channel, new.actor = channel.name, actor_of(channel)
    duplicate = None if new.urgent else await cases.find_duplicate(session, compound_id=new.compound_id,
                                                                   category=new.category, now=now)
    if duplicate is not None:
        case = duplicate
        case.repeat_reports += 1
        cases.record(session, case, "repeat_report", actor=actor_of(channel), at=now,
                     note=mask_text(new.description, contact_names(submission.contact))[:500],
                     data={"channel": channel.name, "building": new.building, "occurred": new.occurred})
        await cases.add_media(session, case, new.media, actor=actor_of(channel), now=now)
    else:
        case, _ = await reports.open_case(session, new, rules, policy, now)
    report = ChannelReport(channel_id=channel.id, case_id=case.id, token=secrets.token_urlsafe(18),
                           outcome="repeat" if duplicate is not None else "created",
                           service_code=submission.service_code, address=submission.address,
                           attributes=submission.attributes, contact=submission.contact,
                           contact_phone=new.contact_phone, received_at=now)
    session.add(report)
    await session.flush()
    return Submitted(case, report, duplicate is not None)


async def by_token(session: AsyncSession, token: str) -> tuple[ChannelReport, Case] | None:
    row = (await session.execute(select(ChannelReport, Case).join(Case, Case.id == ChannelReport.case_id)
                                 .where(ChannelReport.token == token))).first()
    return (row[0], row[1]) if row else None


# --- POST servicerequestupdates (mySociety's extension) -------------------------------------------

@dataclass(frozen=True)
class ChannelUpdate:
    """A comment a channel posts on a case: FixMyStreet's update (its staff's or its users' words)."""

    number: str
    description: str
    status: str | None = None  # lower-cased as sent
    update_id: str | None = None  # the channel's own id for it: a resend is recognised by it
    public: bool = False  # the channel marks it for the case's residents to read
    media_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Posted:
    ok: bool
    code: str  # added | repeat | not_found | not_yours
    event: CaseEvent | None = None
    reopened: bool = False


async def post_update(session: AsyncSession, channel: Channel, update: ChannelUpdate, rules_for,
                      policy: workflow.Policy, now: datetime) -> Posted:
    """A channel's comment on a case it reported: on the trace (every media URL kept), pushed to the case's
    residents when the channel marks it public, and a reopening status applied to a finished case. Another
    channel's case is refused (`not_yours`); a resend of the same update_id changes nothing."""
    case = await cases.by_number(session, update.number)
    if case is None:
        return Posted(False, "not_found")
    reported = (await session.execute(select(ChannelReport.id).where(
        ChannelReport.channel_id == channel.id, ChannelReport.case_id == case.id).limit(1))).first()
    if reported is None:
        return Posted(False, "not_yours")
    actor = actor_of(channel)
    if update.update_id:
        for event in (await session.execute(select(CaseEvent).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == CHANNEL_COMMENT, CaseEvent.actor == actor))).scalars():
            if (event.data or {}).get("update_id") == update.update_id:
                return Posted(True, "repeat", event)
    event = cases.record(session, case, CHANNEL_COMMENT, actor=actor, at=now, note=update.description,
                         data={"update_id": update.update_id, "status": update.status, "public": update.public,
                               "media": len(update.media_urls)})
    await cases.add_media(session, case, [{"kind": "image", "url": url} for url in update.media_urls],
                          actor=actor, now=now)
    await session.flush()
    if update.public:
        await workflow.notify_residents(session, case, CHANNEL_COMMENT, now, note=update.description,
                                        key=f"{CHANNEL_COMMENT}:{event.id}")
    reopened = update.status in REOPEN_STATUSES and lifecycle.transition("reopen", case.status) is not None
    if reopened:
        await workflow.reopen(session, case, update.description, rules_for(case.category), policy, now, actor=actor)
    return Posted(True, "added", event, reopened)


# --- GET requests ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestQuery:
    numbers: tuple[str, ...] = ()  # service_request_id: when given, the other filters are ignored (spec)
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()  # open | closed


async def find_requests(session: AsyncSession, query: RequestQuery, now: datetime,
                        limit: int = MAX_RESULTS) -> list[Case]:
    """Newest first, at most 1,000; without dates, the 90 days up to now (or up to end_date)."""
    statement = select(Case).order_by(Case.created_at.desc(), Case.id.desc()).limit(min(limit, MAX_RESULTS))
    if query.numbers:
        return list((await session.execute(statement.where(Case.number.in_(query.numbers)))).scalars())
    end = query.end or now
    start = query.start or end - DEFAULT_WINDOW
    statement = statement.where(Case.created_at >= start, Case.created_at <= end)
    if query.service_codes:
        statement = statement.where(Case.category.in_(query.service_codes))
    if set(query.statuses) == {"open"}:
        statement = statement.where(Case.status.not_in(CLOSED))
    elif set(query.statuses) == {"closed"}:
        statement = statement.where(Case.status.in_(CLOSED))
    return list((await session.execute(statement)).scalars())


def contact_names(contact: Mapping | None) -> list[str]:
    """The names a channel's reporter gave (first, last, both together), for mask_text."""
    contact = contact or {}
    first, last = str(contact.get("first_name") or ""), str(contact.get("last_name") or "")
    return [n for n in (first, last, last + first, first + last, f"{first} {last}") if len(n.strip()) >= 2]


@dataclass(frozen=True)
class Reader:
    """Who reads: a channel (by its key) or anybody (no key); a channel owns the cases it created."""

    channel: Channel | None = None

    @property
    def actor(self) -> str | None:
        return actor_of(self.channel) if self.channel is not None else None

    def owns(self, case: Case) -> bool:
        return self.channel is not None and case.channel == self.channel.name


async def _names_by_case(session: AsyncSession, ids: list[int]) -> dict[int, list[str]]:
    """The contact names channels gave for these cases (masked wherever another reader sees the text)."""
    names: dict[int, list[str]] = {}
    if not ids:
        return names
    for case_id, contact in (await session.execute(select(ChannelReport.case_id, ChannelReport.contact)
                                                   .where(ChannelReport.case_id.in_(ids)))).all():
        names.setdefault(case_id, []).extend(contact_names(contact))
    return names


async def request_views(session: AsyncSession, found: list[Case], service_names: Mapping[str, str],
                        reader: Reader = Reader()) -> list[dict]:
    """The spec's service request fields for each case (several cases in a handful of queries), public or,
    for the channel's own cases, in full."""
    if not found:
        return []
    ids = [c.id for c in found]
    departments = {d.id: d.name for d in (await session.execute(select(Department))).scalars()}
    compounds = {c.id: c for c in (await session.execute(select(Compound))).scalars()}
    media: dict[int, str] = {}
    if reader.actor is not None:  # only the URLs the reading channel sent itself
        for item in (await session.execute(select(CaseMedia).where(
                CaseMedia.case_id.in_(ids), CaseMedia.url.is_not(None), CaseMedia.added_by == reader.actor)
                .order_by(CaseMedia.id))).scalars():
            media.setdefault(item.case_id, item.url)
    last_noted: dict[int, CaseEvent] = {}
    for event in (await session.execute(select(CaseEvent).where(CaseEvent.case_id.in_(ids),
                                                                CaseEvent.kind.in_(NOTE_EVENTS))
                                        .order_by(CaseEvent.id))).scalars():
        if event.note:
            last_noted[event.case_id] = event
    names = await _names_by_case(session, ids)
    views = []
    for c in found:
        event = last_noted.get(c.id)
        note = None if event is None else event.note if reader.owns(c) else trace.public_note(event.note, event.actor)
        view = request_view(c, service_names, departments, compounds.get(c.compound_id), media.get(c.id),
                            note, full=reader.owns(c))
        if not reader.owns(c):
            view["description"] = mask_text(view["description"], names.get(c.id, ()))
            view["status_notes"] = mask_text(view["status_notes"], names.get(c.id, ()))
        views.append(view)
    return views


def request_view(case: Case, service_names: Mapping[str, str], departments: Mapping[str, str],
                 compound: Compound | None, media_url: str | None, last_note: str | None, *,
                 full: bool = False) -> dict:
    """One case in the spec's fields. Not `full` (anybody but the channel that made it): no finer place than
    the compound (its name and point), no media; the caller masks the text."""
    closed = case.status in CLOSED
    status_notes = T.OPEN311_STATUS_NOTES.get(case.status, case.status)
    if last_note and case.status in _NOTED:
        status_notes = f"{status_notes}：{last_note}"
    address = f"{compound.name}{(case.building or '') if full else ''}" if compound is not None else None
    lat, lng = (compound.lat, compound.lng) if compound is not None else (None, None)
    if full and case.lat is not None:
        lat, lng = case.lat, case.lng
    expected = case.sla.get("arrive") if case.sla and not closed else None
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": status_notes,
        "service_name": service_names.get(case.category, case.category),
        "service_code": case.category,
        "description": case.description,
        "agency_responsible": departments.get(case.dept_id, case.dept_id) if case.dept_id else None,
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c((case.closed_at or case.resolved_at or case.updated_at) if closed else case.updated_at),
        "expected_datetime": w3c(datetime.fromisoformat(expected)) if expected else None,
        "address": address,
        "address_id": case.compound_id,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        "media_url": media_url if full else None,
    }


# --- servicerequestupdates (mySociety's extension) ---------------------------------------------------

async def find_updates(session: AsyncSession, start: datetime | None, end: datetime | None, now: datetime,
                       limit: int = MAX_RESULTS, reader: Reader = Reader()) -> list[dict]:
    """Status changes of every case between start and end (default: the last 24 hours), oldest first and at
    most 1,000, so a channel polls again from the last `updated_datetime` it saw."""
    end = end or now
    start = start or end - UPDATES_WINDOW
    rows = (await session.execute(
        select(CaseEvent, Case.number, Case.channel).join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.kind.in_(tuple(UPDATE_STATUS)), CaseEvent.at >= start, CaseEvent.at <= end)
        .order_by(CaseEvent.at, CaseEvent.id).limit(min(limit, MAX_RESULTS)))).all()
    names = await _names_by_case(session, sorted({e.case_id for e, _, _ in rows}))
    updates = []
    for event, number, channel_name in rows:
        own = reader.channel is not None and channel_name == reader.channel.name
        note = event.note if own else mask_text(trace.public_note(event.note, event.actor),
                                                names.get(event.case_id, ()))
        updates.append({
            "update_id": str(event.id),
            "service_request_id": number,
            "status": UPDATE_STATUS[event.kind],
            "updated_datetime": w3c(event.at),
            "description": T.OPEN311_UPDATE.get(event.kind, event.kind) + (f"：{note}" if note else ""),
            "media_url": None,
        })
    return updates
