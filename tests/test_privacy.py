"""Personal data end to end over real HTTP: pushes and log lines masked, the deliberate reveal of a
contact number (who may, and the audit log of every attempt), 我的信息 / 删除我的信息, and retention
as a daily job on the test clock."""
from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from backend import audit, charging, personal_data, staff as staff_mod
from bot.logs import MaskingFormatter
from handlers.router import Router, kind
from storage import jobs, media
from storage.models import AuditEntry, Case, CaseMedia, Conversation, InboundMessage, Job, OutboxMessage, Staff
from tests.test_cli import clean_env, run_main
from tests.test_open311 import sms_code

PHONE = "13812345678"
WRITTEN = "138 1234 5678"


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


async def bind_staff(town, db, clock, staff_id: str, openid: str):
    async with db.transaction() as session:
        code = await staff_mod.invite(session, staff_id, clock())
    person = town.person(openid)
    assert "绑定成功" in await person.say(f"绑定 {code}")
    return person


async def rows(db, model, *where, order=None):
    async with db.sessions() as s:
        return list((await s.execute(select(model).where(*where).order_by(order or model.id))).scalars())


# --- masking outside the reporter's own view ---------------------------------------------------------

async def test_the_officers_dispatch_push_masks_the_residents_phone_and_name(town, db, clock):
    await town.start()
    await bind_staff(town, db, clock, "S02", "o-lina")
    number = await town.report("o-masked", f"滨湖欣园3栋楼下有人占道摆摊，每天下午都在，联系人张三电话 {WRITTEN}", "1")
    [push] = [p for p in await town.pushes("o-lina") if p.kind == "dispatch"]
    text = push.payload["text"]
    assert PHONE not in digits(text) and WRITTEN not in text and "张三" not in text
    assert "138****5678" in text and f"电话 {number}" in text  # the officer is told how to see it
    assert "占道摆摊" in text and number in text
    view = await town.case(number)  # the staff view: the dashboard's case page and `cases show`
    assert PHONE not in digits(view["description"]) and "张三" not in view["description"]
    assert view["contact_phone"] == "138****5678"


async def test_a_reopened_cases_note_to_followers_masks_the_unsatisfied_comment(town, db, clock):
    await town.start(survey_delay_s=60)
    officer = await bind_staff(town, db, clock, "S02", "o-lina")
    number = await town.report("o-unhappy", f"滨湖欣园5栋井盖缺失，电话{PHONE}，很危险", "1")
    follower = town.person("o-follower")
    assert "请核对" in await follower.say("滨湖欣园5栋井盖没了，有人差点掉下去")
    assert "关注" in await follower.say("1")  # the offer to follow the open case
    assert number in await follower.say("1")
    for step in (f"接单 {number}", f"出发 {number}", f"到场 {number}", f"办结 {number} 已更换井盖"):
        await officer.say(step)
    clock.advance(seconds=120)
    await town.tick()
    [survey] = [p.payload["text"] for p in await town.pushes("o-follower") if p.kind == "survey"]
    assert number in survey and PHONE[:7] not in digits(survey)  # the survey quotes the reporter's words
    await town.person("o-unhappy").say(f"不满意 还是坏的，请打我电话{PHONE}")
    reopened = [p.payload["text"] for p in await town.pushes("o-follower") if "重新启动" in p.payload.get("text", "")]
    assert reopened and all(PHONE not in digits(t) for t in reopened)
    supervisor_view = [p.payload["text"] for p in await town.pushes("o-lina")]
    assert all(PHONE not in digits(t) for t in supervisor_view)


