"""Staff in the chat over real HTTP: 待办 lists every open case a page at a time, deadlines say their day
and when they have passed, and 核实 obeys the same grid/department check as every other action."""
from __future__ import annotations

import re
from datetime import timedelta

from backend import cases, staff as staff_mod
from backend.clock import local

NUMBER = re.compile(r"20\d{6}-\d{4}")


async def seed_cases(db, clock, compound: str, count: int) -> list[str]:
    """`count` open cases in one compound, a minute apart, oldest first."""
    numbers = []
    async with db.transaction() as session:
        for n in range(count):
            at = clock() - timedelta(minutes=count - n)
            case = await cases.create_case(session, cases.NewCase(
                category="sanitation", description=f"垃圾桶满了第{n}次", priority=3, channel="wechat",
                dept_id="chengguan", compound_id=compound), at)
            numbers.append(case.number)
    return numbers


async def test_todo_lists_every_open_case_newest_first_with_the_true_total_in_pages(town, db, clock):
    await town.start()
    officer = await town.officer("S02", "o-desk-lina")
    numbers = await seed_cases(db, clock, "C03", 23)
    await seed_cases(db, clock, "C05", 2)  # another officer's grid: not in her list
    first = await officer.say("待办")
    assert "23件" in first and "1/3" in first and "待办 2" in first
    shown = NUMBER.findall(first)
    assert shown[0] == numbers[-1] and len(shown) == 10  # newest first
    seen = set(shown) | set(NUMBER.findall(await officer.say("待办 2")))
    last = await officer.say("待办 3")
    seen |= set(NUMBER.findall(last))
    assert seen == set(numbers) and NUMBER.findall(last)[-1] == numbers[0]
    assert "待办 4" not in last


async def test_an_urgent_case_heads_the_todo_list_however_old(town, db, clock):
    await town.start()
    officer = await town.officer("S02", "o-desk-urgent")
    async with db.transaction() as session:
        urgent = await cases.create_case(session, cases.NewCase(
            category="emergency", description="楼道冒烟", priority=1, channel="wechat", compound_id="C03",
            urgent=True), clock() - timedelta(hours=5))
    await seed_cases(db, clock, "C03", 3)
    assert NUMBER.findall(await officer.say("待办"))[0] == urgent.number


async def test_a_deadline_on_another_day_shows_its_date_and_a_passed_one_says_overdue(town, clock):
    await town.start()
    officer = await town.officer("S02", "o-desk-days")
    number = await town.report("o-desk-res", "滨湖欣园7栋一楼有人把院子围起来盖了间砖房", "1")
    accepted = await officer.say(f"接单 {number}")
    depart_by = local(clock() + timedelta(days=2)).strftime("%m-%d")
    assert depart_by in accepted, accepted
    clock.advance(days=3)
    todo = await officer.say("待办")
    assert number in todo and "已超时" in todo


async def test_verify_outside_ones_grid_is_refused_like_any_action(town, db):
    await town.start()
    officer = await town.officer("S02", "o-desk-grid")
    async with db.transaction() as session:
        elsewhere = await staff_mod.create_staff(session, name="钱社工", role="officer", dept_id="shequ",
                                                 compounds=["C05"])
    outsider = await town.officer(elsewhere.id, "o-desk-outsider")
    number = await town.report("o-desk-joint", "滨湖欣园7栋楼顶有人私自加盖了一间铁皮房", "1")
    for step in ("接单", "到场"):
        await officer.say(f"{step} {number}")
    await officer.say(f"办结 {number} 已责令拆除")
    reply = await outsider.say(f"核实 {number} 同意")
    assert "已签核" not in reply
    view = await town.case(number)
    assert "verified" not in [e["kind"] for e in view["events"]] and view["status"] == "suspended"


async def test_binding_codes_are_long_unambiguous_and_live_a_day(town, db, clock):
    await town.start()
    async with db.transaction() as session:
        code = await staff_mod.invite(session, "S02", clock())
    assert len(code) >= 10 and not set(code) & set("0O1IL")
    clock.advance(hours=25)
    assert "绑定成功" not in await town.person("o-desk-late").say(f"绑定 {code}")


async def test_five_wrong_binding_codes_lock_the_sender_for_an_hour(town, db, clock):
    await town.start()
    async with db.transaction() as session:
        code = await staff_mod.invite(session, "S02", clock())
    guesser = town.person("o-desk-guesser")
    for n in range(5):
        assert "绑定成功" not in await guesser.say(f"绑定 WRONGCODE{n:03d}")
    locked = await guesser.say(f"绑定 {code}")
    assert "绑定成功" not in locked and "一小时" in locked
    assert "绑定成功" in await town.person("o-desk-someone-else").say(f"绑定 {code}")
    clock.advance(minutes=61)
    async with db.transaction() as session:
        fresh = await staff_mod.invite(session, "S03", clock())
    assert "绑定成功" in await guesser.say(f"绑定 {fresh}")
