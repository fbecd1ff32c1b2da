"""Case workflow end to end over real HTTP: binding, grid dispatch, the 1315 clock, staff commands,
joint handling, revisits, refusals, and the residents' pushes written to the outbox."""
from __future__ import annotations

import pytest

from backend import staff as staff_mod


async def test_binding_code_binds_once(town, db, clock):
    await town.start()
    async with db.transaction() as session:
        code = await staff_mod.invite(session, "S02", clock())
    officer = town.person("o-lina")
    assert "李娜" in await officer.say(f"绑定 {code}")
    assert "无效" in await town.person("o-other").say(f"绑定 {code}")
    assert "待办" in await officer.say("帮助")


async def test_dispatch_goes_to_the_stationed_officer_with_the_case_and_commands(town):
    await town.start()
    await town.officer("S02", "o-lina")
    number = await town.report("o-res", "滨湖欣园3栋楼下有人占道摆摊卖水果，每天下午都在", "1")
    view = await town.case(number)
    assert view["officer"] == "S02" and view["status"] == "dispatched" and view["dept"] == "chengguan"
    [push] = [p for p in await town.pushes("o-lina") if p.kind == "dispatch"]
    assert number in push.payload["text"] and "接单" in push.payload["text"] and "滨湖欣园" in push.payload["text"]


async def test_roving_compound_goes_to_its_patrol_officer(town):
    await town.start()
    await town.officer("S09", "o-zhoujie")
    number = await town.report("o-res2", "滨湖欣园二期2栋门口垃圾桶满了好几天没人清理", "1")
    assert (await town.case(number))["officer"] == "S09"
    assert any(number in p.payload["text"] for p in await town.pushes("o-zhoujie"))


