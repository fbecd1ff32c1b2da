"""A resident's personal data under the personal-information law (个人信息保护法): what the street keeps
about them (`kept`), erasing it on request (`erase`), and its lifetime (`apply_retention`, a daily job).

Erasure takes the identity and everything tied to it: the phone binding and its codes, dialog state
(drafts), free-spot subscriptions, the follows, and the contents of the message log in and out. The
cases they reported stay for the record (they count in the street's numbers): no longer linked to
them, their words masked (backend.privacy), their exact location and their photos removed. Survey
ratings stay, under a pseudonym, with comments masked.

Retention: message-log contents older than `log_days` are cleared, and abandoned drafts and unused phone
codes as old deleted; photos are deleted `media_days` after their case closed.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, event as orm_event, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend import audit, cases, kb, resident_sessions, takeover
from backend.clock import local
from backend.privacy import mask_phone, mask_text
from storage import jobs
from storage.models import (Case, CaseEvent, CaseFollower, CaseMedia, ChargingAlert, Conversation, InboundMessage,
                            OutboxMessage, PhoneBinding, PhoneCode, ResidentPreference, Survey)

ERASED_ACTOR = "resident:erased"


@dataclass(frozen=True)
class Kept:
    """What the street keeps about one resident identity."""

    phone: str | None  # the bound phone, masked
    reported: int
    followed: int
    drafts: int
    subscriptions: int
    messages: int  # messages whose contents are still in the log


async def _count(session: AsyncSession, statement) -> int:
    return (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()


async def kept(session: AsyncSession, who: cases.Reporter, now: datetime) -> Kept:
    mine = (CaseFollower.platform == who.platform) & (CaseFollower.user_id == who.user_id)
    phone = (await session.execute(select(PhoneBinding.phone).where(
        PhoneBinding.platform == who.platform, PhoneBinding.user_id == who.user_id))).scalar_one_or_none()
    return Kept(
        phone=mask_phone(phone),
        reported=await _count(session, select(CaseFollower.id).where(mine, CaseFollower.role == "reporter")),
        followed=await _count(session, select(CaseFollower.id).where(mine, CaseFollower.role == "follower")),
        drafts=await _count(session, select(Conversation.user_id).where(
            Conversation.platform == who.platform, Conversation.user_id == who.user_id)),
        subscriptions=await _count(session, select(ChargingAlert.id).where(
            ChargingAlert.platform == who.platform, ChargingAlert.user_id == who.user_id,
            ChargingAlert.status == "active", ChargingAlert.expires_at > now)),
        messages=await _count(session, select(InboundMessage.id).where(
            InboundMessage.platform == who.platform, InboundMessage.user_id == who.user_id,
            InboundMessage.cleared_at.is_(None))),
    )


@dataclass(frozen=True)
class Erased:
    cases: int  # reported cases kept for the record, masked
    follows: int
    photos: int
    messages: int


async def erase(session: AsyncSession, who: cases.Reporter, now: datetime) -> Erased:
    """Erase one resident identity's personal data (see the module's docstring), in the caller's transaction."""
    pseudonym = f"erased:{secrets.token_hex(8)}"  # keeps log rows unique without linking them to anyone
    reported = list((await session.execute(select(Case).where(
        Case.reporter_platform == who.platform, Case.reporter_id == who.user_id))).scalars())
    for case in reported:
        case.description = mask_text(case.description) or ""
        case.place_text, case.spot = mask_text(case.place_text), mask_text(case.spot)  # their words, like the description
        case.contact_phone = None
        case.lat = case.lng = None
        case.reporter_platform = case.reporter_id = None
        cases.record(session, case, "personal_data_erased", actor="system", at=now)
    events = (await session.execute(select(CaseEvent).where(CaseEvent.actor == who.actor))).scalars()
    for event in events:
        event.actor, event.note = ERASED_ACTOR, mask_text(event.note)
        if event.data and event.data.get("place_text"):  # the place in their words, kept on the created event
            event.data = {**event.data, "place_text": mask_text(event.data["place_text"])}
    photos = await _delete_media(session, now, CaseMedia.added_by == who.actor)
    follows = (await session.execute(delete(CaseFollower).where(
        CaseFollower.platform == who.platform, CaseFollower.user_id == who.user_id))).rowcount
    for survey in (await session.execute(select(Survey).where(
            Survey.platform == who.platform, Survey.user_id == who.user_id))).scalars():
        survey.platform, survey.user_id, survey.comment = "erased", f"{pseudonym}:{survey.id}", mask_text(survey.comment)
        if survey.status == "sent":  # no reminder goes to an identity that is gone
            survey.status = "no_answer"
    phones = set((await session.execute(select(PhoneBinding.phone).where(
        PhoneBinding.platform == who.platform, PhoneBinding.user_id == who.user_id).union(
        select(PhoneCode.phone).where(PhoneCode.platform == who.platform, PhoneCode.user_id == who.user_id))
    )).scalars())
    for table in (PhoneBinding, PhoneCode, ChargingAlert, ResidentPreference):
        await session.execute(delete(table).where(table.platform == who.platform, table.user_id == who.user_id))
    side_stores = Conversation.platform.startswith(f"{who.platform}#", autoescape=True)  # "wechat#help", …
    await session.execute(delete(Conversation).where(
        or_(Conversation.platform == who.platform, side_stores), Conversation.user_id == who.user_id))
    await takeover.forget(session, who, pseudonym, now)
    await resident_sessions.end_sessions(session, who.platform, who.user_id)  # their pages log out at once
    messages = (await session.execute(update(InboundMessage).where(
        InboundMessage.platform == who.platform, InboundMessage.user_id == who.user_id).values(
        user_id=pseudonym, content={}, reply=None, error=None, cleared_at=now))).rowcount
    theirs = or_((OutboxMessage.platform == who.platform) & (OutboxMessage.user_id == who.user_id),
                 (OutboxMessage.platform == "sms") & OutboxMessage.user_id.in_(phones))  # their codes
    await session.execute(update(OutboxMessage).where(theirs, OutboxMessage.status == "pending").values(
        status="undeliverable", error_code="erased", next_attempt_at=now))
    await session.execute(update(OutboxMessage).where(theirs).values(
        user_id=pseudonym, payload={}, last_error=None, cleared_at=now))
    audit.record(session, actor=ERASED_ACTOR, action=audit.ERASE, outcome="done", now=now, via="chat")
    return Erased(len(reported), follows, photos, messages)


