"""What each audience reads of a case, end to end over real HTTP: the reporter's own view, the public view a
follower (我也遇到) gets, and that no staff-internal code or note ever reaches a resident."""
from __future__ import annotations

import re

from backend import staff as staff_mod

CODE = re.compile(r"[A-Za-z_]{3,}")  # an internal code (sla_breached, escalated, …) in a resident's text
REPORT = "滨湖欣园6栋楼下每天下午有人占道摆摊卖水果，堵住了消防通道。我是住6栋302的陈美华，电话13912345678"
SAME_PROBLEM = "滨湖欣园门口人行道上每天傍晚有人摆摊卖菜"


async def reporter_with_photo(town, openid: str) -> str:
    person = town.person(openid)
    summary = await person.say(REPORT)
    assert "请核对" in summary, summary
    await person.photo("stall-1")
    return await town.report(openid, "1")


async def follower_confirms(follower) -> None:
    """A neighbour reports the same problem; once confirmed, the open case is offered (without its number)."""
    assert "请核对" in await follower.say(SAME_PROBLEM)
    offer = await follower.say("1")
    assert "关注" in offer and "滨湖欣园" in offer and not re.search(r"\d{8}-\d{4}", offer), offer


async def test_a_follower_reads_the_public_view_never_the_reporters_words_phone_or_photo(town):
    await town.start()
    officer = await town.officer("S02", "o-lina")
    number = await reporter_with_photo(town, "o-chen")
    follower = town.person("o-neighbour")
    await follower_confirms(follower)
    assert number in await follower.say("1")
    await officer.say(f"接单 {number}")
    await officer.say(f"办结 {number} 已劝离摊贩，恢复通道畅通")

    detail = await follower.say(f"查询 {number}")
    for private in ("陈美华", "13912345678", "9123", "302", "6栋", "消防通道", "卖水果", "stall-1", "wx.invalid"):
        assert private not in detail, (private, detail)
    assert "滨湖欣园" in detail and "已办结" in detail and "已劝离摊贩" in detail  # public note from staff
    assert not CODE.search(detail), detail
    listing = await follower.say("我的工单")
    assert number in listing and "关注" in listing and "6栋" not in listing

    own = await town.person("o-chen").say(f"查询 {number}")
    assert "陈美华" in own and "6栋" in own and "已劝离摊贩" in own  # the reporter reads their own words


async def test_a_followers_unhappy_words_never_reach_the_reporter_or_other_followers(town, db, clock):
    clock.now = clock.now.replace(hour=2, minute=0)  # 10:00 in Hefei: the survey is not held for quiet hours
    await town.start(survey_delay_s=7200)
    officer = await town.officer("S02", "o-lina")
    number = await reporter_with_photo(town, "o-chen")
    follower = town.person("o-neighbour")
    await follower_confirms(follower)
    assert "已为您关注" in await follower.say("1")
    for step in ("接单", "到场"):
        await officer.say(f"{step} {number}")
    await officer.say(f"办结 {number} 已劝离")
    clock.advance(hours=3)
    await town.tick()
    await follower.say("3 我家楼下王大爷说还在摆，他电话13800001111")
    assert (await town.case(number))["status"] == "resolved"  # a follower's answer does not reopen
    for reader in ("o-chen", "o-neighbour"):
        detail = await town.person(reader).say(f"查询 {number}")
        assert "王大爷" not in detail and "13800001111" not in detail, (reader, detail)
    pushed = [p.payload["text"] for p in await town.pushes("o-chen")]
    assert not any("王大爷" in text or "13800001111" in text for text in pushed), pushed


