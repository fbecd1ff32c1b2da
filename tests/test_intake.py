"""The intake dialog end to end: real HTTP, signed and encrypted XML, the real nlp, a real database."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from backend import cases
from handlers.intake import DIALOG
from storage.models import Case, Conversation

NUMBER = re.compile(r"20\d{6}-\d{4}")


async def case_view(db, number: str) -> dict:
    async with db.sessions() as s:
        return await cases.staff_view(s, await cases.by_number(s, number))


def number_in(text: str) -> str:
    match = NUMBER.search(text)
    assert match, text
    return match.group(0)


async def test_one_shot_report_goes_straight_to_the_summary(street):
    r = street("o-oneshot")
    summary = await r.say("滨湖欣园3栋楼下有人占道摆摊卖水果，每天下午都在")
    assert "请核对" in summary and "滨湖欣园" in summary and "3栋" in summary
    created = await r.say("1")
    assert "已受理" in created and "工单号" in created
    view = await case_view(street.bot.db, number_in(created))
    assert (view["category"], view["compound"], view["building"]) == ("street_vending", "C03", "3栋")
    assert view["status"] == "dispatched" and view["channel"] == "wechat"
    assert view["officer"] == "S02"  # 李娜, stationed at 滨湖欣园
    # nobody is bound on WeChat in this test, so the dispatch push goes to supervisors and is noted
    assert [e["kind"] for e in view["events"]] == ["created", "dispatched", "dispatch_unreachable"]
    assert "李娜" in created


async def test_ambiguous_alias_gets_numbered_choices_and_a_case_in_three_more_messages(street):
    r = street("o-bbq")
    first = await r.say("欣园3栋楼下有人摆摊卖烧烤，油烟很大")
    assert "1." in first and "欣园北苑" in first and "欣园南苑" in first and "滨湖欣园二期" in first
    options = re.findall(r"(\d)\. (\S+)", first)
    pick = next(n for n, name in options if name == "欣园北苑")
    replies = [await r.say(pick)]
    while "请核对" not in replies[-1]:
        replies.append(await r.say("每天晚上八点以后"))
        assert len(replies) < 3, replies
    replies.append(await r.say("确认"))
    assert len(replies) <= 3
    view = await case_view(street.bot.db, number_in(replies[-1]))
    assert view["category"] == "bbq_fumes" and view["compound"] == "C08" and view["building"] == "3栋"


async def test_missing_place_is_asked_then_filled_from_the_answer(street):
    r = street("o-place")
    ask = await r.say("小区门口的路灯坏了一个星期了，晚上黑乎乎的")
    assert "小区" in ask and "请核对" not in ask
    summary = await r.say("云谷御苑")
    assert "云谷御苑" in summary and "请核对" in summary
    created = await r.say("确认")
    view = await case_view(street.bot.db, number_in(created))
    assert view["category"] == "municipal_facility" and view["compound"] == "C24"


async def test_missing_time_is_asked_for_noise(street):
    r = street("o-noise")
    ask = await r.say("润园花园5栋楼下广场舞音响太吵了")
    assert "时间" in ask
    summary = await r.say("每天晚上七点到九点半")
    assert "七点" in summary and "请核对" in summary


async def test_time_can_be_skipped(street):
    r = street("o-skip")
    ask = await r.say("润园花园5栋楼下广场舞音响太吵了")
    assert "时间" in ask
    summary = await r.say("跳过")
    assert "请核对" in summary and "未说明" in summary


async def test_low_confidence_offers_numbered_categories(street):
    r = street("o-vague")
    ask = await r.say("锦绣苑门口人行道上停了好多汽车，挡着路")
    assert "哪一类" in ask
    options = dict((name, n) for n, name in re.findall(r"(\d+)\. (\S+)", ask))
    assert "机动车乱停放" in options and "其他" in options and len(options) <= 4
    summary = await r.say(options["机动车乱停放"])
    assert "请核对" in summary and "机动车乱停放" in summary


async def test_a_report_that_says_nothing_of_the_problem_asks_what_it_is(street):
    r = street("o-what")
    ask = await r.say("滨湖欣园那边有点问题，麻烦管一管")
    assert "什么问题" in ask
    summary = await r.say("小区门口垃圾堆了好几天没人清理，很臭")
    assert "请核对" in summary and "环境卫生" in summary and "滨湖欣园" in summary


async def test_photo_then_text(street):
    r = street("o-photo")
    ask = await r.photo("m-1")
    assert "照片" in ask and "什么问题" in ask
    summary = await r.say("滨湖康园2栋门口垃圾桶满了好几天没人清理")
    assert "请核对" in summary and "1张" in summary
    created = await r.say("1")
    view = await case_view(street.bot.db, number_in(created))
    assert view["category"] == "sanitation" and [m["media_id"] for m in view["media"]] == ["m-1"]


async def test_location_then_text_proposes_the_nearest_compound(street):
    r = street("o-loc")
    ask = await r.location(31.73990, 117.27650, "滨湖欣园附近")
    assert "什么问题" in ask
    confirm = await r.say("这里有人占道摆摊卖菜，下午一直都在")
    assert "滨湖欣园" in confirm and "是这个小区吗" in confirm
    summary = await r.say("是")
    assert "请核对" in summary
    created = await r.say("1")
    view = await case_view(street.bot.db, number_in(created))
    assert view["compound"] == "C03" and view["location"]["lat"] == pytest.approx(31.7399)


async def test_modify_the_place_from_the_summary(street):
    r = street("o-modify")
    await r.say("陶坝花苑小区门口有几个井盖缺失了")
    assert "修改哪一项" in await r.say("修改")
    assert "小区" in await r.say("2")
    summary = await r.say("紫云府")
    assert "地点：紫云府" in summary
    view = await case_view(street.bot.db, number_in(await r.say("确认")))
    assert view["compound"] == "C34"


async def test_cancel_drops_the_draft(street):
    r = street("o-cancel")
    await r.say("欣园门口有人乱贴小广告")
    assert "取消" in await r.say("取消")
    assert "没有待确认" in await r.say("确认")
    async with street.bot.db.sessions() as s:
        assert (await s.execute(select(Case))).first() is None
        assert (await s.execute(select(Conversation))).first() is None


async def test_idle_draft_expires_after_30_minutes(street, clock):
    r = street("o-expire")
    await r.say("天鹅湖畔3栋楼下共享单车堆了一地")
    clock.advance(minutes=31)
    reply = await r.say("你好")
    assert "已自动取消" in reply
    assert "没有待确认" in await r.say("确认")


async def test_urgent_report_says_call_119_first_and_creates_a_top_priority_case(street):
    r = street("o-fire")
    reply = await r.say("紫云湾5栋楼道里着火了，好多烟")
    assert reply.index("119") < reply.index("工单")
    view = await case_view(street.bot.db, number_in(reply))
    assert view["priority"] == 1 and view["urgent"] is True and view["category"] == "emergency"


async def test_duplicate_offers_to_follow_the_open_case(street):
    first = street("o-dup-1")
    assert "请核对" in await first.say("锦绣苑门口人行道停满了车，没法走路")
    original = number_in(await first.say("1"))
    second = street("o-dup-2")
    assert "请核对" in await second.say("锦绣苑门口人行道上乱停车，好几辆汽车")
    offer = await second.say("1")  # offered only once the resident confirmed, and without the case's number
    assert original not in offer and "关注" in offer and "锦绣苑" in offer and "机动车乱停放" in offer
    followed = await second.say("1")
    assert original in followed and "关注" in followed
    view = await case_view(street.bot.db, original)
    assert view["repeat_reports"] == 1 and [f["role"] for f in view["followers"]] == ["reporter", "follower"]
    assert "followed" in [e["kind"] for e in view["events"]]
    listing = await second.say("我的工单")
    assert original in listing and "关注" in listing


async def test_duplicate_can_be_declined(street):
    await street("o-d1").say("锦绣苑门口人行道停满了车，没法走路")
    await street("o-d1").say("1")
    second = street("o-d2")
    assert "请核对" in await second.say("锦绣苑门口人行道上乱停车，好几辆汽车")
    assert "关注" in await second.say("1")
    assert NUMBER.search(await second.say("2"))


async def test_progress_list_and_timeline_and_urge(street):
    r = street("o-progress")
    await r.say("时代佳苑2栋门禁坏了好几天了")
    created = await r.say("1")
    number = number_in(created)
    listing = await r.say("我的工单")
    assert number in listing and "已派单" in listing
    detail = await r.say(f"查询 {number}")
    assert "办理记录" in detail and "工单已受理" in detail
    assert "已催办" in await r.say(f"催办 {number}")
    view = await case_view(street.bot.db, number)
    assert [e["kind"] for e in view["events"]] == ["created", "dispatched", "dispatch_unreachable", "urged"]


async def test_a_resident_cannot_read_someone_elses_case(street):
    owner = street("o-owner")
    await owner.say("时代佳苑2栋门禁坏了好几天了")
    number = number_in(await owner.say("1"))
    stranger = street("o-stranger")
    reply = await stranger.say(number)
    assert "没有找到" in reply and "门禁" not in reply
    assert "没有找到" in await stranger.say(f"催办 {number}")


async def test_a_restart_in_the_middle_of_a_dialog_keeps_the_draft(street, start_bot):
    r = street("o-restart")
    await r.say("欣园3栋楼下有人摆摊卖烧烤，油烟很大")
    await street.bot.server.close()
    again = await start_bot()
    from tests.conftest import Resident
    r2 = Resident(again, "o-restart")
    reply = await r2.say("2")
    assert "时间" in reply or "请核对" in reply


async def test_two_residents_interleaved_keep_their_own_drafts(street):
    a, b = street("o-a"), street("o-b")
    assert "欣园北苑" in await a.say("欣园3栋楼下有人摆摊卖烧烤，油烟很大")
    assert "小区" in await b.say("小区门口的路灯坏了")
    assert "请核对" in await b.say("徽州府")
    assert "时间" in await a.say("1")
    assert "请核对" in await a.say("每天晚上")
    b_view = await case_view(street.bot.db, number_in(await b.say("1")))
    a_view = await case_view(street.bot.db, number_in(await a.say("1")))
    assert (b_view["compound"], b_view["category"]) == ("C40", "municipal_facility")
    assert a_view["category"] == "bbq_fumes" and a_view["compound"] != "C40"


@pytest.mark.parametrize("message", ["", "😀😀", "。。。", "长" * 2000, "20991231-9999", "确认", "修改", "2"])
async def test_odd_messages_at_rest_get_a_sensible_answer(street, message):
    reply = await street("o-odd").say(message)
    assert reply and "抱歉，系统" not in reply


@pytest.mark.parametrize("message", ["", "😀", "长" * 2000, "20991231-9999", "9", "你好"])
async def test_odd_messages_in_a_dialog_keep_the_draft(street, message):
    r = street("o-odd-dialog")
    await r.say("欣园3栋楼下有人摆摊卖烧烤，油烟很大")
    reply = await r.say(message)
    assert reply and "抱歉，系统" not in reply
    async with street.bot.db.sessions() as s:
        assert (await s.execute(select(Conversation))).scalar_one().state in DIALOG.states


async def test_sticker_gets_an_answer(street):
    reply = await street("o-sticker").send("emoticon", {"MsgId": 99})
    assert "文字" in reply


def test_diagram_matches_the_dialog():
    diagram = (Path(__file__).parent.parent / "docs" / "intake.md").read_text(encoding="utf-8")
    block = diagram.split("```mermaid", 1)[1].split("```", 1)[0]
    named = set()
    for line in block.splitlines():
        transition = re.match(r"\s*(\[\*\]|[a-z_]+)\s*-->\s*(\[\*\]|[a-z_]+)", line)
        if transition:
            named |= set(transition.groups()) - {"[*]"}
    assert named == set(DIALOG.states), named ^ set(DIALOG.states)


async def test_the_expiry_notice_says_the_configured_idle_time(town, clock):
    await town.start(draft_ttl_s=600)
    resident = town.person("o-expire-10")
    await resident.say("天鹅湖畔3栋楼下共享单车堆了一地")
    clock.advance(minutes=9)
    assert "已自动取消" not in await resident.say("2")
    clock.advance(minutes=11)
    reply = await resident.say("你好")
    assert "10分钟" in reply and "30分钟" not in reply


async def test_a_short_report_with_survey_words_starts_a_report_when_no_survey_is_asked(street):
    """"又坏了" answers a survey, but "电梯又坏了" with no survey pending is a report, not words for nobody."""
    r = street("o-short-again")
    assert "哪个小区" in await r.say("电梯又坏了")  # the dialog asks where, not the greeting menu
    summary = await r.say("滨湖欣园3栋")
    assert "请核对" in summary and "滨湖欣园" in summary