async def _delete_media(session: AsyncSession, now: datetime, *where) -> int:
    """Delete the photos (rows and stored files) that match; each case's trace notes how many went."""
    rows = list((await session.execute(select(CaseMedia).where(*where))).scalars())
    if not rows:
        return 0
    await session.execute(delete(CaseMedia).where(CaseMedia.id.in_([r.id for r in rows])))
    by_case: dict[int, int] = {}
    for row in rows:
        by_case[row.case_id] = by_case.get(row.case_id, 0) + 1
    for case in (await session.execute(select(Case).where(Case.id.in_(by_case)))).scalars():
        cases.record(session, case, "media_removed", actor="system", at=now,
                     data={"count": by_case[case.id]})
    await session.flush()
    _unlink_once_committed(session, [r.stored_path for r in rows if r.stored_path])
    return len(rows)


def _unlink_once_committed(session: AsyncSession, paths: list[str]) -> None:
    """Delete the files when, and only when, the rows' deletion commits: a rolled-back erasure keeps its
    photos, as it keeps their rows."""
    if not paths:
        return

    def unlink(_session) -> None:
        for path in paths:
            Path(path).unlink(missing_ok=True)

    orm_event.listen(session.sync_session, "after_commit", unlink, once=True)


@dataclass(frozen=True)
class RetentionPolicy:
    log_days: int = 180
    media_days: int = 365
    # rows per table per run: a first run on years of history must not hold the (SQLite) writer for long;
    # a run that hits the batch schedules its continuation a minute later
    batch: int = 2000

    def as_payload(self) -> dict:
        return {"log_days": self.log_days, "media_days": self.media_days}


