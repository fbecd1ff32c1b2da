"""A person when the bot cannot help: the duty roster and human takeovers.

A resident asks for a person (`request`): the staff on duty (`值班`; the supervisors when nobody is) are
told, with the resident's last messages masked, since a push sits on a lock screen. A staff member on duty
(or a supervisor) takes one waiting resident (`take`) and from then on what either side writes is relayed
to the other through the outbox (`relay`), until either says 结束 (`end`) or both fall silent for the
idle time. Nobody takes it within the pickup time: the resident is told, and a consultation case is
opened for a call-back with the resident's words in its trace (`on_pickup_due`). Both timeouts are jobs.

Who may do what is decided here, not by the caller: only staff on duty and supervisors see the queue and
take a resident; a relay goes to the other side of the caller's own takeover and nowhere else.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases, phones, reports, staff as staff_mod, texts as T, workflow
from backend.clock import duration_text, time_text
from backend.privacy import mask_text
from backend.wording import shorten
from storage import inbound, jobs, outbox
from storage.models import Case, DutyShift, Staff, Takeover

WAITING, ACTIVE = "waiting", "active"
OPEN = (WAITING, ACTIVE)
PICKUP_JOB, IDLE_JOB = "takeover.pickup", "takeover.idle"
CALLBACK_CATEGORY, CALLBACK_KIND = "other", "consultation"
CALLBACK_WORDS_CHARS = 500  # of the resident's words in the call-back case's description


@dataclass(frozen=True)
class TakeoverPolicy:
    """How long a resident waits for a person (TAKEOVER_PICKUP_S) and how long a silent conversation lasts
    (TAKEOVER_IDLE_S); how many of the resident's last messages, from how far back, the staff member sees."""

    pickup_s: int = 180
    idle_s: int = 1800
    history: int = 5
    history_s: int = 3600


@dataclass(frozen=True)
class Callback:
    """What opening a call-back case needs: the category's rules and the 1315 plan (given by handlers, who
    have the taxonomy and the street's configuration)."""

    rules: workflow.CategoryRules
    sla: workflow.SlaPlan

    def to_data(self) -> dict:
        return {"rules": {**asdict(self.rules), "co_departments": list(self.rules.co_departments)},
                "sla": asdict(self.sla)}

    @classmethod
    def from_data(cls, data: dict) -> "Callback":
        rules = dict(data["rules"])
        rules["co_departments"] = tuple(rules.get("co_departments") or ())
        return cls(workflow.CategoryRules(**rules), workflow.SlaPlan(**data["sla"]))


@dataclass(frozen=True)
class Seat:
    """Where an identity sits in an open takeover: the resident, or the staff member who took it."""

    takeover: Takeover
    side: str  # resident | staff


@dataclass(frozen=True)
class Done:
    ok: bool
    code: str = ""  # refusals: not_on_duty | busy | unknown | taken
    takeover: Takeover | None = None


# --- the duty roster ------------------------------------------------------------------------------------

async def go_on_duty(session: AsyncSession, staff: Staff, now: datetime) -> bool:
    """`值班`: False when already on duty."""
    if await session.get(DutyShift, staff.id) is not None:
        return False
    session.add(DutyShift(staff_id=staff.id, since=now))
    return True


async def go_off_duty(session: AsyncSession, staff: Staff) -> bool:
    """`下班`: False when not on duty. A conversation in progress goes on until it ends."""
    return (await session.execute(delete(DutyShift).where(DutyShift.staff_id == staff.id))).rowcount > 0


async def on_duty(session: AsyncSession) -> list[Staff]:
    """Staff on duty, longest first."""
    return list((await session.execute(select(Staff).join(DutyShift, DutyShift.staff_id == Staff.id)
                                       .order_by(DutyShift.since, Staff.id))).scalars())


async def may_take(session: AsyncSession, staff: Staff) -> bool:
    """Who may see the queue and take a resident: staff on duty, and supervisors (the default when nobody is)."""
    return staff.role == "supervisor" or await session.get(DutyShift, staff.id) is not None


async def answering(session: AsyncSession) -> list[Staff]:
    """Who is told of a resident waiting: the staff on duty, else the supervisors."""
    return await on_duty(session) or await staff_mod.supervisors(session)


# --- finding one's takeover -------------------------------------------------------------------------------

