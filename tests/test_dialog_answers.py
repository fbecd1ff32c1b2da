"""What an answer tells beyond the question it answers reaches the case in its own slot, and words that only
move the dialog on (a yes, a skip, a bare place name at a menu) never join the description. Over real HTTP
with the real nlp; sentences written fresh for these tests."""
from __future__ import annotations

import re

from sqlalchemy import select

from backend import cases
from storage.models import Case

NUMBER = re.compile(r"20\d{6}-\d{4}")
FIRST = "凌晨有人在小区门口装卸建材"  # noise or construction: the bot shows the category menu


async def only_case(db) -> dict:
    async with db.sessions() as s:
        [case] = (await s.execute(select(Case))).scalars().all()
        return await cases.staff_view(s, case)


async def to_summary(resident, reply: str) -> str:
    for _ in range(4):
        if "请核对" in reply:
            return reply
        reply = await resident.say("跳过")
    assert "请核对" in reply, reply
    return reply


async def test_a_place_a_gate_and_a_yes_at_the_category_menu_fill_slots_and_glue_nothing_on(street):
    resident = street("o-answer-menu")
    assert "序号" in await resident.say(FIRST)
    await resident.say("润园花园")
    await resident.say("北门")
    reply = await resident.say("好的")
    assert "序号" in reply  # a yes picks no category: the menu again, nothing added
    summary = await to_summary(resident, await resident.say("1"))
    assert "润园花园" in summary and "北门" in summary
    assert NUMBER.search(await resident.say("1"))
    view = await only_case(street.bot.db)
    assert view["description"] == FIRST
    assert view["compound"] == "C21" and view["spot"] == "北门"  # which gate replaces the unnamed "小区门口"


async def test_a_yes_to_the_time_question_moves_on_without_joining_the_description(street):
    resident = street("o-answer-time")
    reply = await resident.say("康园新城楼下烧烤摊的烟太大了")
    assert "时间" in reply, reply
    summary = await to_summary(resident, await resident.say("行"))
    assert "时间：未说明" in summary
    assert NUMBER.search(await resident.say("1"))
    assert "行" not in (await only_case(street.bot.db))["description"]


async def test_skip_words_at_the_summary_add_nothing(street):
    resident = street("o-answer-skip")
    summary = await resident.say("滨湖欣园3栋门口的路灯坏了好几天")
    assert "请核对" in summary, summary
    again = await resident.say("跳过")
    assert "已补充" not in again and "请核对" in again
    assert NUMBER.search(await resident.say("1"))
    assert "跳过" not in (await only_case(street.bot.db))["description"]


async def test_all_over_the_compound_is_where_it_is_not_a_sentence_glued_on(street):
    resident = street("o-answer-scope")
    reply = await resident.say("时代佳苑好多人在楼道里堆杂物")
    summary = await to_summary(resident, reply if "请核对" in reply else await resident.say("说不清，每栋楼都这样"))
    if "全小区" not in summary:
        summary = await resident.say("说不清，每栋楼都这样")
    assert "全小区" in summary and "已补充" not in summary
    assert NUMBER.search(await resident.say("1"))
    view = await only_case(street.bot.db)
    assert view["spot"] == "全小区楼道" and view["building"] is None
    assert "说不清" not in view["description"] and "每栋楼" not in view["description"]


async def test_a_yes_to_where_on_a_road_is_no_spot(street):
    resident = street("o-answer-road")
    reply = await resident.say("徽州大道上有人私搭乱建了个棚子")
    assert "具体什么位置" in reply, reply  # the bot asks where on the road
    summary = await to_summary(resident, await resident.say("行"))
    assert "行" not in summary.split("地点：")[1].split("\n")[0]
    assert NUMBER.search(await resident.say("1"))
    view = await only_case(street.bot.db)
    assert view["spot"] != "行"
