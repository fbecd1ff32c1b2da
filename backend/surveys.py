"""Satisfaction surveys (满意率): after a case is resolved, and periodic campaigns per community.

resolved -> a `survey.send` job after SURVEY_DELAY_S (moved out of quiet hours, 22:00-08:00 local) ->
one Survey row and push per reporter/follower -> an answer (满意 / 基本满意 / 不满意, or 1/2/3, with an
optional comment) is recorded on the survey and the case's trace; 不满意 reopens the case (重办) and
tells the supervisor; no answer in 72 h -> one reminder, and 24 h later it is recorded as no answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases, lifecycle, texts as T
from backend.clock import LOCAL_TZ, local
from backend.privacy import mask_text
from storage import jobs, outbox
from storage.models import Case, CaseFollower, Compound, Survey, SurveyCampaign

QUIET_START, QUIET_END = time(22, 0), time(8, 0)
REMIND_AFTER = timedelta(hours=72)
GIVE_UP_AFTER_REMINDER = timedelta(hours=24)
RATINGS = ("satisfied", "basic", "unsatisfied")


@dataclass(frozen=True)
class SurveyPolicy:
    delay_s: int = 2 * 3600


def outside_quiet_hours(at: datetime) -> datetime:
    """The same moment, or 08:00 local time when it falls in the quiet hours (22:00-08:00)."""
    here = local(at)
    if here.time() >= QUIET_START:
        here = datetime.combine(here.date() + timedelta(days=1), QUIET_END, LOCAL_TZ)
    elif here.time() < QUIET_END:
        here = datetime.combine(here.date(), QUIET_END, LOCAL_TZ)
    return here.astimezone(at.tzinfo)


async def schedule_for(session: AsyncSession, case: Case, policy: SurveyPolicy, now: datetime) -> None:
    """Called when a case is resolved: its survey, for this dispatch round."""
    due = outside_quiet_hours(now + timedelta(seconds=policy.delay_s))
    await jobs.schedule(session, "survey.send", due, {"case_id": case.id, "round": case.dispatch_round},
                        key=f"survey:{case.id}:{case.dispatch_round}", now=now)


def _push(session: AsyncSession, survey: Survey, text: str, key: str, now: datetime, number: str = "") -> None:
    template = {"kind": "survey", "fields": {"case_number": number, "question": text[:20],
                                             "time": local(now).strftime("%Y-%m-%d %H:%M")}}
    outbox.enqueue(session, platform=survey.platform, user_id=survey.user_id, kind="survey",
                   payload={"text": text, "template": template}, idempotency_key=key, now=now)


async def send_case_survey(session: AsyncSession, run: jobs.JobRun) -> None:
    case = await session.get(Case, run.payload["case_id"])
    if case is None or case.status != "resolved" or case.dispatch_round != run.payload["round"]:
        return  # reopened or closed meanwhile: the next resolution brings its own survey
    summary = (mask_text(case.description) or "")[:20]  # followers get the survey too
    for who in await cases.recipients_of(session, case):
        survey = Survey(case_id=case.id, round=case.dispatch_round, platform=who.platform,
                        user_id=who.user_id, status="sent", sent_at=run.now)
        session.add(survey)
        await session.flush()
        _push(session, survey, T.SURVEY.format(number=case.number, summary=summary),
              f"survey:{survey.id}", run.now, case.number)
        await jobs.schedule(session, "survey.remind", run.now + REMIND_AFTER, {"survey_id": survey.id},
                            key=f"survey-remind:{survey.id}", now=run.now)
    cases.record(session, case, "survey_sent", actor="system", at=run.now)


async def remind(session: AsyncSession, run: jobs.JobRun) -> None:
    survey = await session.get(Survey, run.payload["survey_id"])
    if survey is None or survey.status != "sent":
        return
    if survey.reminded_at is None:
        survey.reminded_at = run.now
        case = await session.get(Case, survey.case_id) if survey.case_id else None
        text = T.SURVEY_REMINDER.format(number=case.number) if case else T.SURVEY_REMINDER.format(number="")
        _push(session, survey, text, f"survey-reminder:{survey.id}", run.now, case.number if case else "")
        await jobs.schedule(session, "survey.remind", run.now + GIVE_UP_AFTER_REMINDER, {"survey_id": survey.id},
                            key=f"survey-expire:{survey.id}", now=run.now)
        return
    survey.status = "no_answer"
    if survey.case_id:
        case = await session.get(Case, survey.case_id)
        cases.record(session, case, "survey_no_answer", actor="system", at=run.now)


async def pending_for(session: AsyncSession, platform: str, user_id: str) -> Survey | None:
    """The newest unanswered survey of this resident, if any."""
    statement = (select(Survey).where(Survey.platform == platform, Survey.user_id == user_id,
                                      Survey.status == "sent").order_by(Survey.sent_at.desc(), Survey.id.desc()))
    return (await session.execute(statement.limit(1))).scalar_one_or_none()


@dataclass(frozen=True)
class Answered:
    survey: Survey
    case: Case | None
    reopened: bool


async def answer(session: AsyncSession, survey: Survey, rating: str, comment: str | None, now: datetime,
                 actor: str) -> Answered:
    """Record an answer. Satisfied (or basic) closes a resolved case; 不满意 leaves reopening to the caller
    (it needs the category's rules), which `reopen_needed` tells."""
    survey.status, survey.rating, survey.comment, survey.answered_at = "answered", rating, comment, now
    await jobs.cancel(session, f"survey-remind:{survey.id}", now=now)
    await jobs.cancel(session, f"survey-expire:{survey.id}", now=now)
    case = await session.get(Case, survey.case_id) if survey.case_id else None
    if case is None:
        return Answered(survey, None, False)
    cases.record(session, case, "survey_answered", actor=actor, at=now, note=comment,
                 data={"rating": rating, "label": T.SURVEY_RATING[rating]})
    if rating != "unsatisfied" and lifecycle.transition("close", case.status):
        case.closed_at = now
        lifecycle.apply(session, case, "close", actor="system", at=now)
    return Answered(survey, case, rating == "unsatisfied" and lifecycle.transition("reopen", case.status) is not None)


# --- campaigns ---------------------------------------------------------------------------------

async def start_campaign(session: AsyncSession, community: str, question: str, every_s: int | None,
                         first_at: datetime, now: datetime) -> SurveyCampaign:
    campaign = SurveyCampaign(community=community, question=question, every_s=every_s, created_at=now)
    session.add(campaign)
    await session.flush()
    await jobs.schedule(session, "survey.campaign", outside_quiet_hours(first_at), {"campaign_id": campaign.id},
                        key=f"campaign:{campaign.id}", every_s=every_s, now=now)
    return campaign


async def run_campaign(session: AsyncSession, run: jobs.JobRun) -> None:
    """Ask every resident who reported in the community (reporters and followers of its cases)."""
    campaign = await session.get(SurveyCampaign, run.payload["campaign_id"])
    if campaign is None:
        return
    people = (await session.execute(
        select(CaseFollower.platform, CaseFollower.user_id).join(Case, Case.id == CaseFollower.case_id)
        .join(Compound, Compound.id == Case.compound_id).where(Compound.community == campaign.community)
        .distinct())).all()
    for platform, user_id in people:
        survey = Survey(campaign_id=campaign.id, round=run.attempt, platform=platform, user_id=user_id,
                        status="sent", sent_at=run.now)
        session.add(survey)
        await session.flush()
        _push(session, survey, T.CAMPAIGN.format(question=campaign.question), f"campaign-survey:{survey.id}", run.now)


async def campaign_results(session: AsyncSession, campaign_id: int | None = None) -> list[dict]:
    """Answers per campaign: sent, answered, each rating, and the satisfaction rate."""
    statement = select(SurveyCampaign.id, SurveyCampaign.community, Survey.status, Survey.rating, func.count()) \
        .join(Survey, Survey.campaign_id == SurveyCampaign.id) \
        .group_by(SurveyCampaign.id, SurveyCampaign.community, Survey.status, Survey.rating)
    if campaign_id is not None:
        statement = statement.where(SurveyCampaign.id == campaign_id)
    results: dict[int, dict] = {}
    for cid, community, status, rating, count in (await session.execute(statement)).all():
        entry = results.setdefault(cid, {"campaign": cid, "community": community, "sent": 0, "answered": 0,
                                         **{r: 0 for r in RATINGS}})
        entry["sent"] += count
        if status == "answered":
            entry["answered"] += count
            entry[rating] += count
    for entry in results.values():
        good = entry["satisfied"] + entry["basic"]
        entry["satisfaction_rate"] = round(good / entry["answered"], 4) if entry["answered"] else None
    return list(results.values())


handlers = jobs.JobHandlers()
handlers.add("survey.send", send_case_survey)
handlers.add("survey.remind", remind)
handlers.add("survey.campaign", run_campaign)