@dataclass(frozen=True)
class Retained:
    messages: int
    pushes: int
    photos: int
    dialogs: int  # drafts and other dialog state left idle, phone codes never used, page logins expired
    more: bool = False  # a batch was full: there may be more to do
    questions: int = 0  # residents' unanswered questions (masked, grouped) not asked again since


async def apply_retention(session: AsyncSession, policy: RetentionPolicy, now: datetime) -> Retained:
    """Clear message-log contents older than `log_days`, and delete dialog state (abandoned drafts), phone
    codes and unanswered questions (kb_questions, by when last asked) as old; delete photos `media_days` after
    their case closed. At most `policy.batch` rows of each."""
    cutoff, batch = now - timedelta(days=policy.log_days), policy.batch
    old_messages = select(InboundMessage.id).where(InboundMessage.cleared_at.is_(None),
                                                   InboundMessage.received_at < cutoff).limit(batch)
    messages = (await session.execute(update(InboundMessage).where(InboundMessage.id.in_(old_messages)).values(
        content={}, reply=None, error=None, cleared_at=now))).rowcount
    old_pushes = (OutboxMessage.cleared_at.is_(None), OutboxMessage.created_at < cutoff)
    await session.execute(update(OutboxMessage).where(*old_pushes, OutboxMessage.status == "pending").values(
        status="undeliverable", error_code="expired", next_attempt_at=now))  # long past any give-up time
    pushes = (await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(
        select(OutboxMessage.id).where(*old_pushes).limit(batch))).values(
        payload={}, last_error=None, cleared_at=now))).rowcount
    dialogs = (await session.execute(delete(Conversation).where(Conversation.updated_at < cutoff))).rowcount
    dialogs += (await session.execute(delete(PhoneCode).where(PhoneCode.created_at < cutoff))).rowcount
    dialogs += await resident_sessions.forget_expired(session, now)
    questions = await kb.forget_unanswered(session, cutoff)
    closed_before = now - timedelta(days=policy.media_days)
    expired_cases = select(Case.id).where(Case.closed_at.is_not(None), Case.closed_at < closed_before)
    expired_media = select(CaseMedia.id).where(CaseMedia.case_id.in_(expired_cases)).limit(batch)
    photos = await _delete_media(session, now, CaseMedia.id.in_(expired_media))
    return Retained(messages, pushes, photos, dialogs, more=batch in (messages, pushes, photos), questions=questions)


RETENTION_JOB = "privacy.retention"
RETENTION_HOUR = 3  # local time of the daily run: a quiet hour


async def on_retention_due(session: AsyncSession, run: jobs.JobRun) -> None:
    done = await apply_retention(session, RetentionPolicy(**run.payload), run.now)
    if done.more:
        await jobs.schedule(session, RETENTION_JOB, run.now + timedelta(minutes=1), run.payload,
                            key=f"{RETENTION_JOB}:more", replace=True, now=run.now)


async def schedule_retention(session: AsyncSession, policy: RetentionPolicy, now: datetime) -> None:
    """The daily retention job (idempotent across processes and restarts; a changed policy is taken up)."""
    job = await jobs.find(session, RETENTION_JOB)
    if job is not None:
        if job.payload != policy.as_payload() or job.status != "pending":
            job.payload, job.status, job.every_s = policy.as_payload(), "pending", 86400
        return
    first = local(now).replace(hour=RETENTION_HOUR, minute=0, second=0, microsecond=0)
    if first <= local(now):
        first += timedelta(days=1)
    await jobs.schedule(session, RETENTION_JOB, first, policy.as_payload(), key=RETENTION_JOB, every_s=86400, now=now)


handlers = jobs.JobHandlers()
handlers.add(RETENTION_JOB, on_retention_due)