async def test_log_lines_and_the_failure_record_mask_what_a_resident_wrote(start_bot, db):
    router = Router("failing")

    @router.on(kind("text"))
    async def fail(update, ctx):
        raise ValueError(f"cannot handle {update.text!r}")

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(MaskingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        bot = await start_bot(router=router)
        delivery = await bot.say("o-log", f"我的电话 {WRITTEN}，身份证340104199003071234")
        assert delivery.status == 200
    finally:
        logging.getLogger().removeHandler(handler)
    logged = buffer.getvalue()
    assert "handler failed" in logged and "138****5678" in logged
    assert WRITTEN not in logged and "340104199003071234" not in logged
    [row] = await rows(db, InboundMessage)
    assert row.status == "failed" and "138****5678" in row.error and WRITTEN not in row.error


# --- the deliberate reveal and the audit log ---------------------------------------------------------

async def test_the_assigned_officer_and_the_supervisor_may_reveal_a_contact_and_each_look_is_recorded(
        town, db, clock, db_url, tmp_path):
    await town.start()
    officer = await bind_staff(town, db, clock, "S02", "o-lina")
    other = await bind_staff(town, db, clock, "S03", "o-zhangwei")
    supervisor = await bind_staff(town, db, clock, "S12", "o-sunyue")
    number = await town.report("o-caller", f"滨湖欣园3栋楼道堆满杂物，今天早上发现的，我的电话{WRITTEN}", "1")

    shown = await officer.say(f"电话 {number}")
    assert PHONE in digits(shown) and "记录" in shown
    refused = await other.say(f"电话 {number}")
    assert "无权" in refused and PHONE not in digits(refused)
    assert PHONE in digits(await supervisor.say(f"联系电话 {number}"))
    resident_try = await town.person("o-nosy").say(f"电话 {number}")
    assert PHONE not in digits(resident_try) and "工作人员" in resident_try
    assert "没有找到" in await officer.say("电话 20991231-0001")

    entries = await rows(db, AuditEntry)
    assert [(e.actor, e.outcome, e.case_number, e.via) for e in entries] == [
        ("staff:S02", "shown", number, "chat"), ("staff:S03", "refused:not_yours", number, "chat"),
        ("staff:S12", "shown", number, "chat"), ("staff:S02", "refused:unknown_case", "20991231-0001", "chat")]

    env = {**clean_env(tmp_path), "DATABASE_URL": db_url}
    listed = run_main("audit", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [(r["actor"], r["outcome"]) for r in json.loads(listed.stdout)] == [
        ("staff:S02", "refused:unknown_case"), ("staff:S12", "shown"), ("staff:S03", "refused:not_yours"),
        ("staff:S02", "shown")]
    table = run_main("audit", "list", "--case", number, env=env)
    assert table.returncode == 0 and "3 entries" in table.stdout and PHONE not in digits(table.stdout)


async def test_reveal_contact_is_one_backend_call_for_any_surface(town, db, clock):
    await town.start()
    number = await town.report("o-direct", f"滨湖欣园3栋楼道堆满杂物，今天早上发现的，电话{PHONE}", "1")
    async with db.transaction() as s:
        done = await audit.reveal_contact(s, number, await s.get(Staff, "S02"), clock(), via="dashboard")
        liaison = Staff(id="L99", name="联络员", role="liaison", dept_id="gongan", compounds=["*"], mode="liaison")
        s.add(liaison)
        refused = await audit.reveal_contact(s, number, liaison, clock(), via="dashboard")
    assert done.ok and done.phones == [PHONE] and not done.code
    assert not refused.ok and refused.code == "not_yours" and refused.phones == []
    assert [(e.actor, e.via, e.outcome) for e in await rows(db, AuditEntry)] == [
        ("staff:S02", "dashboard", "shown"), ("staff:L99", "dashboard", "refused:not_yours")]


# --- 我的信息 and 删除我的信息 ---------------------------------------------------------------------

async def kept_photo(db, tmp_path: Path, number: str) -> Path:
    """Store the case's photo as the media keeper does (bot/background/media.py)."""
    async with db.transaction() as s:
        case = (await s.execute(select(Case).where(Case.number == number))).scalar_one()
        row = (await s.execute(select(CaseMedia).where(CaseMedia.case_id == case.id))).scalar_one()
        path = tmp_path / "media" / str(case.id) / f"{row.id}.jpg"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"\xff\xd8photo")
        await media.stored(s, row.id, str(path))
    return path


async def test_a_resident_sees_what_is_kept_and_erases_it(town, db, clock, db_url, tmp_path):
    await town.start()
    officer = await bind_staff(town, db, clock, "S02", "o-lina")
    me = town.person("o-me")
    assert "验证码" in await me.say(f"绑定手机 {PHONE}")
    assert "绑定成功" in await me.say(f"验证码 {await sms_code(db, PHONE)}")
    other_case = await town.report("o-neighbour", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    assert "请核对" in await me.say("滨湖欣园5栋的井盖不见了")
    assert "关注" in await me.say("1")
    assert other_case in await me.say("1")
    await me.photo("p-erase")
    mine = await town.report("o-me", f"滨湖欣园3栋楼道堆满杂物，今天早上发现的，我叫李小红，电话{WRITTEN}", "1")
    photo = await kept_photo(db, tmp_path, mine)
    async with db.transaction() as s:
        await charging.subscribe(s, "wechat", "o-me", kind="ebike", now=clock(), policy=charging.ChargingPolicy(),
                                 station_id="P01")
    await officer.say(f"接单 {mine}")  # a push to the resident
    assert "您想问的是不是" in await me.say("养狗要注意什么")  # entries offered to pick from, kept aside
    await me.say("滨湖欣园2栋门口的路灯坏了")  # a draft, not confirmed

    shown = await me.say("我的信息")
    assert "138****5678" in shown and PHONE not in digits(shown)
    assert "反映的工单：1 件" in shown and "关注的工单：1 件" in shown
    assert "草稿：1 份" in shown and "充电空位提醒：1 个" in shown and "180天" in shown

    assert "确认删除" in await me.say("删除我的信息")
    assert "已删除" in await me.say("确认删除")

    assert await rows(db, Conversation, Conversation.user_id == "o-me", order=Conversation.user_id) == []  # all stores
    after = await me.say("我的信息")
    assert "未绑定" in after and "反映的工单：0 件" in after and "关注的工单：0 件" in after
    assert "草稿：0 份" in after and "充电空位提醒：0 个" in after
    assert mine not in await me.say("我的工单")
    view = await town.case(mine)
    assert view["contact_phone"] is None and view["reporter"] is None and view["location"] is None
    [kept_case] = await rows(db, Case, Case.number == mine)  # as stored, not as staff are shown it
    assert PHONE not in digits(kept_case.description) and "李小红" not in kept_case.description
    assert "杂物" in kept_case.description and view["media"] == [] and not photo.exists()
    assert not any("o-me" in e["actor"] for e in view["events"])
    assert {"personal_data_erased", "media_removed"} <= {e["kind"] for e in view["events"]}
    assert [f["role"] for f in (await town.case(other_case))["followers"]] == ["reporter"]

    async with db.sessions() as s:
        logged = [json.dumps([m.content, m.reply], ensure_ascii=False) for m in (await s.execute(
            select(InboundMessage))).scalars()]
    assert not any(PHONE in digits(line) or "李小红" in line or "杂物" in line for line in logged)
    assert await rows(db, OutboxMessage, OutboxMessage.user_id == PHONE) == []  # the SMS code's push
    erased_pushes = await rows(db, OutboxMessage, OutboxMessage.user_id.like("erased:%"))
    assert len(erased_pushes) >= 2 and all(p.payload == {} and p.status != "pending" for p in erased_pushes)

    before = len(await town.pushes("o-me"))
    await officer.say(f"出发 {mine}")
    assert len(await town.pushes("o-me")) == before  # no longer told about the case

    report = run_main("report", "--json", env={**clean_env(tmp_path), "DATABASE_URL": db_url})
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["cases"] == 2  # the erased resident's case still counts
    [erasure] = await rows(db, AuditEntry, AuditEntry.action == audit.ERASE)
    assert erasure.actor == "resident:erased" and "o-me" not in erasure.actor


async def test_erasure_needs_a_fresh_request(town, clock):
    await town.start()
    me = town.person("o-hasty")
    assert "请先发送" in await me.say("确认删除")
    await me.say("删除我的信息")
    clock.advance(minutes=11)
    assert "请先发送" in await me.say("确认删除")


async def test_asking_to_erase_keeps_a_draft_until_confirmed(town):
    await town.start()
    me = town.person("o-draft")
    await me.say("滨湖欣园2栋门口的路灯坏了")
    await me.say("删除我的信息")
    assert "草稿：1 份" in await me.say("我的信息")


# --- retention --------------------------------------------------------------------------------------

async def test_retention_clears_old_message_logs_and_deletes_photos_a_year_after_closing(town, db, clock, tmp_path):
    await town.start()
    [job] = await rows(db, Job, Job.kind == "privacy.retention")
    assert job.every_s == 86400 and job.payload == {"log_days": 180, "media_days": 365}
    officer = await bind_staff(town, db, clock, "S02", "o-lina")
    resident = town.person("o-old")
    await resident.photo("p-old")
    number = await town.report("o-old", f"滨湖欣园3栋楼道堆满杂物，今天早上发现的，电话{PHONE}", "1")
    photo = await kept_photo(db, tmp_path, number)
    for step in (f"接单 {number}", f"出发 {number}", f"到场 {number}", f"办结 {number} 已清理",
                 f"回访 {number} 已解决"):
        await officer.say(step)
    assert (await town.case(number))["status"] == "closed"
    await town.person("o-gone").say(f"滨湖欣园2栋门口的路灯坏了，电话{PHONE}")  # a draft never finished
    assert await rows(db, Conversation, Conversation.user_id == "o-gone", order=Conversation.user_id)

    clock.advance(days=181)
    await resident.say("你好")  # a fresh message: kept
    await town.tick()
    old = await rows(db, InboundMessage, InboundMessage.received_at < clock() - timedelta(days=180))
    assert old and all(m.content == {} and m.reply is None and m.cleared_at is not None for m in old)
    [fresh] = await rows(db, InboundMessage, InboundMessage.received_at >= clock() - timedelta(days=1))
    assert fresh.content["text"] == "你好" and fresh.cleared_at is None
    pushes = await rows(db, OutboxMessage, OutboxMessage.created_at < clock() - timedelta(days=180))
    assert pushes and all(p.payload == {} for p in pushes)
    assert photo.exists() and (await town.case(number))["media"]  # closed 181 days ago: kept
    assert await rows(db, Conversation, Conversation.user_id == "o-gone", order=Conversation.user_id) == []

    clock.advance(days=185)
    await town.tick()
    view = await town.case(number)
    assert not photo.exists() and view["media"] == []
    assert "media_removed" in [e["kind"] for e in view["events"]]
    assert view["status"] == "closed" and "杂物" in view["description"]  # the record stays


async def test_retention_takes_up_a_changed_policy(town, db):
    await town.start()
    await town.start(retention_log_days=30, retention_media_days=90)
    [job] = await rows(db, Job, Job.kind == "privacy.retention")
    assert job.payload == {"log_days": 30, "media_days": 90}


async def test_retention_works_in_batches_and_continues_a_minute_later(town, db, clock):
    await town.start(retention_log_days=1)
    resident = town.person("o-chatty")
    for greeting in ("你好", "在吗", "谢谢"):
        await resident.say(greeting)
    clock.advance(days=2)
    async with db.transaction() as s:  # the daily job, due now, with a small batch
        await jobs.schedule(s, personal_data.RETENTION_JOB, clock(), {"log_days": 1, "media_days": 365, "batch": 2},
                            key=personal_data.RETENTION_JOB, every_s=86400, replace=True, now=clock())
    await town.tick()
    assert sum(m.content == {} for m in await rows(db, InboundMessage)) == 2
    clock.advance(minutes=2)
    await town.tick()
    assert all(m.content == {} for m in await rows(db, InboundMessage))


async def test_erasure_masks_the_place_a_resident_described_in_their_own_words(db, clock):
    """A place nobody could match is kept in the resident's words (often with a door number or a phone):
    after 删除我的信息 it is masked like the description, on the case and on its created event."""
    from backend import cases
    from storage.models import CaseEvent

    who = cases.Reporter("wechat", "o-described-place")
    words = "紫云路边小卖部后面，有事打我13912345678"
    async with db.transaction() as s:
        case = await cases.create_case(s, cases.NewCase(
            category="sanitation", description="垃圾没人清", priority=3, channel="wechat", place_text=words,
            reporter=who), clock())
        await personal_data.erase(s, who, clock())
    async with db.sessions() as s:
        case = await cases.by_number(s, case.number)
        created = (await s.execute(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                           CaseEvent.kind == "created"))).scalar_one()
    assert "13912345678" not in (case.place_text or "") and "紫云路" in case.place_text
    assert "13912345678" not in json.dumps(created.data, ensure_ascii=False)


async def test_an_erasure_that_rolls_back_keeps_the_photo_files(town, db, clock, tmp_path):
    """Photo files go only when the deletion of their rows commits: a failed erasure loses nothing."""
    from backend import cases

    await town.start()
    resident = town.person("o-rollback")
    await resident.photo("p-rollback")
    number = await town.report("o-rollback", "滨湖欣园3栋楼道堆满杂物，今天早上发现的", "1")
    photo = await kept_photo(db, tmp_path, number)
    try:
        async with db.transaction() as s:
            await personal_data.erase(s, cases.Reporter("wechat", "o-rollback"), clock())
            raise RuntimeError("the erasure's transaction fails after the photos were deleted")
    except RuntimeError:
        pass
    assert photo.exists() and (await town.case(number))["media"]
    async with db.transaction() as s:
        await personal_data.erase(s, cases.Reporter("wechat", "o-rollback"), clock())
    assert not photo.exists()
