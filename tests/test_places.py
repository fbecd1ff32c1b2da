"""Places beyond compounds end to end (real HTTP, the real nlp, a real database): a report on a road or at
a crossing becomes a case routed to the grid officer who patrols it and the category's department; a place
nobody can match is kept in the resident's words or as the shared point, for a person to place, and the
dialog never asks the same place question twice."""
from __future__ import annotations


import pytest
from sqlalchemy import select

from backend import analytics, cases
from backend.routing import grid_officer
from nlp import load_taxonomy
from storage.models import Case, Compound
from tests.test_intake import case_view, number_in

TAXONOMY = load_taxonomy()


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
    assert (view["compound"], view["spot"], view["building"]) == ("R12", "35号旁边人行道", None)
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
    choices = await r.say("紫云那边路面坑坑洼洼，好几个月没人修")
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
    assert "加油站往东一百米那个没名字的小路口（待工作人员核实）" in await r.say("我的工单")


async def test_none_of_these_twice_still_ends_in_a_case_without_asking_again(street):
    r = street("o-none-twice")
    replies = await talk(r, "紫云那边有人半夜在马路上飙车，声音特别大", "都不是", "跳过")
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


# --- analytics and storage ---------------------------------------------------------------------------------

async def test_roads_are_hotspots_against_roads_and_analytics_groups_by_kind_of_place(db):
    """Street vending on every road alike is the roads' normal, not twelve hotspots; the same count in one
    compound, where no other compound has any, is above its peers."""
    from datetime import datetime, timedelta, timezone

    from backend.demo import seed_demo

    async with db.transaction() as s:
        await seed_demo(s)
        roads = list((await s.execute(select(Compound.id).where(Compound.kind == "road"))).scalars())
    end = datetime(2026, 11, 27, tzinfo=timezone.utc)
    rows = []
    for place in [*roads, "C03"]:
        for window, i in ((w, i) for w in range(4) for i in range(12)):  # steady: no surge anywhere
            created = end - timedelta(days=30 * window + 1, hours=i)
            rows.append(Case(number=f"V-{len(rows):05d}", category="street_vending", compound_id=place,
                             description="x", priority=3, status="closed", channel="wechat", created_at=created,
                             updated_at=created))
    async with db.transaction() as s:
        s.add_all(rows)
    async with db.sessions() as s:
        flagged = await analytics.hotspots(s, end=end)
        every = await analytics.hotspots(s, end=end, flagged_only=False)
        by_kind = await analytics.summary(s, analytics.Scope(end=end), by="kind")
        by_place = await analytics.summary(s, analytics.Scope(end=end), by="compound")
    assert [(c.compound_id, c.kind, c.reasons) for c in flagged] == [("C03", "compound", ["above_peers"])]
    zi_yun = next(c for c in every if c.compound_id == "R07")
    assert zi_yun.kind == "road" and zi_yun.peer_avg == 12.0 and not zi_yun.flagged
    assert {m.key: m.cases for m in by_kind} == {"road": 48 * len(roads), "compound": 48}
    assert {m.key: m.cases for m in by_place}["R07"] == 48


