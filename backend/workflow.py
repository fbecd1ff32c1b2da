"""The case workflow after creation: dispatch on the grid, the 1315 clock, staff actions as state
transitions, joint (1+3+N) handling, revisits, and the pushes each step owes to residents and staff.

Every change appends a CaseEvent and writes its pushes to the outbox in the caller's transaction.
Deadlines are jobs (storage.jobs), so a restart loses none; their handlers are in `handlers` below.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases, charging, lifecycle, routing, staff as staff_mod, surveys, texts as T, trace
from backend.clock import deadline_text, local, time_text
from backend.departments import name_of
from backend.places import distance_m, spelled
from backend.privacy import mask_phone, mask_text
from backend.pushes import staff_template, time_field
from backend.wording import shorten
from storage import jobs, outbox
from storage.models import Case, CaseCohandler, CaseMedia, Compound, Staff

STAGES = ("accept", "depart", "arrive")
ARRIVAL_PROOF_M = 300


@dataclass(frozen=True)
class SlaPlan:
    """Seconds from dispatch to each 1315 stage (street defaults 60/180/900, per-category overrides)."""

    accept: int = 60
    depart: int = 180
    arrive: int = 900

    def with_overrides(self, overrides: Mapping[str, int] | None) -> "SlaPlan":
        o = dict(overrides or {})
        return SlaPlan(o.get("accept", self.accept), o.get("depart", self.depart), o.get("arrive", self.arrive))


@dataclass(frozen=True)
class Policy:
    """How the workflow runs; built from configuration by the bot, handed down by handlers."""

    sla: SlaPlan = SlaPlan()
    revisit_after_s: int = 3 * 24 * 3600
    survey: surveys.SurveyPolicy = surveys.SurveyPolicy()


@dataclass(frozen=True)
class CategoryRules:
    """What the taxonomy says about a case's category that the workflow needs."""

    name: str
    sla_overrides: Mapping[str, int] = field(default_factory=dict)
    joint_verification: bool = False
    co_departments: tuple[str, ...] = ()


DISPATCH_DESCRIPTION_CHARS = 300  # of the resident's words in the officer's dispatch push


# --- pushes ---------------------------------------------------------------------------------

async def notify_residents(session: AsyncSession, case: Case, what: str, now: datetime, *, key: str | None = None,
                           **fields) -> None:
    """Tell the reporter, every follower and whoever verified the case's phone number about a step, once
    each (idempotency key per recipient; `key` names a step that can happen several times in one round,
    such as a channel's comment)."""
    officer = await session.get(Staff, case.officer_id) if case.officer_id else None
    arrive_by = deadline_text(datetime.fromisoformat(case.sla["arrive"]), now) if case.sla else ""
    # followers read it too: a note that quotes a resident (e.g. an unsatisfied reporter's comment) is masked
    text = T.RESIDENT_UPDATE[what].format(number=case.number, officer=officer.name if officer else "",
                                          arrive_by=arrive_by, note=mask_text(fields.get("note")) or "")
    template = {"kind": "case_status", "fields": {"case_number": case.number, "status": T.TEMPLATE_STATUS[what],
                                                  "time": time_field(now), "remark": text},
                "url": cases.RESIDENT_PAGE.format(number=case.number)}
    for who in await cases.recipients_of(session, case):
        outbox.enqueue(session, platform=who.platform, user_id=who.user_id, kind="case_status",
                       payload={"text": text, "url": template["url"], "template": template},
                       idempotency_key=f"case:{case.id}:{key or f'{what}:{case.dispatch_round}'}:{who.platform}:{who.user_id}",
                       now=now)


async def notify_staff(session: AsyncSession, staff_id: str, kind: str, text: str, now: datetime, key: str,
                       case: Case | None = None, summary: str | None = None) -> bool:
    """Push to a staff member on the platform they are bound on; False when they are bound nowhere. A push
    about a case carries its template fallback, for an officer bound on WeChat alone and silent for 48 h."""
    address = await staff_mod.push_address(session, staff_id)
    if address is None:
        return False
    payload: dict = {"text": text}
    if case is not None:
        payload["template"] = staff_template(kind, text, now, number=case.number, summary=summary,
                                             place=await place_of(session, case))
    outbox.enqueue(session, platform=address[0], user_id=address[1], kind=kind, payload=payload,
                   idempotency_key=f"{key}:{staff_id}", now=now)
    return True


