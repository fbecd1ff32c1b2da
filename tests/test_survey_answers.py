"""Survey answers as residents give them: a reply to the resolution push is the answer for that case, the
reporter's answer decides (a follower's is recorded and flagged), every answer is thanked for what it
did, and the survey text is shortened without cutting a word — through the webhook and the job loop."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.wechat.templates import fit
from storage.models import Survey

UTC = timezone.utc
STALL = "滨湖欣园6栋楼下每天下午有人占道摆摊卖水果，堵住了消防通道"
SAME_PROBLEM = "滨湖欣园门口人行道上每天傍晚有人摆摊卖菜"


def at_local(hour: int) -> datetime:
    return datetime(2026, 11, 27, hour, tzinfo=UTC) - timedelta(hours=8)


async def resolve(officer, number: str, note: str = "已更换井盖") -> None:
    for command in (f"接单 {number}", f"到场 {number}", f"办结 {number} {note}"):
        await officer.say(command)


async def started(town, clock):
    clock.now = at_local(10)
    await town.start(survey_delay_s=7200)
    boss = await town.officer("S12", "o-boss")
    officer = await town.officer("S02", "o-lina")
    return boss, officer


async def answers_of(db) -> list[tuple[str, str, str | None]]:
    async with db.sessions() as s:
        rows = await s.execute(select(Survey.user_id, Survey.status, Survey.rating).order_by(Survey.id))
        return [tuple(r) for r in rows.all()]


@pytest.mark.parametrize("words", ["不满意", "没解决，晚上还是黑乎乎的", "还是没修好", "根本没人来处理过",
                                   "问题依旧，盖子还是松的"])
async def test_discontent_in_reply_to_the_resolution_push_reopens_that_case(town, clock, db, words):
    boss, officer = await started(town, clock)
    number = await town.report("o-res", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    await resolve(officer, number)
    [push] = [p for p in await town.pushes("o-res") if "已办结" in p.payload["text"]]
    assert "不满意" in push.payload["text"]  # the push invites the answer
    clock.advance(minutes=20)  # before the survey goes out
    reply = await town.person("o-res").say(words)
    assert number in reply and "重办" in reply, reply
    view = await town.case(number)
    assert view["status"] == "reopened"
    answered = next(e for e in view["events"] if e["kind"] == "survey_answered")
    assert answered["data"]["rating"] == "unsatisfied" and answered["data"]["role"] == "reporter"
    assert any("不满意" in p.payload["text"] and number in p.payload["text"] for p in await town.pushes("o-boss"))
    clock.advance(hours=3)
    await town.tick()  # the survey of that round is not sent any more: the case was reopened
    assert not [p for p in await town.pushes("o-res") if p.kind == "survey"]
    assert await answers_of(db) == [("o-res", "answered", "unsatisfied")]


async def test_the_answer_goes_to_the_most_recently_resolved_case(town, clock):
    _, officer = await started(town, clock)
    first = await town.report("o-two", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    second = await town.report("o-two", "竹园新村3栋楼下垃圾桶满了好几天没人清理", "1")
    await resolve(officer, first)
    clock.advance(minutes=5)
    await resolve_any(town, second)
    clock.advance(minutes=5)
    reply = await town.person("o-two").say("没处理好，垃圾还是满的")
    assert second in reply and first not in reply, reply
    assert (await town.case(second))["status"] == "reopened"
    assert (await town.case(first))["status"] == "resolved"


async def resolve_any(town, number: str) -> None:
    """Resolve a case by whichever officer it was dispatched to (bound on the fly)."""
    officer_id = (await town.case(number))["officer"]
    officer = await town.officer(officer_id, f"o-officer-{officer_id}")
    await resolve(officer, number, "已清运")


async def test_discontent_is_not_an_answer_in_another_dialog_nor_long_after(town, clock):
    _, officer = await started(town, clock)
    number = await town.report("o-later", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    await resolve(officer, number)
    resident = town.person("o-later")
    await resident.say("竹园新村2栋楼道里堆满了杂物")  # a new report, waiting for its answers
    await resident.say("还是老样子")
    assert (await town.case(number))["status"] == "resolved"
    await resident.say("取消")
    clock.advance(days=8)  # past the window: the words mean whatever they mean elsewhere
    reply = await resident.say("不满意")
    assert "重办" not in reply and (await town.case(number))["status"] == "resolved"


async def test_a_new_problem_in_other_words_is_not_taken_for_an_answer(town, clock):
    _, officer = await started(town, clock)
    number = await town.report("o-new", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    await resolve(officer, number)
    await town.person("o-new").say("又吵了，竹园新村广场舞每天晚上放到十点多")
    assert (await town.case(number))["status"] == "resolved"


async def follower_case(town, officer) -> str:
    number = await town.report("o-reporter", STALL, "1")
    follower = town.person("o-follower")
    await follower.say(SAME_PROBLEM)
    assert "关注" in await follower.say("1")  # confirmed: the same problem is offered to follow
    assert number in await follower.say("1")
    await resolve(officer, number, "已劝离摊贩")
    return number


async def test_a_followers_unhappy_answer_is_flagged_without_reopening_and_the_reporter_decides(town, clock, db):
    boss, officer = await started(town, clock)
    number = await follower_case(town, officer)
    clock.advance(hours=2)
    await town.tick()
    reply = await town.person("o-follower").say("3 傍晚又摆出来了")
    assert "督办" in reply and "重办" not in reply and number in reply, reply
    assert (await town.case(number))["status"] == "resolved"
    flags = [p.payload["text"] for p in await town.pushes("o-boss") if number in p.payload["text"]]
    assert any("跟进居民" in text for text in flags), flags
    assert not [p for p in await town.pushes("o-reporter") if "重新启动" in p.payload["text"]]
    reply = await town.person("o-reporter").say("2")
    assert "基本满意" in reply and "完结" in reply, reply
    assert (await town.case(number))["status"] == "closed"
    assert sorted(await answers_of(db)) == [("o-follower", "answered", "unsatisfied"),
                                            ("o-reporter", "answered", "basic")]


async def test_a_later_answer_on_a_reopened_case_is_thanked_for_what_happened(town, clock, db):
    _, officer = await started(town, clock)
    number = await follower_case(town, officer)
    clock.advance(hours=2)
    await town.tick()  # both are asked
    assert "重办" in await town.person("o-reporter").say("3 第二天又来摆了")
    reply = await town.person("o-follower").say("2")
    assert "重新办理" in reply and "基本满意" not in reply, reply
    again = await town.person("o-reporter").say("满意")
    assert "已评价" in again and "不满意" in again and "重新办理" in again, again
    assert "感谢您对工单" not in again
    assert (await town.case(number))["status"] == "reopened"
    async with db.sessions() as s:
        counted = (await s.execute(select(Survey.user_id).where(Survey.status == "answered"))).scalars().all()
    assert counted == ["o-reporter"]  # the follower's stale answer and the reporter's second are not counted


async def test_the_reporter_answering_the_push_is_not_asked_again_but_followers_are(town, clock, db):
    _, officer = await started(town, clock)
    number = await follower_case(town, officer)
    reply = await town.person("o-reporter").say("满意，处理得很及时")
    assert "满意" in reply and "完结" in reply, reply
    clock.advance(hours=2)
    await town.tick()
    assert not [p for p in await town.pushes("o-reporter") if p.kind == "survey"]
    assert [p for p in await town.pushes("o-follower") if p.kind == "survey"]
    assert (await town.case(number))["status"] == "closed"


async def test_the_survey_text_shortens_a_long_description_at_a_boundary_and_keeps_its_instruction(town, clock):
    _, officer = await started(town, clock)
    description = "滨湖欣园5栋楼下的井盖缺失了一大半露出黑洞洞的口子，晚上路过的老人和孩子很容易踩空掉下去"
    number = await town.report("o-long", description, "1")
    await resolve(officer, number)
    clock.advance(hours=2)
    await town.tick()
    [survey] = [p for p in await town.pushes("o-long") if p.kind == "survey"]
    text = survey.payload["text"]
    summary = re.search(rf"{number}（(.*?)）已办结", text).group(1)
    assert summary.endswith("…") and description.startswith(summary[:-1]), summary
    cut = len(summary) - 1
    assert description[cut] in "，。" or description[cut - 1] in "的了着", summary  # at a boundary, not mid-word
    assert text.endswith("回复 1 满意，2 基本满意，3 不满意；也可以直接回复“满意”“不满意”，并附上您的意见。")
    question = survey.payload["template"]["fields"]["question"]  # whole: the template's keyword type cuts it
    assert question == text.split("\n", 1)[0]
    sent = fit("thing", question)
    assert len(sent) <= 20 and sent.endswith("…") and question.startswith(sent[:-1]), sent


async def test_words_on_a_case_reopened_by_someone_else_say_it_is_being_handled_again(town, clock, db):
    _, officer = await started(town, clock)
    number = await follower_case(town, officer)
    assert "重办" in await town.person("o-reporter").say("不满意，第二天又来摆了")
    reply = await town.person("o-follower").say("根本没管，还是老样子")
    assert number in reply and "重新办理" in reply, reply
    assert (await town.case(number))["status"] == "reopened"
    assert await answers_of(db) == [("o-reporter", "answered", "unsatisfied")]