async def test_compounds_stored_before_places_existed_read_as_compounds(db_url):
    """Migrate an empty database to the revision before places, store a compound the old way, migrate on."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from storage.db import MIGRATIONS_DIR, Database

    database = Database(db_url)
    try:
        if not database.is_sqlite:
            async with database.engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))

        def to_0009(connection) -> None:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "0009_sending")

        async with database.engine.begin() as conn:
            await conn.run_sync(to_0009)
            await conn.execute(text(
                "INSERT INTO compounds (id, name, aliases, community, lat, lng, buildings, grid_mode) "
                "VALUES ('C99', '老小区', '[]', '老社区', 31.75, 117.28, 6, 'roving')"))
            await conn.execute(text(
                "INSERT INTO staff (id, name, role, dept_id, compounds, mode) "
                "VALUES ('S99', '老网格员', 'officer', 'chengguan', '[\"C99\"]', 'roving')"))
        await database.migrate()
        async with database.sessions() as s:
            old = await s.get(Compound, "C99")
            assert (old.kind, old.grid, old.roads, old.address) == ("compound", None, None, None)
            assert (await grid_officer(s, "C99")).id == "S99"
    finally:
        await database.dispose()


async def test_a_supervisor_places_a_described_case_and_it_goes_to_that_places_grid_officer(street, clock):
    from backend import workflow
    from handlers.casework import rules_of
    from storage.models import Staff

    r = street("o-to-place")
    await talk(r, "紫云那边路中间的井盖不见了", "都不是", "加油站斜对面那段路")
    number = number_in(await r.say("1"))
    db = street.bot.db
    async with db.transaction() as s:
        case = await cases.by_number(s, number)
        rules = rules_of(TAXONOMY.category(case.category))
        officer, supervisor = await s.get(Staff, "S10"), await s.get(Staff, "S12")
        refused = await workflow.place_case(s, officer, case, "R07", rules, workflow.Policy(), clock())
        unknown = await workflow.place_case(s, supervisor, case, "Z99", rules, workflow.Policy(), clock())
        done = await workflow.place_case(s, supervisor, case, "R07", rules, workflow.Policy(), clock())
    assert (refused.ok, refused.code, unknown.code, done.ok) == (False, "supervisors_only", "unknown_place", True)
    view = await case_view(db, number)
    assert view["compound"] == "R07" and view["officer"] == "S09"  # 紫云路 is patrolled from C20, 周杰's
    assert view["place_text"] == "加油站斜对面那段路"
    kinds = [e["kind"] for e in view["events"]]
    placed = kinds.index("reassigned")
    assert view["events"][placed]["data"]["place_to"] == "R07" and kinds[placed + 1] == "dispatched"


async def test_a_shared_location_denied_asks_once_where_and_a_skip_keeps_the_point(street):
    r = street("o-deny-location")
    await r.location(31.75050, 117.29740, "天鹅湖路99号附近")
    confirm = await r.say("这里有人用高音喇叭卖东西，吵得不行")
    assert "是这里吗" in confirm or "是这个小区吗" in confirm, confirm
    ask = await r.say("不是")
    assert "跳过" in ask and "请核对" not in ask
    replies = [await r.say("跳过")]
    while "请核对" not in replies[-1]:
        replies.append(await r.say("跳过"))
        assert len(replies) < 4, replies
    assert "天鹅湖路99号附近（待工作人员核实）" in replies[-1]
    view = await case_view(street.bot.db, number_in(await r.say("1")))
    assert view["compound"] is None and view["place_text"] == "天鹅湖路99号附近" and view["officer"] == "S12"


async def test_a_shared_location_denied_then_a_named_place_takes_the_named_place(street):
    r = street("o-deny-then-name")
    await r.location(31.75050, 117.29740, "位置")
    await r.say("路边有个消防栓一直在漏水")
    await r.say("不是")
    replies = [await r.say("天鹅湖公园东门")]
    while "请核对" not in replies[-1]:
        replies.append(await r.say("跳过"))
        assert len(replies) < 4, replies
    assert "天鹅湖公园" in replies[-1] and "待工作人员核实" not in replies[-1]
    view = await case_view(street.bot.db, number_in(await r.say("1")))
    assert (view["compound"], view["spot"], view["place_text"]) == ("K02", "东门", None)


async def test_a_road_named_instead_of_a_choice_is_taken(street):
    r = street("o-road-instead")
    choices = await r.say("紫云那边的路灯一到晚上就不亮")
    assert "紫云湾" in choices and "1." in choices
    replies = [await r.say("徽州大道")]
    while "请核对" not in replies[-1]:
        replies.append(await r.say("跳过"))
        assert len(replies) < 4, replies
    assert "没有找到" not in replies[0] and "徽州大道" in replies[-1]
    view = await case_view(street.bot.db, number_in(await r.say("1")))
    assert view["compound"] == "R03" and view["officer"] == "S10"  # 徽州大道 from C36, 吴婷's


async def test_at_a_public_place_the_building_question_asks_for_the_spot_instead(street):
    r = street("o-spot")
    ask = await r.say("云谷学校有人私自搭了个彩钢棚")
    assert "云谷学校" in ask and "几号楼" not in ask and "具体什么位置" in ask, ask
    summary = await r.say("西边围墙外")
    assert "请核对" in summary and "地点：云谷学校 " in summary and "围墙" in summary, summary


async def test_a_supervisor_places_a_described_case_from_the_command_line(tmp_path):
    """`cases list --unplaced` shows what waits for a person; `cases place N 紫云路 --staff-id S12` places it;
    an officer may not."""
    import asyncio
    import json
    import os
    import subprocess
    import sys
    from datetime import datetime, timezone
    from pathlib import Path

    from backend.demo import seed_demo
    from storage.db import Database

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_URL", "PORT", "HOST"))}
    env.update(DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/g.db")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "main.py", *args], cwd=root, env=env, text=True, capture_output=True,
                              timeout=60)

    db = Database(env["DATABASE_URL"])
    await db.migrate()
    async with db.transaction() as s:
        await seed_demo(s)
        case = await cases.create_case(s, cases.NewCase(
            category="municipal_facility", description="井盖没了", priority=3, channel="wechat",
            place_text="加油站东边的小路"), datetime.now(timezone.utc))
        number = case.number
    await db.dispose()
    listed = await asyncio.to_thread(run, "cases", "list", "--unplaced", "--json")
    assert [(r["number"], r["place_text"]) for r in json.loads(listed.stdout)] == [(number, "加油站东边的小路")]
    refused = await asyncio.to_thread(run, "cases", "place", number, "紫云路", "--staff-id", "S10")
    assert refused.returncode == 1 and "supervisors_only" in refused.stderr
    unknown = await asyncio.to_thread(run, "cases", "place", number, "不存在的路", "--staff-id", "S12")
    assert unknown.returncode == 1 and "no place" in unknown.stderr
    placed = await asyncio.to_thread(run, "cases", "place", number, "紫云路", "--staff-id", "S12")
    assert placed.returncode == 0, placed.stderr
    db = Database(env["DATABASE_URL"])
    try:
        async with db.sessions() as s:
            view = await cases.staff_view(s, await cases.by_number(s, number))
            assert view["compound"] == "R07" and view["officer"] == (await grid_officer(s, "R07")).id
    finally:
        await db.dispose()


async def test_a_supervisor_places_a_described_case_in_the_chat_and_an_officer_may_not(town):
    """定位 N 地点 over HTTP: the supervisor names the place in any form the nlp reads; the case goes to that
    place's grid officer; an officer may not."""
    await town.start()
    supervisor = await town.officer("S12", "o-sun")
    officer = await town.officer("S10", "o-wu")
    number = await town.report("o-res-place", "紫云那边路面坑坑洼洼，好几个月没人修", "都不是", "加油站后面那条小路", "1")
    assert "无权定位" in await officer.say(f"定位 {number} 紫云路")  # not on their grid, and not a supervisor
    assert "没有找到地点" in await supervisor.say(f"定位 {number} 火星路")
    reply = await supervisor.say(f"定位 {number} 紫云路和徽州大道路口")
    assert "已定位到“徽州大道与紫云路交叉口”" in reply, reply
    view = await town.case(number)
    assert view["compound"] == "X02" and view["officer"] == "S10"  # the crossing from C33, 吴婷's
    assert view["place_text"] == "加油站后面那条小路"


async def test_every_officer_of_a_grid_cell_covers_the_public_places_patrolled_from_it(street):
    """A crossing's case is in the 待办 of, and may be worked by, any officer of the cell that patrols it, as a
    compound's case is for that compound's officers; an officer of another cell may not."""
    from backend import staff as staff_mod, worklist

    r = street("o-crossing-cover")
    await r.say("锦绣大道跟徽州大道十字路口的信号灯一直在闪黄灯，车都乱开")
    number = number_in(await r.say("1"))
    async with street.bot.db.transaction() as s:
        colleague = await staff_mod.create_staff(s, name="周敏", role="officer", dept_id="chengguan", compounds=["C31"])
        elsewhere = await staff_mod.create_staff(s, name="吴刚", role="officer", dept_id="chengguan", compounds=["C01"])
    async with street.bot.db.sessions() as s:
        case = await cases.by_number(s, number)
        assert case.compound_id == "X01" and case.officer_id != colleague.id
        assert (await staff_mod.may_act(s, colleague, case)).allowed
        assert not (await staff_mod.may_act(s, elsewhere, case)).allowed
        assert number in [c.number for c in (await worklist.open_page(s, colleague)).cases]
        assert number not in [c.number for c in (await worklist.open_page(s, elsewhere)).cases]
