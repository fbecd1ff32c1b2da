"""A person when the bot cannot help, end to end over HTTP: a resident asks (人工, a second 没解决), the staff
member on duty is told on WeCom (else WeChat), takes the resident with 接入 N, and the two talk through the
bot (pushes delivered by real senders to the fake WeChat and WeCom APIs, WeChat's 48-hour window enforced)
until 结束 from either side or silence; nobody in time makes a call-back case. And who may not."""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from backend import analytics, staff as staff_mod
from bot import texts as bot_texts
from bot.sandbox.fake_wechat import window_from_inbound_log
from handlers import texts as T
from storage.models import Case, CaseEvent, DutyShift, Takeover
from tests.conftest import NUMBER
from tests.delivery_kit import fake_wechat, process, push_settings
from tests.test_wecom import fake_wecom, simulator, wecom_overrides, wecom_sender, with_wecom

QUESTION = "请问社区活动室周末几点开门？我电话13912345678"
PHONE, MASKED = "13912345678", "139****5678"


@dataclass
class Line:
    """The demo street with real senders to the fake WeChat and WeCom APIs."""

    town: object
    db: object
    settings: object
    wechat_fake: object
    wecom_fake: object
    wechat: object  # delivery_kit.Process
    wecom: object  # OutboxSender
    clock: object

    replies: set = field(default_factory=set)  # (openid, text) of replies sent late through the outbox

    async def deliver(self) -> None:
        for _ in range(10):
            if not (await self.wechat.drain() + await self.wecom.tick()):
                break
        self.replies = await _late_replies(self.db)

    def on_wechat(self, openid: str) -> list[str]:
        """What was pushed to this person, less the replies to their own messages the bot was too slow to give at
        once (they go out through the outbox, as WeChat allows, and the test's `say` has read them already)."""
        return [p["body"]["text"]["content"] for p in self.wechat_fake.pushes
                if p["openid"] == openid and p["channel"] == "custom"
                and (openid, p["body"]["text"]["content"]) not in self.replies]

    def on_wecom(self, user: str) -> list[str]:
        texts = []
        for p in self.wecom_fake.pushes:
            if p["openid"] == user:
                body = p["body"]
                texts.append(body["text"]["content"] if body["msgtype"] == "text" else json.dumps(body, ensure_ascii=False))
        return texts

    async def wecom_says(self, user: str, text: str) -> str:
        sim = simulator(self.town.bot, self.settings, self.clock)
        delivery = await sim.post(self.town.bot.http, sim.text(user, text))
        assert delivery.status == 200, delivery.body
        return delivery.text or ""


@asynccontextmanager
async def street_line(town, db, db_url, settings, clock):
    async with fake_wechat(clock, enforce_window=True, last_message_at=window_from_inbound_log(db)) as (wx, wx_base):
        async with fake_wecom(clock) as (wc, wc_base):
            s = with_wecom(settings, wecom_api_base=wc_base)
            await town.start(**wecom_overrides(s))
            async with process(db_url, push_settings(wx_base), clock) as wechat, wecom_sender(db, s, clock) as wecom:
                yield Line(town, db, s, wx, wc, wechat, wecom, clock)


async def takeovers(db) -> list[Takeover]:
    async with db.sessions() as s:
        return list((await s.execute(select(Takeover).order_by(Takeover.id))).scalars())


async def link(db, clock, staff_id: str, platform: str, user: str) -> None:
    async with db.transaction() as session:
        await staff_mod.link(session, staff_id, platform, user, clock())