async def notify_supervisors(session: AsyncSession, kind: str, text: str, now: datetime, key: str,
                             case: Case | None = None, summary: str | None = None) -> int:
    return sum([await notify_staff(session, s.id, kind, text, now, key, case, summary)
                for s in await staff_mod.supervisors(session)])


async def place_of(session: AsyncSession, case: Case) -> str:
    compound = await session.get(Compound, case.compound_id) if case.compound_id else None  # often in the session
    return _place(compound.name if compound else None, case)


async def places_of(session: AsyncSession, cases: list[Case]) -> dict[int, str]:
    """Each case's place as staff read it ("滨湖欣园3栋"), by case id, in one query for the lot."""
    ids = {c.compound_id for c in cases if c.compound_id}
    names = dict((await session.execute(select(Compound.id, Compound.name).where(Compound.id.in_(ids)))).all()) \
        if ids else {}
    return {case.id: _place(names.get(case.compound_id), case) for case in cases}


def _place(compound_name: str | None, case: Case) -> str:
    if compound_name is None and case.place_text:  # the resident's own words: masked like the description
        return T.PLACE_TO_PLACE.format(place=mask_text(case.place_text))
    name = compound_name or T.PLACE_UNKNOWN
    return spelled(name, case.building, case.spot)


# --- dispatch and the 1315 clock -----------------------------------------------------------------

async def dispatch(session: AsyncSession, case: Case, rules: CategoryRules, policy: Policy, now: datetime,
                   *, actor: str = "system", officer: Staff | None = None) -> Staff | None:
    """Assign the case on the grid, start its 1315 clock, and send the officer the case. A new case becomes
    dispatched; a reopened one stays reopened (lifecycle) on its new clock."""
    officer = officer or await routing.assignee(session, case.compound_id)
    plan = policy.sla.with_overrides(rules.sla_overrides)
    case.officer_id = officer.id if officer else None
    case.dispatched_at = now
    case.accepted_at = case.departed_at = case.arrived_at = None
    case.dispatch_round += 1
    case.joint_verification = rules.joint_verification
    case.sla = {stage: (now + timedelta(seconds=getattr(plan, stage))).isoformat() for stage in STAGES}
    lifecycle.apply(session, case, "dispatch", actor=actor, at=now,
                    data={"officer": case.officer_id, "dept": case.dept_id, "sla": case.sla})
    for stage in STAGES:
        await jobs.schedule(session, "case.sla", datetime.fromisoformat(case.sla[stage]),
                            {"case_id": case.id, "round": case.dispatch_round, "stage": stage},
                            key=f"sla:{case.id}:{case.dispatch_round}:{stage}", now=now)
    if rules.joint_verification:
        for dept in rules.co_departments:
            await add_cohandler(session, case, dept, actor, now)
    if officer is not None:
        text = await dispatch_text(session, case, rules)
        summary = T.DISPATCH_SUMMARY.format(category=rules.name, description=mask_text(case.description) or "")
        reached = await notify_staff(session, officer.id, "dispatch", text, now,
                                     key=f"dispatch:{case.id}:{case.dispatch_round}", case=case, summary=summary)
        if not reached:
            await notify_supervisors(session, "dispatch", text, now, key=f"dispatch:{case.id}:{case.dispatch_round}",
                                     case=case, summary=summary)
            cases.record(session, case, "dispatch_unreachable", actor="system", at=now, note=T.UNREACHABLE_NOTE)
    if case.dispatch_round > 1:
        await notify_residents(session, case, "dispatched", now)
    return officer


async def dispatch_text(session: AsyncSession, case: Case, rules: CategoryRules) -> str:
    """The case as pushed to its officer (or, when they are unreachable, to supervisors): the resident's
    words masked, since pushes sit in chat histories and on lock screens; the number is one deliberate
    `电话 N` away (backend/audit.py)."""
    media = (await session.execute(select(CaseMedia).where(CaseMedia.case_id == case.id))).scalars().all()
    urls = " ".join(m.url for m in media if m.url)
    due = {stage: local(datetime.fromisoformat(case.sla[stage])).strftime("%m-%d %H:%M") for stage in STAGES}
    title = T.DISPATCH_TITLE["again" if case.dispatch_round > 1 else "new"]
    return T.DISPATCH.format(title=title, number=case.number, priority=T.PRIORITY.get(case.priority, ""), category=rules.name,
                             place=await place_of(session, case), description=shorten(mask_text(case.description), DISPATCH_DESCRIPTION_CHARS),
                             photos=(T.DISPATCH_PHOTOS.format(urls=urls) if urls else "")
                             + (T.DISPATCH_CONTACT.format(phone=mask_phone(case.contact_phone), number=case.number)
                                if case.contact_phone else "")
                             + await charging.dispatch_note(session, case),  # live charging state
                             accept_by=due["accept"], depart_by=due["depart"], arrive_by=due["arrive"])


