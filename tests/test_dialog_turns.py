"""A dialog that never garbles a report, over real HTTP with the real nlp: every message at a step is read
as what it is (confirmation, cancellation, question, chit-chat, staff words, added detail, answer), details
in answers reach the case, emergencies come first and keep their place, and repeats and duplicates are
offered, not doubled. Sentences written fresh for these tests."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from backend import cases
from storage.models import Case, Conversation

NUMBER = re.compile(r"20\d{6}-\d{4}")


async def case_count(db) -> int:
    async with db.sessions() as s:
        return (await s.execute(select(func.count()).select_from(Case))).scalar_one()


async def drafts(db) -> int:
    """Dialogs under way (not the side stores beside them, such as entries offered to pick from)."""
    async with db.sessions() as s:
        return (await s.execute(select(func.count()).select_from(Conversation).where(
            ~Conversation.platform.contains("#")))).scalar_one()


async def only_case(db) -> dict:
    async with db.sessions() as s:
        [case] = (await s.execute(select(Case))).scalars().all()
        return await cases.staff_view(s, case)


async def until_summary(resident, reply: str, skips: int = 3) -> str:
    """Pass over the optional questions left (at most `skips`) until the summary."""
    for _ in range(skips):
        if "请核对" in reply:
            return reply
        reply = await resident.say("跳过")
    assert "请核对" in reply, reply
    return reply


async def at_summary(resident) -> str:
    reply = await resident.say("滨湖欣园2栋门口垃圾堆了好几天，味道很大")
    assert "请核对" in reply, reply
    return reply


@pytest.mark.parametrize("words", ["可以，提交吧", "确认无误"])
async def test_confirming_in_ones_own_words_submits_without_gluing_them_on(street, words):
    resident = street("o-turn-confirm")
    await at_summary(resident)
    assert NUMBER.search(await resident.say(words))
    view = await only_case(street.bot.db)
    assert "提交" not in view["description"] and "无误" not in view["description"]


async def test_cancelling_in_ones_own_words_drops_the_report(street):
    resident = street("o-turn-cancel")
    await at_summary(resident)
    reply = await resident.say("不用了，我不反映了")
    assert "取消" in reply and not NUMBER.search(reply)
    assert await case_count(street.bot.db) == 0 and await drafts(street.bot.db) == 0


@pytest.mark.parametrize("message", ["你们周末也处理吗？", "5", "在吗", "办结 0002"])
async def test_questions_chat_numbers_and_staff_words_at_the_summary_change_nothing(street, message):
    resident = street("o-turn-aside")
    before = await at_summary(resident)
    reply = await resident.say(message)
    assert "请核对" in reply and not NUMBER.search(reply)
    description = re.search(r"描述：(.*)", reply).group(1)
    assert description == re.search(r"描述：(.*)", before).group(1)
    assert NUMBER.search(await resident.say("1"))
    assert (await only_case(street.bot.db))["description"] == description


async def test_an_added_detail_is_said_back_and_reaches_the_case(street):
    resident = street("o-turn-detail")
    await at_summary(resident)
    reply = await resident.say("对了，晚上更严重")
    assert "已补充" in reply and "更严重" in reply.split("请核对")[1]
    assert NUMBER.search(await resident.say("1"))
    assert "更严重" in (await only_case(street.bot.db))["description"]


@pytest.mark.parametrize("message", ["", "   ", "🙂🙂🙂", "在吗", "办结 0002", "你们周末也处理吗？"])
async def test_nothing_for_a_report_opens_no_draft(street, message):
    reply = await street("o-turn-rest").say(message)
    assert reply and "请核对" not in reply and "抱歉，系统" not in reply
    assert await drafts(street.bot.db) == 0


async def test_a_time_answer_keeps_what_happens_and_the_time_as_said(street):
    resident = street("o-turn-time")
    assert "时间" in await resident.say("和园雅居楼下天天很吵")
    summary = await resident.say("凌晨一点多，有人在楼下喝酒唱歌")
    assert "请核对" in summary
    assert NUMBER.search(await resident.say("1"))
    view = await only_case(street.bot.db)
    assert "喝酒唱歌" in view["description"] and "凌晨一点" in view["occurred"]


async def test_a_place_answer_keeps_the_spot(street):
    resident = street("o-turn-spot")
    reply = await resident.say("垃圾桶旁边的垃圾好几天没人收了，苍蝇很多")
    assert "小区" in reply, reply
    summary = await until_summary(resident, await resident.say("滨湖欣园北门停车场旁边"))
    assert "北门" in summary
    assert NUMBER.search(await resident.say("1"))
    view = await only_case(street.bot.db)
    assert view["compound"] == "C03" and "北门" in view["spot"]


async def test_an_unknown_building_is_no_building_and_where_it_is_is_kept(street):
    resident = street("o-turn-building")
    reply = await resident.say("时代佳苑有户人家在楼顶私自加盖房子")
    assert "几号楼" in reply, reply
    summary = await until_summary(resident, await resident.say("不清楚，好几栋都有"))
    assert "全小区" in summary  # "several buildings" is where it is, not words glued onto the description
    assert NUMBER.search(await resident.say("1"))
    view = await only_case(street.bot.db)
    assert view["building"] is None and view["spot"].startswith("全小区") and "不清楚" not in view["description"]


async def test_an_emergency_says_the_number_first_and_takes_the_next_location(street):
    resident = street("o-turn-fire")
    reply = await resident.say("快来人 我家阳台着火了")
    number = NUMBER.search(reply).group(0)
    assert "119" in reply and reply.index("119") < reply.index(number)
    added = await resident.location(31.7400, 117.2767, "滨湖欣园")
    assert number in added and "请核对" not in added
    assert await case_count(street.bot.db) == 1 and await drafts(street.bot.db) == 0
    view = await only_case(street.bot.db)
    assert view["urgent"] and view["priority"] == 1 and view["location"] is not None
    assert view["compound"] == "C03" and "place_added" in [e["kind"] for e in view["events"]]


async def test_an_emergency_then_a_compound_name_is_that_cases_place(street):
    resident = street("o-turn-gas")
    reply = await resident.say("厨房里一股很重的煤气味，好像漏气了")
    number = NUMBER.search(reply).group(0)
    assert await resident.say("锦绣苑") and await case_count(street.bot.db) == 1
    async with street.bot.db.sessions() as s:
        assert (await cases.by_number(s, number)).compound_id is not None


async def test_people_trapped_in_a_lift_are_an_emergency_with_the_number_first(street):
    reply = await street("o-turn-lift").say("救命，电梯里关着两个人出不来，在欣园北苑5栋")
    assert NUMBER.search(reply) and reply.index("119") < reply.index(NUMBER.search(reply).group(0))
    view = await only_case(street.bot.db)
    assert view["urgent"] and view["priority"] == 1


async def test_a_feared_hazard_is_no_emergency_call(street):
    reply = await street("o-turn-hazard").say("锦绣苑3栋楼道里堆满纸箱，担心哪天着火")
    assert "拨打" not in reply and await case_count(street.bot.db) == 0


async def test_the_same_resident_reporting_again_is_asked_to_add_to_the_first_case(street):
    resident = street("o-turn-again")
    await at_summary(resident)
    first = NUMBER.search(await resident.say("1")).group(0)
    await resident.say("滨湖欣园2栋门口的垃圾还是没人清，越堆越多")
    offer = await resident.say("1")
    assert "您已反映过" in offer and first in offer
    added = await resident.say("1")
    assert first in added and await case_count(street.bot.db) == 1
    view = await only_case(street.bot.db)
    assert "supplemented" in [e["kind"] for e in view["events"]]


async def test_a_duplicate_is_offered_only_after_confirming_and_shows_none_of_the_first_report(street):
    first = street("o-turn-first")
    await first.say("锦绣苑5栋楼下的路灯坏了一个星期，我叫王大明，电话13912345678")
    await first.say("1")
    number = NUMBER.search((await first.say("我的工单"))).group(0)
    neighbour = street("o-turn-neighbour")
    summary = await neighbour.say("锦绣苑的路灯不亮了，晚上黑乎乎的")
    assert "请核对" in summary and number not in summary, summary
    offer = await neighbour.say("1")
    for private in (number, "王大明", "139", "一个星期"):
        assert private not in offer
    assert "路灯" in offer or "市政" in offer


async def test_a_correction_replaces_the_slot_instead_of_joining_the_description(street):
    resident = street("o-turn-correct")
    summary = await at_summary(resident)
    assert "2栋" in summary
    corrected = await resident.say("说错了，应该是7号楼")
    assert "已更正" in corrected and "7栋" in corrected.split("请核对")[1]
    assert NUMBER.search(await resident.say("1"))
    view = await only_case(street.bot.db)
    assert view["building"] == "7栋" and "说错了" not in view["description"]


async def test_picking_the_emergency_category_from_the_menu_makes_an_urgent_case_with_the_numbers(street):
    resident = street("o-turn-menu-emergency")
    await at_summary(resident)
    await resident.say("2")  # 修改
    menu = await resident.say("1")  # 问题类别: every category to choose from
    options = dict(re.findall(r"(\d+)\. (\S+)", menu))
    choice = next(n for n, name in options.items() if name == "突发险情")
    reply = await resident.say(choice)
    number = NUMBER.search(reply)
    assert number and "119" in reply and reply.index("119") < reply.index(number.group(0))
    view = await only_case(street.bot.db)
    assert view["urgent"] and view["priority"] == 1


async def test_a_very_long_report_keeps_the_way_to_confirm_and_every_word(street):
    """WeChat cuts a reply at 2048 bytes: the summary shortens a long description, never its last lines."""
    days = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    story = "".join(f"{day}晚上十一点以后，楼上装修的人还在用电钻打墙，声音很大，孩子被吵醒好几次，我们下楼找过物业，"
                    f"物业说会去说，但是第二天照样。" for day in days * 7)
    text = "竹园新村12栋" + story
    assert len(text) > 2500
    resident = street("o-long-story")
    summary = await resident.say(text)
    assert "请核对" in summary and "回复 1 确认提交" in summary and "已完整记录" in summary, summary[-200:]
    assert len(summary.encode()) <= 2048
    assert NUMBER.search(await resident.say("1"))
    assert len((await only_case(street.bot.db))["description"]) >= len(story) - 10  # the case keeps every word
