"""Satisfaction surveys (满意率): after a case is resolved, and periodic campaigns per community.

resolved -> a `survey.send` job after SURVEY_DELAY_S (moved out of quiet hours, 22:00-08:00 local) ->
one Survey row and push per reporter/follower who has not answered yet -> an answer (满意 / 基本满意 /
不满意, or 1/2/3, with an optional comment) is recorded on the survey and the case's trace; no answer in
72 h -> one reminder, and 24 h later it is recorded as no answer.

The resolution push already invites an answer, so a resident's reply to it (before the survey goes out)
is the survey answer for that case: `question_for` finds what a resident's rating answers — the survey
or resolution they were asked about last, within ANSWER_WINDOW — and `settle` records it. The reporter's
answer decides: only theirs closes or reopens the case; a follower's is recorded (and, when unhappy,
flagged to the supervisor by the caller). An answer to a question the case has moved past (reopened
since) is kept but not counted (`superseded`); a second answer changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases, lifecycle, texts as T
from backend.clock import LOCAL_TZ, local
from backend.privacy import mask_text
from backend.pushes import time_field
from backend.wording import shorten
from storage import jobs, outbox
from storage.models import Case, CaseEvent, CaseFollower, Compound, Survey, SurveyCampaign

QUIET_START, QUIET_END = time(22, 0), time(8, 0)
REMIND_AFTER = timedelta(hours=72)
GIVE_UP_AFTER_REMINDER = timedelta(hours=24)
RATINGS = ("satisfied", "basic", "unsatisfied")
# A resident's reply to the resolution push or the survey counts as the answer this long after it was asked
# (longer than a survey lives: delay, reminder and the last 24 h).
ANSWER_WINDOW = timedelta(days=7)
CASES_LOOKED_AT = 20  # the resident's newest cases searched for a recent resolution


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


SUMMARY_CHARS = 30  # of the case's description in the survey text
def _push(session: AsyncSession, survey: Survey, text: str, key: str, now: datetime, number: str = "") -> None:
    template = {"kind": "survey", "fields": {"case_number": number, "question": text.split("\n", 1)[0],
                                             "time": time_field(now)}}
    payload = {"text": text, "template": template}
    if number:  # a case's survey links to its page, where it can be answered too
        payload["url"] = template["url"] = cases.RESIDENT_PAGE.format(number=number)
    outbox.enqueue(session, platform=survey.platform, user_id=survey.user_id, kind="survey",
                   payload=payload, idempotency_key=key, now=now)


def survey_text(case: Case) -> str:
    """The survey as pushed: the instruction line is fixed, the description shortened to fit."""
    return T.SURVEY.format(number=case.number, summary=shorten(mask_text(case.description), SUMMARY_CHARS))


def asks_about(case: Case, round_: int) -> bool:
    """The case still stands where a question about its `round_` resolution was put: resolved (or
    closed after it) in that round."""
    return case.status in lifecycle.CLOSED and case.dispatch_round == round_ and case.resolved_at is not None


async def send_case_survey(session: AsyncSession, run: jobs.JobRun) -> None:
    case = await session.get(Case, run.payload["case_id"])
    if case is None or not asks_about(case, run.payload["round"]):
        return  # reopened meanwhile: the next resolution brings its own survey
    asked = set((await session.execute(select(Survey.platform, Survey.user_id).where(
        Survey.case_id == case.id, Survey.round == case.dispatch_round))).all())
    for who in await cases.recipients_of(session, case):
        if (who.platform, who.user_id) in asked:
            continue  # answered the resolution push already
        survey = Survey(case_id=case.id, round=case.dispatch_round, platform=who.platform,
                        user_id=who.user_id, status="sent", sent_at=run.now)
        session.add(survey)
        await session.flush()
        _push(session, survey, survey_text(case), f"survey:{survey.id}", run.now, case.number)
        await jobs.schedule(session, "survey.remind", run.now + REMIND_AFTER, {"survey_id": survey.id},
                            key=f"survey-remind:{survey.id}", now=run.now)
    cases.record(session, case, "survey_sent", actor="system", at=run.now)


async def remind(session: AsyncSession, run: jobs.JobRun) -> None:
    survey = await session.get(Survey, run.payload["survey_id"])
    if survey is None or survey.status != "sent":
        return
    case = await session.get(Case, survey.case_id) if survey.case_id else None
    if case is not None and not asks_about(case, survey.round):
        survey.status = "superseded"  # reopened since: the next resolution asks again
        return
    if survey.reminded_at is None:
        survey.reminded_at = run.now
        text = T.SURVEY_REMINDER.format(number=case.number if case else "")
        _push(session, survey, text, f"survey-reminder:{survey.id}", run.now, case.number if case else "")
        await jobs.schedule(session, "survey.remind", run.now + GIVE_UP_AFTER_REMINDER, {"survey_id": survey.id},
                            key=f"survey-expire:{survey.id}", now=run.now)
        return
    survey.status = "no_answer"
    if case is not None:
        cases.record(session, case, "survey_no_answer", actor="system", at=run.now)


async def pending_for(session: AsyncSession, platform: str, user_id: str) -> Survey | None:
    """The newest unanswered survey of this resident, if any."""
    statement = (select(Survey).where(Survey.platform == platform, Survey.user_id == user_id,
                                      Survey.status == "sent").order_by(Survey.sent_at.desc(), Survey.id.desc()))
    return (await session.execute(statement.limit(1))).scalar_one_or_none()


@dataclass(frozen=True)
class Question:
    """What a resident's rating answers now. kind: `survey` (a survey pushed to them, waiting), `push`
    (a resolution pushed to them whose survey has not reached them yet), `answered` (they answered the
    last question about this case already: `survey` is that answer), `reopened` (the case went back to
    work since it was resolved: there is nothing to rate until it is resolved again)."""

    kind: str
    asked_at: datetime
    case: Case | None
    survey: Survey | None = None


async def question_for(session: AsyncSession, who: cases.Reporter, now: datetime) -> Question | None:
    """The last question put to this resident within ANSWER_WINDOW: a waiting survey, the resolution
    push of one of their cases, one they answered already, or a case of theirs reopened since (by someone
    else's answer or a failed revisit); None when nothing was asked."""
    found: list[Question] = []
    pending = await pending_for(session, who.platform, who.user_id)
    if pending is not None:
        case = await session.get(Case, pending.case_id) if pending.case_id else None
        found.append(Question("survey", pending.sent_at, case, pending))
    since = now - ANSWER_WINDOW
    theirs = [line.case for line in await cases.cases_of(session, who, limit=CASES_LOOKED_AT)]
    latest: dict[int, Survey] = {}
    for survey in (await session.execute(select(Survey).where(
            Survey.case_id.in_([case.id for case in theirs]), Survey.platform == who.platform,
            Survey.user_id == who.user_id).order_by(Survey.round, Survey.id))).scalars():
        latest[survey.case_id] = survey  # the last round's survey of each case
    reopened = dict((await session.execute(select(CaseEvent.case_id, func.max(CaseEvent.at)).where(
        CaseEvent.case_id.in_([case.id for case in theirs]), CaseEvent.kind == "reopened")
        .group_by(CaseEvent.case_id))).all())
    for case in theirs:
        mine = latest.get(case.id)
        if asks_about(case, case.dispatch_round) and case.resolved_at >= since and \
                (mine is None or mine.round != case.dispatch_round):
            found.append(Question("push", case.resolved_at, case))
        elif mine is not None and mine.status == "answered" and mine.answered_at >= since:
            found.append(Question("answered", mine.answered_at, case, mine))
        elif case.status in lifecycle.UNFINISHED and reopened.get(case.id, since) > since:
            found.append(Question("reopened", reopened[case.id], case))
    return max(found, key=lambda q: q.asked_at, default=None)


async def question_about(session: AsyncSession, case: Case, who: cases.Reporter) -> Question | None:
    """What a rating of this one case answers now (the residents' pages rate a case by its page): its survey
    waiting for `who`, its resolution not yet asked about, their answer already given for this round, or
    None while it is not resolved (a reopened case has nothing to rate until it is resolved again)."""
    if not asks_about(case, case.dispatch_round):
        return None
    mine = (await session.execute(select(Survey).where(
        Survey.case_id == case.id, Survey.round == case.dispatch_round, Survey.platform == who.platform,
        Survey.user_id == who.user_id))).scalars().first()
    if mine is None:
        return Question("push", case.resolved_at, case)
    if mine.status == "sent":
        return Question("survey", mine.sent_at, case, mine)
    if mine.status == "answered":
        return Question("answered", mine.answered_at, case, mine)
    return None


@dataclass(frozen=True)
class Settled:
    """What an answer did. outcome: campaign (a campaign answer, recorded) | recorded (kept; nothing else
    to do) | closed (the reporter's good answer closed the case) | reopen (the reporter is unhappy: the
    caller reopens) | flag (a follower is unhappy: the caller tells the supervisor) | superseded (the case
    was reopened since the question: kept, not counted) | already (answered before: nothing changed)."""

    outcome: str
    case: Case | None
    survey: Survey | None
    rating: str

    @property
    def label(self) -> str:
        return T.SURVEY_RATING.get(self.rating, "")


async def settle(session: AsyncSession, question: Question, who: cases.Reporter, rating: str, comment: str | None,
                 now: datetime) -> Settled:
    """Record a resident's answer to `question`, as their part in the case allows."""
    case = question.case
    if question.kind == "answered":
        return Settled("already", case, question.survey, question.survey.rating)
    if question.kind == "reopened":
        return Settled("superseded", case, None, rating)
    survey = question.survey or await _survey_for_push(session, case, who)
    survey.rating, survey.comment, survey.answered_at = rating, comment, now
    await jobs.cancel(session, f"survey-remind:{survey.id}", now=now)
    await jobs.cancel(session, f"survey-expire:{survey.id}", now=now)
    if case is None:
        survey.status = "answered"
        return Settled("campaign", None, survey, rating)
    if not asks_about(case, survey.round):
        survey.status = "superseded"
        return Settled("superseded", case, survey, rating)
    survey.status = "answered"
    role = await cases.role_of(session, case, who) or "follower"
    cases.record(session, case, "survey_answered", actor=who.actor, at=now, note=comment,
                 data={"rating": rating, "label": T.SURVEY_RATING[rating], "role": role})
    if role != "reporter":
        return Settled("flag" if rating == "unsatisfied" else "recorded", case, survey, rating)
    if rating == "unsatisfied":
        return Settled("reopen", case, survey, rating)
    if lifecycle.transition("close", case.status):
        case.closed_at = now
        lifecycle.apply(session, case, "close", actor="system", at=now)
        return Settled("closed", case, survey, rating)
    return Settled("recorded", case, survey, rating)


async def _survey_for_push(session: AsyncSession, case: Case, who: cases.Reporter) -> Survey:
    """The survey row of an answer given to the resolution push: asked when the case was resolved."""
    survey = Survey(case_id=case.id, round=case.dispatch_round, platform=who.platform, user_id=who.user_id,
                    status="sent", sent_at=case.resolved_at)
    session.add(survey)
    await session.flush()
    return survey


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
