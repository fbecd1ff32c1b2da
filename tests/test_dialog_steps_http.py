"""Replies at every step of the intake dialog, not only at its summary, over HTTP: a correction corrects
its slot, 帮助 shows the menu, "不用了" to an optional question passes it over, and a case's priority
follows the category it ends with."""
from __future__ import annotations

from nlp import load_taxonomy
from tests.test_dialog_turns import NUMBER, only_case


async def test_a_correction_at_the_time_question_corrects_the_place_not_the_time(street):
    r = street("o-step-correct")
    await r.say("楼下有人占道摆摊卖水果")
    assert "时间" in await r.say("陶坝花苑")
    corrected = await r.say("不对，是竹园新村")
    assert "已更正" in corrected, corrected
    summary = corrected if "请核对" in corrected else await r.say("每天下午")
    assert "地点：竹园新村" in summary and "时间：竹园新村" not in summary, summary
    assert NUMBER.search(await r.say("1"))
    view = await only_case(street.bot.db)
    assert "竹园新村" not in (view["occurred"] or "") and "不对" not in view["description"]


async def test_help_at_the_place_question_shows_the_menu_and_is_not_taken_for_a_place(street):
    r = street("o-step-help")
    await r.say("每天晚上有人在路边占道摆摊卖烧烤")
    reply = await r.say("帮助")
    assert "已记下地点" not in reply and "帮助" not in reply.split("\n")[0], reply
    assert "我的工单" in reply  # the menu, then the same question again


async def test_no_thanks_to_an_optional_question_passes_it_over_and_keeps_the_report(street):
    r = street("o-step-skip")
    await r.say("楼下有人占道摆摊卖水果")
    assert "时间" in await r.say("陶坝花苑")  # an optional question
    reply = await r.say("不用了")
    assert "已取消" not in reply and "请核对" in reply and "时间：未说明" in reply, reply
    assert NUMBER.search(await r.say("1"))


async def test_a_cases_priority_follows_the_category_the_resident_picked(street):
    """The first message's guess (here a safety hazard, high) must not outlive the resident's own choice."""
    r = street("o-step-priority")
    menu = await r.say("楼道里堆满了别人的旧家具")
    other = next(line.split(".")[0] for line in menu.splitlines() if line.endswith("其他"))
    reply = await r.say(other)
    for _ in range(3):  # the place and the building, if asked
        if "请核对" in reply:
            break
        reply = await r.say("徽州府6栋")
    assert "请核对" in reply, reply
    assert NUMBER.search(await r.say("1"))
    view = await only_case(street.bot.db)
    word = load_taxonomy().category("other").priority
    assert view["category"] == "other" and view["priority"] == {"urgent": 1, "high": 2, "normal": 3, "low": 4}[word]