def stage_done(case: Case, stage: str) -> bool:
    return {"accept": case.accepted_at, "depart": case.departed_at, "arrive": case.arrived_at}[stage] is not None


async def on_deadline(session: AsyncSession, run: jobs.JobRun) -> None:
    """A 1315 deadline passed: if the stage is still not done in that dispatch round, remind the
    officer, escalate to the supervisor, record it, and (for arrival) tell residents honestly."""
    case = await session.get(Case, run.payload["case_id"])
    stage = run.payload["stage"]
    if case is None or case.dispatch_round != run.payload["round"] or stage_done(case, stage) \
            or case.status not in lifecycle.UNFINISHED:
        return
    due = time_text(datetime.fromisoformat(case.sla[stage]), run.now)  # the reminder itself says it passed
    officer = await session.get(Staff, case.officer_id) if case.officer_id else None
    key = f"sla:{case.id}:{case.dispatch_round}:{stage}"
    cases.record(session, case, "sla_breached", actor="system", at=run.now, data={"stage": stage, "due": case.sla[stage]})
    if officer is not None:
        await notify_staff(session, officer.id, "sla_reminder",
                           T.REMINDER.format(number=case.number, stage=T.STAGE[stage], due=due), run.now, key=key, case=case)
    escalation = T.ESCALATION.format(number=case.number, place=await place_of(session, case),
                                     officer=officer.name if officer else "", stage=T.STAGE[stage], due=due)
    await notify_supervisors(session, "sla_escalation", escalation, run.now, key=key + ":escalation", case=case)
    cases.record(session, case, "escalated", actor="system", at=run.now, data={"stage": stage})
    if stage == "arrive":
        await notify_residents(session, case, "late", run.now)


async def on_revisit_due(session: AsyncSession, run: jobs.JobRun) -> None:
    """回头看: a few days after resolution, remind the officer to revisit the resident."""
    case = await session.get(Case, run.payload["case_id"])
    if case is None or lifecycle.transition("revisit", case.status) is None or case.officer_id is None:
        return
    days = max(1, round((run.now - case.resolved_at).total_seconds() / 86400)) if case.resolved_at else 3
    cases.record(session, case, "revisit_due", actor="system", at=run.now)
    await notify_staff(session, case.officer_id, "revisit",
                       T.REVISIT_DUE.format(number=case.number, days=days), run.now, key=f"revisit:{case.id}:{run.id}",
                       case=case)


handlers = jobs.JobHandlers()
handlers.add("case.sla", on_deadline)
handlers.add("case.revisit", on_revisit_due)


# --- co-handling (1+3+N) -------------------------------------------------------------------

async def cohandlers(session: AsyncSession, case: Case) -> list[CaseCohandler]:
    return list((await session.execute(select(CaseCohandler).where(CaseCohandler.case_id == case.id)
                                       .order_by(CaseCohandler.id))).scalars())


async def add_cohandler(session: AsyncSession, case: Case, dept_id: str, actor: str, now: datetime) -> bool:
    if dept_id == case.dept_id or any(c.dept_id == dept_id for c in await cohandlers(session, case)):
        return False
    session.add(CaseCohandler(case_id=case.id, dept_id=dept_id, added_at=now, added_by=actor))
    lifecycle.apply(session, case, "cohandle", actor=actor, at=now, data={"dept": dept_id},
                    note=await name_of(session, dept_id))
    liaisons = (await session.execute(select(Staff).where(Staff.role == "liaison", Staff.dept_id == dept_id))
                ).scalars().all()
    text = T.COHANDLE.format(number=case.number, category=case.category, place=await place_of(session, case))
    for liaison in liaisons:
        await notify_staff(session, liaison.id, "cohandle", text, now, key=f"cohandle:{case.id}:{dept_id}", case=case)
    return True


# --- staff actions ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Done:
    """What became of a staff action: `ok`, or the reason it was refused (a code handlers put into words)."""

    ok: bool
    code: str = ""  # not_accepted | already_done | wrong_state | closed | not_yours | unknown_dept | ...
    detail: str = ""