async def test_takeover_on_wecom_relays_both_ways_and_the_resident_ends_it(town, db, db_url, settings, clock):
    async with street_line(town, db, db_url, settings, clock) as line:
        await link(db, clock, "S02", "wecom", "lina")
        assert "开始值班" in await line.wecom_says("lina", "值班")
        resident = town.person("o-ask")
        await resident.say(QUESTION)
        assert "正在为您转接" in await resident.say("人工")
        [waiting] = await takeovers(db)
        await line.deliver()
        [notice] = line.on_wecom("lina")
        assert f"#{waiting.id}" in notice and "社区活动室" in notice and MASKED in notice and PHONE not in notice

        taken = await line.wecom_says("lina", f"接入 {waiting.id}")
        assert f"已接入 #{waiting.id}" in taken and PHONE in taken  # the conversation itself is theirs to read
        assert await line.wecom_says("lina", "您好，活动室周六周日9点开门。") == ""
        assert await resident.say("好的，那晚上几点关门？") == ""
        clock.advance(seconds=20)
        assert await line.wecom_says("lina", "晚上8点关门。") == ""
        await line.deliver()
        heard = line.on_wechat("o-ask")
        assert "李娜" in heard[0] and heard[1:] == ["【工作人员】您好，活动室周六周日9点开门。", "【工作人员】晚上8点关门。"]
        assert line.on_wecom("lina")[1] == f"【居民 #{waiting.id}】好的，那晚上几点关门？"

        assert "已结束" in await resident.say("结束")
        await line.deliver()
        assert line.on_wecom("lina")[-1] == f"【会话 #{waiting.id} 已结束】居民已结束对话。"
        [ended] = await takeovers(db)
        assert (ended.status, ended.ended_by, ended.staff_id) == ("ended", "resident", "S02")
        assert "已结束" not in (await line.wecom_says("lina", "还在吗")) and len(line.on_wechat("o-ask")) == 3
        assert await resident.say("你好") not in ("", None)  # the bot answers again


async def test_takeover_on_wechat_with_nobody_on_duty_goes_to_the_supervisor_who_ends_it(town, db, db_url,
                                                                                        settings, clock):
    async with street_line(town, db, db_url, settings, clock) as line:
        boss = await town.officer("S12", "o-boss")
        resident = town.person("o-ask2")
        await resident.say("电动车充电桩坏了找谁修")
        await resident.say("转人工")
        [waiting] = await takeovers(db)
        await line.deliver()
        [notice] = line.on_wechat("o-boss")
        assert f"接入 {waiting.id}" in notice and "充电桩" in notice
        assert "排队中的居民（1 人）" in await boss.say("会话")
        assert "已接入" in await boss.say(f"接入 {waiting.id}")
        assert await boss.say("请问是哪个小区的充电桩？") == ""
        assert await resident.say("滨湖欣园3栋") == ""
        assert await boss.say("好的，已转物业处理。") == ""
        assert "已结束与" in await boss.say("结束")
        await line.deliver()
        heard = line.on_wechat("o-ask2")
        assert "孙悦" in heard[0] and heard[1:] == ["【工作人员】请问是哪个小区的充电桩？", "【工作人员】好的，已转物业处理。",
                             "工作人员已结束本次对话。如还有问题，可随时留言或回复“人工”。"]
        assert line.on_wechat("o-boss")[1] == f"【居民 #{waiting.id}】滨湖欣园3栋"
        assert {p["status"] for p in await _outbox_statuses(db)} == {"sent"}  # all inside the window


async def _late_replies(db) -> set[tuple[str, str]]:
    from storage.models import OutboxMessage

    async with db.sessions() as s:
        rows = (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "reply"))).scalars()
        return {(r.user_id, (r.payload or {}).get("text", "")) for r in rows}


async def _outbox_statuses(db) -> list[dict]:
    from storage.models import OutboxMessage

    async with db.sessions() as s:
        return [{"status": r.status, "key": r.idempotency_key}
                for r in (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "takeover"))).scalars()]