_TAKEOVERS = Takeover.__table__
_SEAT = (select(_TAKEOVERS.c.id, _TAKEOVERS.c.staff_platform, _TAKEOVERS.c.staff_user_id, _TAKEOVERS.c.status)
         .where(or_(and_(_TAKEOVERS.c.platform == bindparam("p"), _TAKEOVERS.c.user_id == bindparam("u"),
                         _TAKEOVERS.c.status.in_(OPEN)),
                    and_(_TAKEOVERS.c.staff_platform == bindparam("p"), _TAKEOVERS.c.staff_user_id == bindparam("u"),
                         _TAKEOVERS.c.status == ACTIVE)))
         .order_by(_TAKEOVERS.c.id.desc()).limit(1))


async def seat_of(session: AsyncSession, platform: str, user_id: str) -> Seat | None:
    """The open takeover this identity is in: as the resident (waiting or talking), or as the staff identity
    that took it. Asked for every message: one light Core query, the ORM object only when there is a seat."""
    conn = await session.connection()
    found = (await conn.execute(_SEAT, {"p": platform, "u": user_id})).first()
    if found is None:
        return None
    staff = (found.staff_platform, found.staff_user_id) == (platform, user_id) and found.status == ACTIVE
    return Seat(await session.get(Takeover, found.id), "staff" if staff else "resident")


async def waiting(session: AsyncSession) -> list[Takeover]:
    """Residents waiting for a person, the longest waiting first."""
    return list((await session.execute(select(Takeover).where(Takeover.status == WAITING)
                                       .order_by(Takeover.requested_at, Takeover.id))).scalars())


async def said_before(session: AsyncSession, takeover: Takeover, policy: TakeoverPolicy) -> list[tuple[datetime, str]]:
    """The resident's last messages before the request and while waiting, oldest first."""
    return await inbound.recent_texts(session, takeover.platform, takeover.user_id,
                                      since=takeover.requested_at - timedelta(seconds=policy.history_s),
                                      limit=policy.history)


def lines_of(said: list[tuple[datetime, str]], now: datetime, *, masked: bool) -> str:
    """Messages one a line: masked for pushes and the queue, as written for the staff member who took the
    conversation (they are entitled to it) and for the call-back case's trace."""
    lines = [T.TAKEOVER_LINE.format(at=time_text(at, now), text=mask_text(text) if masked else text)
             for at, text in said]
    return "\n".join(lines) or T.TAKEOVER_NO_LINES


# --- a resident asks, a staff member takes -----------------------------------------------------------------

async def request(session: AsyncSession, who: cases.Reporter, policy: TakeoverPolicy, callback: Callback,
                  now: datetime) -> tuple[Takeover, bool]:
    """A resident asks for a person: (their takeover, True when it is new). The answering staff are told;
    the pickup deadline is a job."""
    seat = await seat_of(session, who.platform, who.user_id)
    if seat is not None and seat.side == "resident":
        return seat.takeover, False
    takeover = Takeover(platform=who.platform, user_id=who.user_id, status=WAITING, requested_at=now, last_at=now)
    session.add(takeover)
    await session.flush()
    await jobs.schedule(session, PICKUP_JOB, now + timedelta(seconds=policy.pickup_s),
                        {"takeover_id": takeover.id, "callback": callback.to_data(),
                         "history": policy.history, "history_s": policy.history_s},
                        key=f"takeover:{takeover.id}:pickup", now=now)
    queued = len(await waiting(session))
    text = T.TAKEOVER_REQUEST.format(n=takeover.id, waiting=queued, wait=duration_text(policy.pickup_s),
                                     lines=lines_of(await said_before(session, takeover, policy), now, masked=True))
    for person in await answering(session):
        await workflow.notify_staff(session, person.id, "takeover_request", text, now,
                                    key=f"takeover:{takeover.id}:request")
    return takeover, True


async def take(session: AsyncSession, staff: Staff, platform: str, user_id: str, takeover_id: int,
               policy: TakeoverPolicy, now: datetime) -> Done:
    """`接入 N` from this staff identity: the resident is told, the idle clock starts. One conversation at a
    time per staff member; a takeover two people try to take goes to the first."""
    if not await may_take(session, staff):
        return Done(False, "not_on_duty")
    busy = (await session.execute(select(Takeover.id).where(Takeover.staff_id == staff.id,
                                                            Takeover.status == ACTIVE))).first()
    if busy is not None:
        return Done(False, "busy", await session.get(Takeover, busy[0]))
    taken = await session.execute(update(Takeover).where(Takeover.id == takeover_id, Takeover.status == WAITING)
                                  .values(status=ACTIVE, staff_id=staff.id, staff_platform=platform,
                                          staff_user_id=user_id, taken_at=now, last_at=now))
    found = await session.get(Takeover, takeover_id)
    if taken.rowcount == 0:
        return Done(False, "unknown" if found is None else "taken", found)
    await session.refresh(found)
    await jobs.cancel(session, f"takeover:{takeover_id}:pickup", now=now)
    await _arm_idle(session, found, policy, now)
    _tell_resident(session, found, T.TAKEOVER_CONNECTED.format(name=staff.name), "connected", now)
    return Done(True, takeover=found)