async def test_my_cases_and_case_details_show_no_internal_code_or_note(town, db, clock):
    await town.start(sla_accept_s=60, sla_depart_s=180, sla_arrive_s=900)
    async with db.transaction() as session:
        liaison = await staff_mod.create_staff(session, name="钱工", role="liaison", dept_id="zhujian", compounds=[])
    housing = await town.officer(liaison.id, "o-zhujian")
    number = await town.report("o-joint", "滨湖欣园7栋楼顶有人私自加盖了一间房", "1")
    resident = town.person("o-joint")
    first = await resident.say("我的工单")  # nobody bound for the grid yet: dispatch_unreachable is the latest event
    assert number in first and not CODE.search(first.replace(number, "")), first
    clock.advance(seconds=61)
    await town.tick()  # the 1315 clock: sla_breached, escalated
    assert "已签核" in await housing.say(f"核实 {number} 内部意见：疑似违建，暂不告知当事人")
    listing = await resident.say("我的工单")
    assert "最新：" in listing and not CODE.search(listing), listing
    detail = await resident.say(f"查询 {number}")
    assert not CODE.search(detail.replace(number, "")), detail
    assert "内部意见" not in detail and "协办" not in detail and "督办" not in detail, detail
    assert "工单已受理" in detail and "已派单" in detail


async def test_a_hotline_caller_whose_repeat_report_was_merged_reads_the_public_view(db, clock):
    """A phone-bound resident is the reporter of a case left with their number, a follower of someone else's
    case their hotline call was merged into: the public view, never the first reporter's words."""
    from backend import cases, trace
    from storage.models import ChannelReport, PhoneBinding

    async with db.transaction() as session:
        first = await cases.create_case(session, cases.NewCase(
            category="street_vending", description=REPORT, priority=3, channel="wechat", compound_id="C03",
            building="6栋", reporter=cases.Reporter("wechat", "o-chen"),
            media=[{"kind": "image", "url": "http://wx.invalid/own.jpg"}]), clock())
        await cases.add_media(session, first, [{"kind": "image", "url": "http://wx.invalid/neighbour.jpg"}],
                              actor="resident:wechat:o-neighbour", now=clock())
        own = await cases.create_case(session, cases.NewCase(
            category="noise", description="广场舞太吵", priority=3, channel="12345热线", compound_id="C03",
            contact_phone="13700001111"), clock())
        session.add(ChannelReport(channel_id=1, case_id=first.id, token="t-merged", outcome="repeat",
                                  contact_phone="13700001111", received_at=clock()))
        session.add(PhoneBinding(platform="wechat", user_id="o-caller", phone="13700001111", verified_at=clock()))
    caller = cases.Reporter("wechat", "o-caller")
    async with db.sessions() as session:
        merged = await trace.view_for(session, first.number, caller)
        assert merged.role == "follower" and merged.description is None and merged.building is None
        mine = await trace.view_for(session, own.number, caller)
        assert mine.role == "reporter" and mine.description == "广场舞太吵"
        roles = {line.case.number: line.role for line in await trace.my_cases(session, caller)}
        assert roles == {first.number: "follower", own.number: "reporter"}
        assert await trace.view_for(session, first.number, cases.Reporter("wechat", "o-stranger")) is None
        reporter = await trace.view_for(session, first.number, cases.Reporter("wechat", "o-chen"))
        assert reporter.photos == ["http://wx.invalid/own.jpg"]  # not the neighbour's photo


async def test_the_chats_case_replies_point_to_the_residents_pages_when_the_server_has_an_address(town):
    """我的工单 and a case's detail in the chat link the residents' pages (they log in by WeChat, so the link
    carries nothing of the resident's); without PUBLIC_URL there is no address to give."""
    await town.start(public_url="https://gz.example.cn/")
    number = await reporter_with_photo(town, "o-chen")
    resident = town.person("o-chen")
    assert "https://gz.example.cn/h5/cases" in await resident.say("我的工单")
    assert f"https://gz.example.cn/h5/cases/{number}" in await resident.say(f"查询 {number}")


async def test_without_a_public_address_the_chat_gives_no_page_link(town):
    await town.start()
    number = await reporter_with_photo(town, "o-chen")
    resident = town.person("o-chen")
    assert number in (listing := await resident.say("我的工单")) and "/h5/" not in listing
    assert "/h5/" not in await resident.say(f"查询 {number}")