def _refused(case: Case, action: str) -> Done | None:
    """The lifecycle's refusal of `action` from the case's status, as a Done; None when allowed."""
    code = lifecycle.refusal(action, case.status)
    return Done(False, code) if code else None


async def accept(session: AsyncSession, actor: Staff, case: Case, now: datetime) -> Done:
    if refused := _refused(case, "accept"):
        return refused
    case.accepted_at = now
    if actor.role == "officer":
        case.officer_id = actor.id
    lifecycle.apply(session, case, "accept", actor=f"staff:{actor.id}", at=now)
    await jobs.cancel(session, f"sla:{case.id}:{case.dispatch_round}:accept", now=now)
    await notify_residents(session, case, "accepted", now)
    return Done(True)


async def depart(session: AsyncSession, actor: Staff, case: Case, now: datetime) -> Done:
    if refused := _refused(case, "depart"):
        return refused
    case.departed_at = now
    lifecycle.apply(session, case, "depart", actor=f"staff:{actor.id}", at=now)
    await jobs.cancel(session, f"sla:{case.id}:{case.dispatch_round}:depart", now=now)
    await notify_residents(session, case, "en_route", now)
    return Done(True)


async def arrive(session: AsyncSession, actor: Staff, case: Case, now: datetime,
                 location: tuple[float, float] | None = None) -> Done:
    if refused := _refused(case, "arrive"):
        return refused
    case.arrived_at = now
    case.departed_at = case.departed_at or now
    data = await arrival_proof(session, case, location)
    lifecycle.apply(session, case, "arrive", actor=f"staff:{actor.id}", at=now, data=data)
    for stage in ("depart", "arrive"):
        await jobs.cancel(session, f"sla:{case.id}:{case.dispatch_round}:{stage}", now=now)
    await notify_residents(session, case, "on_site", now)
    return Done(True, detail="proof" if data and data.get("proof") else "")


async def arrival_proof(session: AsyncSession, case: Case, location: tuple[float, float] | None) -> dict | None:
    """A location shared by the officer counts as proof of arrival within 300 m of the compound."""
    compound = await session.get(Compound, case.compound_id) if case.compound_id else None
    if location is None or compound is None:
        return None
    metres = distance_m(location[0], location[1], compound.lat, compound.lng)
    return {"lat": location[0], "lng": location[1], "distance_m": round(metres), "proof": metres <= ARRIVAL_PROOF_M}


async def resolve(session: AsyncSession, actor: Staff, case: Case, note: str, policy: Policy, now: datetime) -> Done:
    if refused := _refused(case, "resolve"):
        return refused
    cases.record(session, case, "resolved_by_officer", actor=f"staff:{actor.id}", at=now, note=note)
    pending = [c for c in await cohandlers(session, case) if c.verified_at is None]
    if case.joint_verification and pending:
        lifecycle.apply(session, case, "suspend", actor="system", at=now,
                        data={"waiting_for": [c.dept_id for c in pending]})
        await notify_residents(session, case, "suspended", now)
        return Done(True, detail="suspended")
    await _resolved(session, case, "resolve", note, policy, now)
    return Done(True)


async def _resolved(session: AsyncSession, case: Case, action: str, note: str, policy: Policy,
                    now: datetime) -> None:
    """`resolve` by the officer, or `sign_off` by the last co-handling department of a suspended case."""
    case.resolved_at = now
    lifecycle.apply(session, case, action, actor="system", at=now, note=note)
    for stage in STAGES:
        await jobs.cancel(session, f"sla:{case.id}:{case.dispatch_round}:{stage}", now=now)
    await jobs.schedule(session, "case.revisit", now + timedelta(seconds=policy.revisit_after_s),
                        {"case_id": case.id}, key=f"revisit:{case.id}:{case.dispatch_round}", now=now)
    await surveys.schedule_for(session, case, policy.survey, now)
    await notify_residents(session, case, "resolved", now, note=note)