# --- the conversation ----------------------------------------------------------------------------------

def media_text(kind: str, url: str | None = None, label: str | None = None) -> str:
    """What the other side reads of a photo, voice, location or link relayed in a conversation."""
    return T.TAKEOVER_MEDIA.get(kind, T.TAKEOVER_MEDIA["link"]).format(url=url or "", label=label or "")


RELAYED, WAITING_STILL, UNBOUND = "relayed", "waiting", "unbound"


async def relay(session: AsyncSession, seat: Seat, text: str, policy: TakeoverPolicy, now: datetime,
                message_key: str) -> str:
    """Pass one message to the other side of the caller's own active takeover: relayed; waiting (nobody has
    taken it: the words stay in the log and reach the staff member who takes it, or the call-back case); or
    unbound (the staff identity is no longer bound to the staff member who took it: nothing is relayed either
    way, and the conversation ends, the resident told, when the resident is the one writing)."""
    takeover = seat.takeover
    if takeover.status != ACTIVE:
        return WAITING_STILL
    if not await still_held(session, takeover):
        if seat.side == "resident":
            await end(session, takeover, "staff", now)
        return UNBOUND
    key = f"takeover:{takeover.id}:{seat.side}:{hashlib.sha256(message_key.encode()).hexdigest()[:24]}"
    if seat.side == "staff":
        _tell_resident(session, takeover, T.TAKEOVER_FROM_STAFF.format(text=text), key, now, exact_key=True)
    else:
        outbox.enqueue(session, platform=takeover.staff_platform, user_id=takeover.staff_user_id, kind="takeover",
                       payload={"text": T.TAKEOVER_FROM_RESIDENT.format(n=takeover.id, text=text)},
                       idempotency_key=key, now=now)
    takeover.last_at = now
    await _arm_idle(session, takeover, policy, now)
    return RELAYED


async def still_held(session: AsyncSession, takeover: Takeover) -> bool:
    """The identity that took the takeover is still bound to the staff member who took it."""
    holder = await staff_mod.identify(session, takeover.staff_platform, takeover.staff_user_id)
    return holder is not None and holder.id == takeover.staff_id


async def end(session: AsyncSession, takeover: Takeover, by: str, now: datetime, *, idle_s: int = 0) -> None:
    """End a takeover: by the resident (结束, also while still waiting), the staff member, or silence. The
    other side is told (both, after silence); a request ended before anyone took it is simply withdrawn, and
    an erased resident's conversation ends without a word."""
    was = takeover.status
    takeover.status = "ended" if was == ACTIVE else "cancelled"
    takeover.ended_at, takeover.ended_by = now, by
    await jobs.cancel(session, f"takeover:{takeover.id}:pickup", now=now)
    await jobs.cancel(session, f"takeover:{takeover.id}:idle", now=now)
    if was != ACTIVE or by not in T.TAKEOVER_ENDED:
        return
    to_resident, to_staff = (t.format(n=takeover.id, idle=duration_text(idle_s)) for t in T.TAKEOVER_ENDED[by])
    if by != "resident":
        _tell_resident(session, takeover, to_resident, f"end:{by}", now)
    if by != "staff":
        outbox.enqueue(session, platform=takeover.staff_platform, user_id=takeover.staff_user_id, kind="takeover",
                       payload={"text": to_staff}, idempotency_key=f"takeover:{takeover.id}:end:{by}:staff",
                       now=now)


def _tell_resident(session: AsyncSession, takeover: Takeover, text: str, what: str, now: datetime, *,
                   exact_key: bool = False) -> None:
    """A customer-service message inside the window the resident opened by asking."""
    outbox.enqueue(session, platform=takeover.platform, user_id=takeover.user_id, kind="takeover",
                   payload={"text": text}, idempotency_key=what if exact_key else f"takeover:{takeover.id}:{what}",
                   now=now)


async def _arm_idle(session: AsyncSession, takeover: Takeover, policy: TakeoverPolicy, now: datetime) -> None:
    await jobs.schedule(session, IDLE_JOB, now + timedelta(seconds=policy.idle_s),
                        {"takeover_id": takeover.id, "idle_s": policy.idle_s},
                        key=f"takeover:{takeover.id}:idle", replace=True, now=now)