async def test_a_silent_conversation_ends_by_itself_and_both_are_told(town, db, clock, settings):
    await town.start(takeover_idle_s=600)
    boss = await town.officer("S12", "o-boss")
    resident = town.person("o-quiet")
    await resident.say("人工")
    [waiting] = await takeovers(db)
    await boss.say(f"接入 {waiting.id}")
    clock.advance(seconds=400)
    assert await resident.say("在吗") == ""
    clock.advance(seconds=400)  # 800 s after taking, 400 s after the last message
    await town.tick()
    assert (await takeovers(db))[0].status == "active"
    clock.advance(seconds=201)
    await town.tick()
    [ended] = await takeovers(db)
    assert (ended.status, ended.ended_by) == ("ended", "idle")
    told = [p.payload["text"] for p in await town.pushes("o-quiet")] + [p.payload["text"] for p in await town.pushes("o-boss")]
    assert any("10分钟内没有新消息" in t and "回复“人工”" in t for t in told)
    assert any(t.startswith(f"【会话 #{waiting.id} 已结束】10分钟") for t in told)
    assert await resident.say("你好") != ""  # back to the bot


async def test_nobody_picks_up_and_a_call_back_case_keeps_the_conversation(town, db, clock, settings):
    await town.start(takeover_pickup_s=120)
    resident = town.person("o-nobody")
    await resident.say(QUESTION)
    await resident.say("人工")
    assert "正在为您转接" in await resident.say("能不能快一点，我还想问下停车的事")
    clock.advance(seconds=119)
    await town.tick()
    assert (await takeovers(db))[0].status == "waiting"
    clock.advance(seconds=2)
    await town.tick()
    [missed] = await takeovers(db)
    assert (missed.status, missed.ended_by) == ("missed", "pickup") and missed.case_id
    clock.advance(seconds=1)
    async with db.sessions() as s:
        case = await s.get(Case, missed.case_id)
        trace = (await s.execute(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                        CaseEvent.kind == "conversation"))).scalar_one()
        figures = await analytics.report(s, as_of=clock())
    assert (case.kind, case.category, case.status, case.officer_id) == ("consultation", "other", "dispatched", "S12")
    assert "社区活动室" in trace.note and "停车的事" in trace.note and trace.actor == "resident:wechat:o-nobody"
    told = [p.payload["text"] for p in await town.pushes("o-nobody") if p.kind == "takeover"]
    assert told == [f"抱歉，工作人员暂时无法接入。已为您登记回电工单 {case.number}，工作人员会尽快与您联系。"]
    taken = {k: figures["consultations"][k] for k in ("handed_to_person", "answered_by_person", "callback_cases")}
    assert taken == {"handed_to_person": 1, "answered_by_person": 0, "callback_cases": 1}
    assert figures["cases"] == 0  # a call-back is a consultation, not a complaint in the street's rates
    assert NUMBER.search(await resident.say("我的工单") or "")  # the resident follows it like any case


async def test_two_residents_wait_and_staff_take_the_second_first(town, db, clock):
    await town.start()
    first, second = town.person("o-first"), town.person("o-second")
    officer = await town.officer("S02", "o-lina")
    boss = await town.officer("S12", "o-boss")
    assert "开始值班" in await officer.say("值班")
    await first.say("人工")
    clock.advance(seconds=30)
    await second.say("垃圾分类的桶在哪里领？")
    await second.say("人工")
    one, two = await takeovers(db)
    queue = await officer.say("会话")
    assert "（2 人）" in queue and queue.index(f"#{one.id}") < queue.index(f"#{two.id}") and "垃圾分类" in queue
    assert "垃圾分类的桶在哪里领" in await officer.say(f"接入 {two.id}")
    assert "已由其他工作人员接入" in await boss.say(f"接入 {two.id}")
    assert f"您正在与 #{two.id} 对话" in await officer.say(f"接入 {one.id}")
    assert await officer.say("您好") == ""
    assert "正在为您转接" in await first.say("还要等多久")
    pushed = {p.openid: [x.payload["text"] for x in await town.pushes(p.openid) if x.kind == "takeover"]
              for p in (first, second)}
    assert "【工作人员】您好" in pushed["o-second"] and not any("工作人员】" in t for t in pushed["o-first"])
    assert "已接入" in await boss.say(f"接入 {one.id}")
    assert [t.status for t in await takeovers(db)] == ["active", "active"]
    assert "您已下班" in await officer.say("下班")
    assert "接待居民需先值班" in await officer.say("会话")