async def verify(session: AsyncSession, actor: Staff, case: Case, opinion: str, policy: Policy, now: datetime,
                 dept_id: str | None = None) -> Done:
    """A co-handling department signs off; the last sign-off of a suspended case resolves it."""
    dept = dept_id or actor.dept_id
    entry = next((c for c in await cohandlers(session, case) if c.dept_id == dept), None)
    if entry is None:
        return Done(False, "not_cohandler")
    if entry.verified_at is not None:
        return Done(False, "already_done")
    if refused := _refused(case, "verify"):
        return refused
    entry.verified_at, entry.verified_by, entry.opinion = now, f"staff:{actor.id}", opinion
    lifecycle.apply(session, case, "verify", actor=f"staff:{actor.id}", at=now, note=opinion, data={"dept": dept})
    if lifecycle.transition("sign_off", case.status) and all(c.verified_at for c in await cohandlers(session, case)):
        resolution = next((e.note for e in reversed(await cases.timeline(session, case))
                           if e.kind == "resolved_by_officer"), "") or opinion
        await _resolved(session, case, "sign_off", resolution, policy, now)
        return Done(True, detail="resolved")
    return Done(True)


async def reassign(session: AsyncSession, actor: Staff, case: Case, dept_id: str, rules: CategoryRules,
                   policy: Policy, now: datetime) -> Done:
    """转派: back to routing (lifecycle: `new`, a `reassigned` event) and dispatched again at once."""
    if refused := _refused(case, "reassign"):
        return refused
    previous, case.dept_id = case.dept_id, dept_id
    liaison = (await session.execute(select(Staff).where(Staff.dept_id == dept_id, Staff.role.in_(
        ("liaison", "officer"))).order_by(Staff.id).limit(1))).scalar_one_or_none()
    await hand_over(session, case, liaison or await routing.assignee(session, case.compound_id), rules, policy,
                    now, actor=f"staff:{actor.id}", data={"from": previous, "to": dept_id},
                    note=await name_of(session, dept_id))
    return Done(True)


async def hand_over(session: AsyncSession, case: Case, officer: Staff | None, rules: CategoryRules, policy: Policy,
                    now: datetime, *, actor: str, data: dict | None = None, note: str | None = None) -> None:
    """Back to routing and dispatched again at once, to `officer`: 转派, or a case whose place became known
    after it was dispatched. The old clock's jobs are cancelled; the new dispatch starts a new one."""
    for stage in STAGES:
        await jobs.cancel(session, f"sla:{case.id}:{case.dispatch_round}:{stage}", now=now)
    lifecycle.apply(session, case, "reassign", actor=actor, at=now, data=data, note=note)
    await dispatch(session, case, rules, policy, now, actor=actor, officer=officer)


async def place_case(session: AsyncSession, actor: Staff, case: Case, place_id: str, rules: CategoryRules,
                     policy: Policy, now: datetime) -> Done:
    """定位: a supervisor puts a case the resident could only describe (or placed wrongly) at a known place.
    It is handed over (back to routing, the `reassigned` event naming both places) to that place's grid
    officer. The resident's own words stay on the case."""
    if actor.role != "supervisor":
        return Done(False, "supervisors_only")
    if refused := _refused(case, "reassign"):
        return refused
    place = await session.get(Compound, place_id)
    if place is None:
        return Done(False, "unknown_place")
    previous, case.compound_id = case.compound_id, place_id
    await hand_over(session, case, await routing.assignee(session, place_id), rules, policy, now,
                    actor=f"staff:{actor.id}", note=place.name,
                    data={"place_from": previous, "place_to": place_id, "place_text": case.place_text})
    return Done(True)


async def add_cohandlers(session: AsyncSession, actor: Staff, case: Case, dept_ids: list[str], now: datetime) -> Done:
    if refused := _refused(case, "cohandle"):
        return refused
    added = [d for d in dept_ids if await add_cohandler(session, case, d, f"staff:{actor.id}", now)]
    return Done(True, detail=",".join(added))


async def return_case(session: AsyncSession, actor: Staff, case: Case, reason: str, now: datetime) -> Done:
    """退回: the officer sends the case back to the dispatcher (the supervisor decides again)."""
    if refused := _refused(case, "return"):
        return refused
    for stage in STAGES:
        await jobs.cancel(session, f"sla:{case.id}:{case.dispatch_round}:{stage}", now=now)
    case.officer_id = None
    lifecycle.apply(session, case, "return", actor=f"staff:{actor.id}", at=now, note=reason)
    await notify_supervisors(session, "returned", T.RETURNED.format(number=case.number, reason=mask_text(reason)), now,
                             key=f"returned:{case.id}:{case.dispatch_round}", case=case)
    return Done(True)