# --- the timeouts ----------------------------------------------------------------------------------------

async def on_idle_due(session: AsyncSession, run: jobs.JobRun) -> None:
    """Nobody wrote for the idle time: the conversation ends, both sides told."""
    takeover = await session.get(Takeover, run.payload["takeover_id"])
    idle_s = int(run.payload["idle_s"])
    if takeover is None or takeover.status != ACTIVE or run.now - takeover.last_at < timedelta(seconds=idle_s):
        return
    await end(session, takeover, "idle", run.now, idle_s=idle_s)


async def on_pickup_due(session: AsyncSession, run: jobs.JobRun) -> None:
    """Nobody took the resident in time: they are told, and a consultation case is opened for a call-back,
    dispatched to the longest-serving staff member on duty (else as the grid routes a placeless case)."""
    takeover = await session.get(Takeover, run.payload["takeover_id"])
    if takeover is None or takeover.status != WAITING:
        return
    policy = TakeoverPolicy(history=int(run.payload.get("history", 5)) + 20,
                            history_s=int(run.payload.get("history_s", 3600)))
    callback = Callback.from_data(run.payload["callback"])
    who = cases.Reporter(takeover.platform, takeover.user_id)
    said = await said_before(session, takeover, policy)
    words = [text for _, text in said]
    wait = duration_text(int((run.now - takeover.requested_at).total_seconds()))
    new = cases.NewCase(category=CALLBACK_CATEGORY, kind=CALLBACK_KIND, priority=3, channel=who.platform,
                        description=T.CALLBACK_DESCRIPTION.format(
                            wait=wait, words=shorten(" / ".join(words), CALLBACK_WORDS_CHARS) or T.CALLBACK_NO_WORDS),
                        reporter=who, contact_phone=await phones.bound_phone(session, who))
    duty = await on_duty(session)
    case, _ = await reports.open_case(session, new, callback.rules, workflow.Policy(sla=callback.sla), run.now,
                                      officer=duty[0] if duty else None)
    cases.record(session, case, "conversation", actor=who.actor, at=run.now, note=lines_of(said, run.now, masked=False),
                 data={"takeover": takeover.id})
    takeover.status, takeover.ended_at, takeover.ended_by, takeover.case_id = "missed", run.now, "pickup", case.id
    _tell_resident(session, takeover, T.TAKEOVER_MISSED.format(number=case.number), "missed", run.now)


async def forget(session: AsyncSession, who: cases.Reporter, pseudonym: str, now: datetime) -> None:
    """A resident's erasure: their open takeover ends without another word to them, and their takeovers keep
    only a pseudonym (the figures still count them)."""
    seat = await seat_of(session, who.platform, who.user_id)
    if seat is not None and seat.side == "resident":
        await end(session, seat.takeover, "erased", now)
    await session.execute(update(Takeover).where(Takeover.platform == who.platform, Takeover.user_id == who.user_id)
                          .values(platform="erased", user_id=pseudonym))


handlers = jobs.JobHandlers()
handlers.add(PICKUP_JOB, on_pickup_due)
handlers.add(IDLE_JOB, on_idle_due)


# --- figures ---------------------------------------------------------------------------------------------

async def figures(session: AsyncSession, start: datetime | None = None, end_: datetime | None = None) -> dict:
    """The takeover part of the consultations in `report --json`, for requests (and call-back cases) made in
    [start, end): handed_to_person (residents who asked for a person), answered_by_person (a staff member
    took the conversation), callback_cases (consultation cases opened because nobody did)."""
    asked = select(func.count()).select_from(Takeover)
    answered = asked.where(Takeover.taken_at.is_not(None))
    callbacks = select(func.count()).select_from(Case).where(Case.kind == CALLBACK_KIND)
    if start is not None:
        asked, answered = asked.where(Takeover.requested_at >= start), answered.where(Takeover.requested_at >= start)
        callbacks = callbacks.where(Case.created_at >= start)
    if end_ is not None:
        asked, answered = asked.where(Takeover.requested_at < end_), answered.where(Takeover.requested_at < end_)
        callbacks = callbacks.where(Case.created_at < end_)
    return {"handed_to_person": (await session.execute(asked)).scalar_one(),
            "answered_by_person": (await session.execute(answered)).scalar_one(),
            "callback_cases": (await session.execute(callbacks)).scalar_one()}
