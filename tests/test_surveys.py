"""Satisfaction surveys: timing with quiet hours, answers on the case, 不满意 reopening, reminders,
and community campaigns — through the webhook and the job loop with an injected clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from backend.surveys import campaign_results, outside_quiet_hours, start_campaign
from storage.models import Job, Survey

UTC = timezone.utc


def at_local(hour: int, minute: int = 0) -> datetime:
    """A UTC time that is HH:MM in Hefei (UTC+8) on 2026-11-27."""
    return datetime(2026, 11, 27, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_quiet_hours_move_to_eight_in_the_morning():
    assert outside_quiet_hours(at_local(21, 59)) == at_local(21, 59)
    assert outside_quiet_hours(at_local(22, 0)) == at_local(8, 0) + timedelta(days=1)
    assert outside_quiet_hours(at_local(3, 30)) == at_local(8, 0)
    assert outside_quiet_hours(at_local(8, 0)) == at_local(8, 0)


async def resolved_case(town, resident: str) -> str:
    officer = await town.officer("S02", "o-lina")
    number = await town.report(resident, "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    for command in (f"接单 {number}", f"到场 {number}", f"办结 {number} 已更换井盖"):
        await officer.say(command)
    return number


async def surveyed(town, clock, resident: str) -> str:
    """A case of `resident`'s resolved at 10:00 with its survey sent two hours later; its number."""
    clock.now = at_local(10)
    await town.start(survey_delay_s=7200)
    number = await resolved_case(town, resident)
    clock.advance(hours=2)
    await town.tick()
    return number


async def test_survey_comes_two_hours_after_resolution_outside_quiet_hours(town, clock, db):
    clock.now = at_local(20, 30)
    await town.start(survey_delay_s=7200)
    await resolved_case(town, "o-survey")
    async with db.sessions() as s:
        job = (await s.execute(select(Job).where(Job.kind == "survey.send"))).scalar_one()
    assert job.due_at == at_local(8, 0) + timedelta(days=1)  # 22:30 is quiet: next morning
    clock.now = at_local(7, 59) + timedelta(days=1)
    await town.tick()
    assert not [p for p in await town.pushes("o-survey") if p.kind == "survey"]
    clock.now = at_local(8, 0) + timedelta(days=1)
    await town.tick()
    [survey] = [p for p in await town.pushes("o-survey") if p.kind == "survey"]
    assert "满意" in survey.payload["text"] and survey.payload["template"]["kind"] == "survey"


async def test_satisfied_answer_shows_on_the_case_and_closes_it(town, clock):
    number = await surveyed(town, clock, "o-happy")
    assert "感谢" in await town.person("o-happy").say("满意，处理得很快")
    view = await town.case(number)
    answered = next(e for e in view["events"] if e["kind"] == "survey_answered")
    assert answered["data"]["rating"] == "satisfied" and answered["note"] == "处理得很快"
    assert view["status"] == "closed"


@pytest.mark.parametrize("words, rating, status", [("还不错，师傅来得挺快", "satisfied", "closed"),
                                                   ("还行吧", "basic", "closed"),
                                                   ("太差了，拖了好几天", "unsatisfied", "reopened")])
async def test_everyday_words_answer_the_survey_as_the_intents_read_them(town, clock, words, rating, status):
    number = await surveyed(town, clock, "o-everyday")
    assert number in await town.person("o-everyday").say(words)
    view = await town.case(number)
    answered = next(e for e in view["events"] if e["kind"] == "survey_answered")
    assert answered["data"]["rating"] == rating and view["status"] == status


async def test_a_question_about_the_survey_is_not_an_answer(town, clock, db):
    await surveyed(town, clock, "o-curious")
    await town.person("o-curious").say("满意度调查是匿名的吗")
    async with db.sessions() as s:
        assert (await s.execute(select(Survey.status))).scalar_one() == "sent"


async def test_unsatisfied_reopens_the_case_and_tells_the_supervisor(town, clock):
    clock.now = at_local(10)
    await town.start(survey_delay_s=7200)
    await town.officer("S12", "o-boss")
    number = await resolved_case(town, "o-unhappy")
    clock.advance(hours=2)
    await town.tick()
    reply = await town.person("o-unhappy").say("3 井盖还是松的")
    assert "重办" in reply
    view = await town.case(number)
    assert view["status"] == "reopened" and [e["kind"] for e in view["events"]].count("dispatched") == 2
    assert any("不满意" in p.payload["text"] for p in await town.pushes("o-boss"))
    # the next resolution brings a new survey
    officer = town.person("o-lina")
    for command in (f"接单 {number}", f"到场 {number}", f"办结 {number} 已焊死"):
        await officer.say(command)
    clock.advance(hours=2)
    await town.tick()
    assert len([p for p in await town.pushes("o-unhappy") if p.kind == "survey"]) == 2


async def test_a_number_in_a_dialog_is_not_taken_as_a_survey_answer(town, clock, db):
    await surveyed(town, clock, "o-busy")
    resident = town.person("o-busy")
    await resident.say("欣园3栋楼下有人摆摊卖烧烤，油烟很大")
    assert "满意" not in await resident.say("1")  # picks the first compound
    async with db.sessions() as s:
        assert (await s.execute(select(Survey.status))).scalar_one() == "sent"
    assert "感谢" in await resident.say("基本满意")


async def test_no_answer_gets_one_reminder_then_is_recorded(town, clock, db):
    number = await surveyed(town, clock, "o-silent")
    clock.advance(hours=72)
    await town.tick()
    assert len([p for p in await town.pushes("o-silent") if p.kind == "survey"]) == 2
    clock.advance(hours=24)
    await town.tick()
    async with db.sessions() as s:
        assert (await s.execute(select(Survey.status))).scalar_one() == "no_answer"
    assert "survey_no_answer" in [e["kind"] for e in (await town.case(number))["events"]]


async def test_campaign_asks_the_community_and_counts_the_answers(town, clock, db):
    clock.now = at_local(10)
    await town.start()
    await town.report("o-zhu-1", "竹园新村3栋楼下垃圾桶满了好几天没人清理", "1")
    await town.report("o-zhu-2", "竹园雅苑门口井盖缺失了", "1")
    await town.report("o-other", "紫云府门口井盖缺失了", "1")
    async with db.transaction() as s:
        campaign = await start_campaign(s, "竹园社区", "您对本月社区环境是否满意？", 30 * 86400, clock(), clock())
    await town.tick()
    asked = {p.user_id for p in await town.pushes("o-zhu-1") + await town.pushes("o-zhu-2") + await town.pushes("o-other")
             if p.kind == "survey"}
    assert asked == {"o-zhu-1", "o-zhu-2"}
    await town.person("o-zhu-1").say("满意")
    await town.person("o-zhu-2").say("3")
    async with db.sessions() as s:
        [result] = await campaign_results(s, campaign.id)
    assert (result["sent"], result["answered"], result["satisfied"], result["unsatisfied"]) == (2, 2, 1, 1)
    assert result["satisfaction_rate"] == 0.5