async def test_residents_and_strangers_cannot_use_the_staff_commands(town, db, clock, settings):
    s = with_wecom(settings)
    await town.start(**wecom_overrides(s))
    waiting = town.person("o-waiting")
    await waiting.say("人工")
    [queued] = await takeovers(db)
    intruder = town.person("o-intruder")
    for text in ("值班", "会话", f"接入 {queued.id}", "下班"):
        reply = await intruder.say(text)
        assert "排队" not in reply and "值班" not in reply and "已接入" not in reply, reply
    sim = simulator(town.bot, s, clock)
    for text in ("值班", f"接入 {queued.id}"):
        assert (await sim.post(town.bot.http, sim.text("stranger", text))).text == bot_texts.WECOM_STAFF_ONLY
    officer = await town.officer("S03", "o-zhang")  # bound, not on duty, not a supervisor
    assert "接待居民需先值班" in await officer.say(f"接入 {queued.id}")
    assert "接待居民需先值班" in await officer.say("会话")
    async with db.sessions() as session:
        assert (await session.execute(select(DutyShift))).scalars().all() == []
    [still] = await takeovers(db)
    assert still.status == "waiting" and still.staff_id is None
    assert [p for p in await town.pushes("o-waiting") if p.kind == "takeover"] == []
    assert [p for p in await town.pushes("o-intruder") if p.kind == "takeover"] == []


async def test_a_resident_cannot_reach_another_resident_and_an_unbound_staff_member_stops_relaying(town, db,
                                                                                                 clock):
    await town.start()
    boss = await town.officer("S12", "o-boss")
    talking, other = town.person("o-talking"), town.person("o-other")
    await talking.say("人工")
    [current] = await takeovers(db)
    await boss.say(f"接入 {current.id}")
    assert await other.say("你好，我想找刚才那位居民") != ""  # the bot answers; nobody is relayed to
    assert [p for p in await town.pushes("o-boss") if p.kind == "takeover"] == []
    assert await talking.say("第一条") == ""
    assert await talking.say("   ") == ""  # nothing to pass on
    assert [p.payload["text"] for p in await town.pushes("o-boss") if p.kind == "takeover"] == \
        [f"【居民 #{current.id}】第一条"]
    async with db.transaction() as session:
        await staff_mod.unbind(session, "S12")
    await boss.say("解绑后的话")
    assert not [p for p in await town.pushes("o-talking") if "解绑后的话" in p.payload.get("text", "")]
    assert await talking.say("我的身份证号是340104199001011234") != ""  # the bot answers: the talk is over
    assert not [p for p in await town.pushes("o-boss") if "340104" in p.payload.get("text", "")]
    [ended] = await takeovers(db)
    assert (ended.status, ended.ended_by) == ("ended", "staff")
    assert "工作人员已结束本次对话" in (await town.pushes("o-talking"))[-1].payload["text"]


async def test_asking_for_a_person_mid_report_keeps_the_draft(town, db, clock):
    await town.start()
    boss = await town.officer("S12", "o-boss")
    resident = town.person("o-draft")
    question = await resident.say("滨湖欣园5栋楼下井盖缺失，很危险")
    assert not NUMBER.search(question)
    assert T.TAKEOVER_DRAFT_KEPT.strip() in await resident.say("人工")
    [current] = await takeovers(db)
    await boss.say(f"接入 {current.id}")
    assert await resident.say("1") == ""  # inside the conversation a digit is words for the staff member
    await boss.say("结束")
    assert NUMBER.search(await resident.say("1"))  # the report's step answered after the conversation


