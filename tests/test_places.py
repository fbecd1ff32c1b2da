"""Places beyond compounds end to end (real HTTP, the real nlp, a real database): a report on a road or at
a crossing becomes a case routed to the grid officer who patrols it and the category's department; a place
nobody can match is kept in the resident's words or as the shared point, for a person to place, and the
dialog never asks the same place question twice."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend import analytics, cases
from backend.demo import DEMO_DIR
from backend.routing import grid_officer
from nlp import load_taxonomy
from storage.models import Case, Compound

NUMBER = re.compile(r"20\d{6}-\d{4}")
TAXONOMY = load_taxonomy()


async def case_view(db, number: str) -> dict:
    async with db.sessions() as s:
        return await cases.staff_view(s, await cases.by_number(s, number))


def number_in(text: str) -> str:
    match = NUMBER.search(text)
    assert match, text
    return match.group(0)


async def talk(resident, *messages: str) -> list[str]:
    return [await resident.say(m) for m in messages]


async def officer_of(db, place_id: str) -> str:
    async with db.sessions() as s:
        return (await grid_officer(s, place_id)).id


async def test_a_broken_signal_at_a_crossing_becomes_a_case_for_the_crossings_grid_officer(street):
    r = street("o-crossing")
    summary = await r.say("锦绣大道跟徽州大道十字路口的信号灯一直在闪黄灯，车都乱开")
    assert "请核对" in summary and "徽州大道与锦绣大道交叉口" in summary, summary
    view = await case_view(street.bot.db, number_in(await r.say("1")))
    assert view["compound"] == "X01" and view["place_text"] is None
    assert view["officer"] == await officer_of(street.bot.db, "X01") == "S11"  # patrols 锦绣华府 (C31), X01's cell
    assert view["dept"] == TAXONOMY.category(view["category"]).department


async def test_the_crossing_named_in_the_issue_no_longer_offers_look_alike_compounds(street):
    r = street("o-issue-crossing")
    reply = await r.say("徽州大道和紫云路交叉口的红绿灯坏了")
    assert "紫云湾" not in reply and "紫云府" not in reply and "紫云山庄" not in reply
    assert "徽州大道与紫云路交叉口" in reply, reply


async def test_a_road_and_house_number_keep_the_spot_and_go_to_the_roads_grid(street):
    r = street("o-road-number")
    replies = [await r.say("烟墩路35号旁边人行道上的井盖没了，晚上很危险")]
    while "请核对" not in replies[-1]:
        replies.append(await r.say("跳过"))
        assert len(replies) < 4, replies
    assert "烟墩路" in replies[-1] and "35号旁边" in replies[-1]
    view = await case_view(street.bot.db, number_in(await r.say("1")))
    assert (view["compound"], view["building"]) == ("R12", "35号旁边")
    assert view["officer"] == await officer_of(street.bot.db, "R12") == "S10"
    assert view["dept"] == TAXONOMY.category(view["category"]).department


async def test_a_landmark_answer_to_the_place_question_is_understood(street):
    r = street("o-landmark")
    ask = await r.say("有人在路边卖烤红薯，占了半条人行道")
    assert "请核对" not in ask
    replies = [await r.say("烟墩小学对面")]
    while "请核对" not in replies[-1]:
        replies.append(await r.say("跳过"))
        assert len(replies) < 4, replies
    assert "烟墩小学" in replies[-1] and "对面" in replies[-1], replies


async def test_none_of_these_then_a_description_becomes_a_case_for_a_person_to_place(street):
    r = street("o-none")
    choices = await r.say("紫云那边路面塌了一个坑，电动车差点摔了")
    assert "1." in choices and "都不是" in choices
    describe = await r.say("都不是")
    assert "发送位置" in describe and "没有找到" not in describe
    summary = await r.say("加油站往东一百米那个没名字的小路口")
    assert "请核对" in summary and "待工作人员核实" in summary, summary
    view = await case_view(street.bot.db, number_in(await r.say("1")))
    assert view["compound"] is None and view["place_text"] == "加油站往东一百米那个没名字的小路口"
    assert view["officer"] == "S12"  # the supervisor places it and passes it on
    created = view["events"][0]
    assert created["kind"] == "created" and created["data"]["needs_place"] is True


async def test_none_of_these_twice_still_ends_in_a_case_without_asking_again(street):
    r = street("o-none-twice")
    replies = await talk(r, "紫云那边有人半夜在马路上飙车，声音特别大", "都不是", "不知道")
    assert replies[1] != replies[2]
    while "请核对" not in replies[-1]:
        replies.append(await r.say("跳过"))
        assert len(replies) < 6, replies
    assert sum("输入框" in reply for reply in replies) == 1, replies  # asked once to share or describe
    assert "未说明（待工作人员核实）" in replies[-1]
    view = await case_view(street.bot.db, number_in(await r.say("1")))
    assert view["compound"] is None and view["officer"] == "S12"


async def test_none_of_these_then_a_shared_location_that_is_not_the_nearest_place_keeps_the_point(street):
    r = street("o-none-location")
    await talk(r, "紫云那边有个下水道盖子翻了", "都不是")
    confirm = await r.location(31.74405, 117.29110, "合肥市包河区徽州大道辅路")
    assert "徽州大道与紫云路交叉口" in confirm and "是这里吗" in confirm, confirm
    replies = [await r.say("不是")]
    while "请核对" not in replies[-1]:
        replies.append(await r.say("跳过"))
        assert len(replies) < 4, replies
    assert "徽州大道辅路" in replies[-1]
    view = await case_view(street.bot.db, number_in(await r.say("1")))
    assert view["compound"] is None and view["place_text"] == "合肥市包河区徽州大道辅路"
    assert view["location"]["lat"] == pytest.approx(31.74405)


async def test_a_shared_location_at_a_market_proposes_the_market(street):
    r = street("o-market-location")
    await r.location(31.76152, 117.28652, "农贸市场")
    confirm = await r.say("门口一排三轮车占道卖菜，早上堵得走不动")
    assert "烟墩农贸市场" in confirm and "是这里吗" in confirm, confirm
    summary = await r.say("是")
    assert "请核对" in summary or "位置" in summary