async def revisit(session: AsyncSession, actor: Staff, case: Case, result: str, solved: bool, rules: CategoryRules,
                  policy: Policy, now: datetime) -> Done:
    """回访: a good revisit closes the case; a failed one reopens it and dispatches it again."""
    if refused := _refused(case, "revisit"):
        return refused
    await jobs.cancel(session, f"revisit:{case.id}:{case.dispatch_round}", now=now)
    lifecycle.apply(session, case, "revisit", actor=f"staff:{actor.id}", at=now, note=result, data={"solved": solved})
    if solved:
        case.closed_at = now
        lifecycle.apply(session, case, "close", actor="system", at=now)
        await notify_residents(session, case, "closed", now)
        return Done(True, detail="closed")
    await reopen(session, case, result, rules, policy, now, actor=f"staff:{actor.id}")
    return Done(True, detail="reopened")


async def reopen(session: AsyncSession, case: Case, reason: str, rules: CategoryRules, policy: Policy,
                 now: datetime, *, actor: str) -> None:
    """重办: back to work (after a failed revisit or an unsatisfied resident), on a new 1315 clock; the
    case stays `reopened` until an officer accepts it again."""
    case.resolved_at = case.closed_at = None
    lifecycle.apply(session, case, "reopen", actor=actor, at=now, note=reason)
    await notify_residents(session, case, "reopened", now,
                           note=trace.public_note(reason, actor) or T.UNSATISFIED_REASON)
    officer = await session.get(Staff, case.officer_id) if case.officer_id else None
    await dispatch(session, case, rules, policy, now, actor=actor, officer=officer)


async def unsatisfied(session: AsyncSession, case: Case, comment: str | None, rules: CategoryRules, policy: Policy,
                      now: datetime, *, actor: str) -> None:
    """A resident rated the result 不满意: 重办 on a new clock, and the supervisor is told."""
    reason = comment or T.UNSATISFIED_REASON
    await reopen(session, case, reason, rules, policy, now, actor=actor)
    text = T.SURVEY_UNSATISFIED.format(number=case.number, place=await place_of(session, case),
                                       comment=mask_text(reason))
    await notify_supervisors(session, "survey_unsatisfied", text, now, key=f"unsatisfied:{case.id}:{case.dispatch_round}",
                             case=case)


async def follower_unsatisfied(session: AsyncSession, case: Case, comment: str | None, now: datetime,
                               key: str) -> None:
    """A follower rated the result 不满意: the reporter's answer decides on 重办, so the case stays as it is
    and the supervisor is told to look (the follower's words masked)."""
    text = T.SURVEY_FOLLOWER_UNSATISFIED.format(number=case.number, place=await place_of(session, case),
                                                comment=mask_text(comment or T.UNSATISFIED_REASON))
    await notify_supervisors(session, "survey_unsatisfied", text, now, key=f"follower-unsatisfied:{key}", case=case)


async def after_answer(session: AsyncSession, settled: surveys.Settled, comment: str | None, rules: CategoryRules,
                       policy: Policy, now: datetime, *, actor: str) -> None:
    """What a survey answer calls for, wherever it was given (chat or page): the reporter's 不满意 reopens
    the case (重办), a follower's is flagged to the supervisor."""
    if settled.case is None:
        return
    if settled.outcome == "reopen":
        await unsatisfied(session, settled.case, comment, rules, policy, now, actor=actor)
    elif settled.outcome == "flag":
        await follower_unsatisfied(session, settled.case, comment, now, key=str(settled.survey.id))


async def urge(session: AsyncSession, case: Case, who: cases.Reporter, now: datetime) -> None:
    """A resident's 催办: on the trace, and a push to the officer."""
    event = await cases.urge(session, case, who, now)
    await session.flush()
    if case.officer_id:
        await notify_staff(session, case.officer_id, "urge",
                           T.URGED.format(number=case.number, place=await place_of(session, case)), now,
                           key=f"urge:{case.id}:{event.id}", case=case)


async def open_cases_for(session: AsyncSession, actor: Staff, limit: int = 20) -> list[Case]:
    """待办: the open cases this staff member may act on, most urgent first."""
    statement = select(Case).where(Case.status.in_(lifecycle.UNFINISHED))
    if actor.role == "officer":
        statement = statement.where((Case.officer_id == actor.id) | Case.compound_id.in_(actor.compounds or []))
    elif actor.role == "liaison":
        joined = select(CaseCohandler.case_id).where(CaseCohandler.dept_id == actor.dept_id)
        statement = statement.where((Case.dept_id == actor.dept_id) | Case.id.in_(joined))
    found = (await session.execute(statement.order_by(Case.priority, Case.created_at).limit(limit))).scalars()
    return list(found)