async def test_accept_depart_arrive_resolve_reach_the_resident_in_order(town):
    await town.start()
    officer = await town.officer("S02", "o-lina")
    number = await town.report("o-flow", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    assert "已接单" in await officer.say(f"接单 {number}")
    assert "出发" in await officer.say(f"出发 {number[-4:]}")
    await officer.location(31.7400, 117.2767, "滨湖欣园")
    arrived = await officer.say(f"到场 {number}")
    assert "已记录到场" in arrived and "距小区约" in arrived
    assert "已办结" in await officer.say(f"办结 {number} 已放置警示牌并更换井盖")
    await officer.photo("after-1")
    view = await town.case(number)
    assert view["status"] == "resolved"
    kinds = [e["kind"] for e in view["events"]]
    assert kinds[:2] == ["created", "dispatched"]
    assert [k for k in kinds if k in ("accepted", "en_route", "on_site", "resolved")] == \
        ["accepted", "en_route", "on_site", "resolved"]
    on_site = next(e for e in view["events"] if e["kind"] == "on_site")
    assert on_site["data"]["proof"] is True
    assert [m["media_id"] for m in view["media"]] == ["after-1"]
    texts = [p.payload["text"] for p in await town.pushes("o-flow") if p.kind == "case_status"]
    assert len(texts) == 4
    assert "接单" in texts[0] and "出发" in texts[1] and "到达" in texts[2] and "已放置警示牌" in texts[3]
    pushed = await town.pushes("o-flow")
    assert all(p.payload.get("template", {}).get("kind") == "case_status" for p in pushed if p.kind == "case_status")


async def test_impossible_transitions_get_a_reason(town):
    await town.start()
    officer = await town.officer("S02", "o-lina")
    number = await town.report("o-imp", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    assert "尚未接单，不能办结" in await officer.say(f"办结 {number} 好了")
    assert "尚未接单" in await officer.say(f"到场 {number}")
    assert "没有找到" in await officer.say("接单 20991231-0001")
    await officer.say(f"接单 {number}")
    assert "已接单过了" in await officer.say(f"接单 {number}")
    assert "请附上说明" in await officer.say(f"办结 {number}")
    assert (await town.case(number))["status"] == "accepted"


async def test_a_resident_typing_a_staff_command_changes_nothing(town):
    await town.start()
    number = await town.report("o-res3", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    reply = await town.person("o-res3").say(f"办结 {number} 已处理")
    assert "已办结" not in reply
    assert (await town.case(number))["status"] == "dispatched"


async def test_an_officer_cannot_act_outside_their_grid(town):
    await town.start()
    stranger = await town.officer("S01", "o-wangqiang")  # stationed at 竹园新村 (C01)
    number = await town.report("o-res4", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    assert "不在您的网格" in await stranger.say(f"接单 {number}")
    assert (await town.case(number))["status"] == "dispatched"


async def test_reassign_to_another_department_dispatches_again(town):
    await town.start()
    officer = await town.officer("S02", "o-lina")
    number = await town.report("o-re", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    assert "转派" in await officer.say(f"转派 {number} 市政")
    view = await town.case(number)
    assert view["dept"] == "shizheng" and view["status"] == "dispatched"
    assert [e["kind"] for e in view["events"]].count("dispatched") == 2
    assert "unknown" not in await officer.say(f"转派 {number} 火星局") and \
        "没有识别到部门" in await officer.say(f"转派 {number} 火星局")


async def test_joint_case_closes_only_after_every_cohandler_signs(town, db, clock):
    await town.start()
    officer = await town.officer("S02", "o-lina")
    async with db.transaction() as session:
        zhujian = await staff_mod.create_staff(session, name="钱工", role="liaison", dept_id="zhujian", compounds=[])
        shequ = await staff_mod.create_staff(session, name="孙主任", role="liaison", dept_id="shequ", compounds=[])
    housing, community = await town.officer(zhujian.id, "o-zhujian"), await town.officer(shequ.id, "o-shequ")
    number = await town.report("o-joint", "滨湖欣园7栋楼顶有人私自加盖了一间房", "1")
    view = await town.case(number)
    assert view["category"] == "illegal_building"
    assert any(e["kind"] == "cohandler_added" for e in view["events"])
    [notice] = [p.payload["text"] for p in await town.pushes("o-zhujian") if number in p.payload["text"]]
    assert "违法建设" in notice and "illegal_building" not in notice  # staff read names, never codes
    for step in ("接单", "到场"):
        await officer.say(f"{step} {number}")
    waiting = await officer.say(f"办结 {number} 已责令拆除")
    assert "等待协办部门核实" in waiting and "住建" in waiting
    assert (await town.case(number))["status"] == "suspended"
    assert "已签核" in await housing.say(f"核实 {number} 属违建，已立案")
    assert (await town.case(number))["status"] == "suspended"
    assert "全部部门核实完毕" in await community.say(f"核实 {number} 社区已确认")
    assert (await town.case(number))["status"] == "resolved"
    resolved = [p for p in await town.pushes("o-joint") if "已办结" in p.payload["text"]]
    assert len(resolved) == 1 and "已责令拆除" in resolved[0].payload["text"]


async def test_a_liaison_of_another_department_is_refused(town, db):
    await town.start()
    async with db.transaction() as session:
        police = await staff_mod.create_staff(session, name="赵警官", role="liaison", dept_id="gongan", compounds=[])
    liaison = await town.officer(police.id, "o-police")
    number = await town.report("o-res5", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    assert "不属于您的部门" in await liaison.say(f"接单 {number}")


async def test_missed_deadlines_remind_escalate_and_survive_a_restart(town, clock, start_bot, settings):
    await town.start(sla_accept_s=60, sla_depart_s=180, sla_arrive_s=900)
    await town.officer("S02", "o-lina")
    await town.officer("S12", "o-supervisor")
    number = await town.report("o-late", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    await town.bot.server.close()  # restart: the deadlines are rows, not timers
    town.bot = await start_bot(settings_=settings.with_(background=False))
    assert await town.tick() == 0
    clock.advance(seconds=61)
    assert await town.tick() == 1
    view = await town.case(number)
    assert [e["data"]["stage"] for e in view["events"] if e["kind"] == "sla_breached"] == ["accept"]
    assert any("超时提醒" in p.payload["text"] for p in await town.pushes("o-lina"))
    assert any("超时督办" in p.payload["text"] for p in await town.pushes("o-supervisor"))
    clock.advance(seconds=900)
    assert await town.tick() == 2
    stages = [e["data"]["stage"] for e in (await town.case(number))["events"] if e["kind"] == "sla_breached"]
    assert stages == ["accept", "depart", "arrive"]
    assert any("未能在承诺时间内" in p.payload["text"] for p in await town.pushes("o-late"))


async def test_deadlines_met_in_time_do_not_fire(town, clock):
    await town.start()
    officer = await town.officer("S02", "o-lina")
    number = await town.report("o-ontime", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    await officer.say(f"接单 {number}")
    await officer.say(f"到场 {number}")
    clock.advance(seconds=1000)
    assert await town.tick() == 0
    assert not [e for e in (await town.case(number))["events"] if e["kind"] == "sla_breached"]


async def test_failed_revisit_reopens_and_dispatches_again(town, clock):
    await town.start(revisit_after_s=3 * 86400)
    officer = await town.officer("S02", "o-lina")
    number = await town.report("o-revisit", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    for command in (f"接单 {number}", f"到场 {number}", f"办结 {number} 已更换井盖"):
        await officer.say(command)
    clock.advance(days=3, seconds=1)
    await town.tick()
    assert any("回访提醒" in p.payload["text"] for p in await town.pushes("o-lina"))
    assert "重新派单" in await officer.say(f"回访 {number} 居民反映井盖又松动了，未解决")
    view = await town.case(number)
    assert view["status"] == "reopened" and [e["kind"] for e in view["events"]].count("dispatched") == 2
    assert any("重新启动" in p.payload["text"] for p in await town.pushes("o-revisit"))
    await officer.say(f"接单 {number}")
    await officer.say(f"到场 {number}")
    await officer.say(f"办结 {number} 已加固")
    assert "已完结" in await officer.say(f"回访 {number} 已解决，居民满意")
    assert (await town.case(number))["status"] == "closed"


async def test_urge_reaches_the_officer(town):
    await town.start()
    await town.officer("S02", "o-lina")
    number = await town.report("o-urge", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    assert "已催办" in await town.person("o-urge").say(f"催办 {number}")
    assert any("居民催办" in p.payload["text"] for p in await town.pushes("o-lina"))


async def test_todo_lists_my_open_cases(town):
    await town.start()
    officer = await town.officer("S02", "o-lina")
    number = await town.report("o-todo", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    todo = await officer.say("待办")
    assert number in todo and "接单时限" in todo
    assert "本月统计" in await officer.say("统计")