async def test_a_second_unsolved_asks_for_a_person_but_not_inside_a_dialog(town, db, clock):
    await town.start()
    resident = town.person("o-unsolved")
    assert await resident.say("没解决") == T.UNSOLVED_FIRST
    assert "正在为您转接" in await resident.say("还是没解决")
    assert len(await takeovers(db)) == 1
    drafting = town.person("o-drafting")
    await drafting.say("滨湖欣园5栋楼下井盖缺失，很危险")
    for _ in range(2):
        assert "正在为您转接" not in await drafting.say("没解决")
    assert len(await takeovers(db)) == 1


async def test_staff_commands_still_work_during_a_conversation_and_unfollowing_ends_it(town, db, clock):
    await town.start()
    boss = await town.officer("S12", "o-boss")
    resident = town.person("o-leaving")
    await resident.say("人工")
    [current] = await takeovers(db)
    await boss.say(f"接入 {current.id}")
    assert await boss.say("待办") != ""  # the work list, not words for the resident
    assert await boss.say("会话") == T.QUEUE_EMPTY + T.QUEUE_MINE.format(n=current.id)
    assert not [p for p in await town.pushes("o-leaving") if "待办" in p.payload.get("text", "")]
    await resident.send("event", {"Event": "unsubscribe"})
    [ended] = await takeovers(db)
    assert (ended.status, ended.ended_by) == ("ended", "resident")
    assert [p.payload["text"] for p in await town.pushes("o-boss") if p.kind == "takeover"] == \
        [f"【会话 #{current.id} 已结束】居民已结束对话。"]


async def test_cases_stored_before_the_migration_read_as_reports(db_url, tmp_path):
    """Cases written at 0017_join (no kind column) read as kind 'report' after 0021_takeover."""
    from datetime import datetime, timezone

    from sqlalchemy import bindparam, text

    from storage.db import Database
    from storage.types import UTCDateTime
    from tests.test_lifecycle_migration import alembic_upgrade

    database = Database(db_url)
    at = bindparam("at", type_=UTCDateTime())
    async with database.engine.begin() as conn:
        if not database.is_sqlite:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await conn.run_sync(alembic_upgrade, "0017_join")
        await conn.execute(text(
            "INSERT INTO cases (id, number, category, description, priority, urgent, status, channel, anonymous, "
            "repeat_reports, created_at, updated_at, joint_verification, dispatch_round) VALUES (7, '20261201-0007', "
            "'municipal_facility', '井盖松动', 3, false, 'dispatched', 'wechat', false, 0, :at, :at, false, 1)"
        ).bindparams(at), {"at": datetime.now(timezone.utc)})
    await database.migrate()
    async with database.sessions() as s:
        case = await s.get(Case, 7)
        assert case.kind == "report"
        assert (await analytics.report(s))["consultations"]["callback_cases"] == 0
    await database.dispose()


async def test_a_bare_unsolved_after_a_resolution_push_still_answers_it(town, db, clock):
    """没解决 in reply to the push saying a case is resolved reopens that case, as before: it is the answer to
    the last question put to the resident, not a request for a person."""
    await town.start()
    officer = await town.officer("S02", "o-lina")
    number = await town.report("o-res", "滨湖欣园5栋楼下井盖缺失，很危险", "1")
    for command in (f"接单 {number}", f"到场 {number}", f"办结 {number} 已更换井盖"):
        await officer.say(command)
    clock.advance(minutes=10)
    reply = await town.person("o-res").say("没解决")
    assert number in reply and "重办" in reply, reply
    assert (await town.case(number))["status"] == "reopened"
    assert await takeovers(db) == []


@pytest.mark.parametrize("words", ["能转人工吗", "可以帮我转个客服吗？", "我想找工作人员"])
async def test_a_person_asked_for_in_ones_own_words_is_a_takeover_request(town, db, clock, words):
    await town.start()
    await town.officer("S12", "o-boss")
    assert "正在为您转接" in await town.person("o-own-words").say(words)
    assert len(await takeovers(db)) == 1
