"""Officers on WeCom (企业微信): the /wecom callback (Tencent's sample vector, URL verification, the same
dedupe and bad-input answers as /wechat), staff-only access, and a case worked from WeCom while the
resident follows on WeChat; pushes to staff go out as text cards through the fake WeCom API."""
from __future__ import annotations

import asyncio
import json
import random
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from backend import staff as staff_mod
from backend.demo import seed_demo
from bot import texts
from bot.app import resolve_sandbox
from bot.config import ConfigError, Settings
from bot.background.outbox import OutboxSender, SenderPolicy
from bot.sandbox.fake_wecom import FakeWeCom
from bot.wechat.simulator import sign
from bot.wecom.simulator import WeComSimulator
from bot.background.workers import wecom_client, wecom_delivery
from handlers.router import ANY, Router
from handlers.types import Reply
from storage.models import InboundMessage, OutboxMessage
from tests.conftest import new_aes_key

VECTORS = json.loads((Path(__file__).parent / "data" / "wechat_crypto_vectors.json").read_text())["vectors"]
SAMPLE = next(v for v in VECTORS if v["name"].startswith("WeCom"))
CORP, AGENT, SECRET, PUBLIC = "wwtestcorp000001", "1000002", "wecom-test-secret", "https://gongzhi.test"
RESIDENT_TEXT = "滨湖欣园5栋楼下井盖缺失，很危险"


def with_wecom(settings: Settings, **changes) -> Settings:
    values = dict(wecom_token="wecom-token", wecom_aes_key=new_aes_key(), wecom_corp_id=CORP, wecom_agent_id=AGENT,
                  wecom_secret=SECRET, public_url=PUBLIC, background=False)  # tests send pushes themselves
    values.update(changes)
    return settings.with_(**values)


def wecom_overrides(s: Settings) -> dict:
    """The WeCom part of `s`, for town.start(**…)."""
    return {k: getattr(s, k) for k in ("wecom_token", "wecom_aes_key", "wecom_corp_id", "wecom_agent_id",
                                       "wecom_secret", "wecom_api_base", "public_url")}


def simulator(bot, settings: Settings, clock) -> WeComSimulator:
    return WeComSimulator(url=str(bot.server.make_url("/wecom")), token=settings.wecom_token,
                          app_id=settings.wecom_corp_id, aes_key=settings.wecom_aes_key,
                          agent_id=settings.wecom_agent_id, clock=clock.timestamp)


async def wecom_rows(db) -> list[InboundMessage]:
    async with db.sessions() as s:
        return list((await s.execute(select(InboundMessage).where(InboundMessage.platform == "wecom"))).scalars())


@asynccontextmanager
async def fake_wecom(clock, **options):
    """The fake WeCom API on loopback, on the test's clock. Yields (fake, base_url)."""
    fake = FakeWeCom(CORP, SECRET, int(AGENT), clock=clock.timestamp, **options)
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@asynccontextmanager
async def wecom_sender(db, settings: Settings, clock):
    """An outbox sender with the WeCom adapter, wired as bot/workers.py wires it."""
    async with aiohttp.ClientSession() as http:
        sender = OutboxSender(db, clock=clock, owner="test-sender", policy=SenderPolicy(retry_base_s=1.0),
                              rng=random.Random(1))
        sender.register("wecom", wecom_delivery(settings, wecom_client(settings, db, clock=clock, owner="test-sender",
                                                                       http=http)))
        yield sender


async def row(db, key: str) -> OutboxMessage:
    async with db.sessions() as s:
        return (await s.execute(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))).scalar_one()


# --- the callback -----------------------------------------------------------------------------------

def sample_settings(settings: Settings, **changes) -> Settings:
    return settings.with_(**{**dict(wecom_token=SAMPLE["token"], wecom_aes_key=SAMPLE["encoding_aes_key"],
                                    wecom_corp_id=SAMPLE["corp_id"], wecom_agent_id="218"), **changes})


def sample_params(**override) -> dict:
    return {"msg_signature": SAMPLE["msg_signature"], "timestamp": SAMPLE["timestamp"], "nonce": SAMPLE["nonce"],
            **override}


async def test_wecom_sample_vector_decrypts_and_a_stranger_gets_the_staff_only_answer(start_bot, settings, clock):
    clock.now = datetime.fromtimestamp(int(SAMPLE["timestamp"]), tz=timezone.utc)
    s = sample_settings(settings)
    bot = await start_bot(settings_=s)
    sim = simulator(bot, s, clock)
    delivery = await sim.post_raw(bot.http, sample_params(), SAMPLE["body"])
    assert delivery.status == 200 and "<Encrypt>" in delivery.body and "hello" not in delivery.body
    assert delivery.reply["ToUserName"] == SAMPLE["expect"]["FromUserName"]
    assert delivery.reply["FromUserName"] == SAMPLE["corp_id"]
    assert delivery.text == texts.WECOM_STAFF_ONLY
    [logged] = await wecom_rows(bot.db)
    assert logged.user_id == "mycreate" and logged.msg_key == f"msg:{SAMPLE['expect']['MsgId']}"
    assert logged.content["text"] == "hello" and logged.content["platform"] == "wecom"


@pytest.mark.parametrize("change,status", [
    ({"params": {"msg_signature": "0" * 40}}, 403),  # a changed signature
    ({"settings": {"wecom_corp_id": "ww0000000000000000"}}, 403),  # for another corp
    ({"settings": {"wecom_agent_id": "1000099"}}, 403),  # for another app of the corp
    ({"now": "real"}, 403),  # the sample is years old: a replay today
])
async def test_wecom_sample_vector_refused_when_anything_is_off(start_bot, settings, clock, change, status):
    if change.get("now") != "real":
        clock.now = datetime.fromtimestamp(int(SAMPLE["timestamp"]), tz=timezone.utc)
    s = sample_settings(settings, **change.get("settings", {}))
    bot = await start_bot(settings_=s)
    delivery = await simulator(bot, s, clock).post_raw(bot.http, sample_params(**change.get("params", {})),
                                                       SAMPLE["body"])
    assert delivery.status == status
    assert await bot.inbound_count() == 0


async def test_url_verification_answers_the_decrypted_echostr(start_bot, settings, clock):
    s = with_wecom(settings)
    bot = await start_bot(settings_=s)
    sim, url = simulator(bot, s, clock), str(bot.server.make_url("/wecom"))
    params = sim.verification("1616140317555161061")
    async with bot.http.get(url, params=params) as r:
        assert r.status == 200 and await r.text() == "1616140317555161061"
    unencoded = "&".join(f"{k}={v}" for k, v in params.items())  # a '+' left as is reads as a space
    async with bot.http.get(f"{url}?{unencoded}") as r:
        assert r.status == 200 and await r.text() == "1616140317555161061"
    async with bot.http.get(url, params={**params, "msg_signature": "f" * 40}) as r:
        assert r.status == 403
    junk = "bm90IHJlYWxseSBlbmNyeXB0ZWQ="
    forged_key = {**params, "echostr": junk, "msg_signature": sign(s.wecom_token, params["timestamp"],
                                                                     params["nonce"], junk)}
    async with bot.http.get(url, params=forged_key) as r:
        assert r.status == 400


async def test_without_wecom_settings_there_is_no_wecom_route(start_bot):
    bot = await start_bot()
    async with bot.http.post(bot.server.make_url("/wecom"), data="<xml/>") as r:
        assert r.status == 404
    assert (await bot.say("o-still-here", "你好")).status == 200


def test_wecom_configuration_is_checked_at_start():
    with pytest.raises(ConfigError, match="WECOM_AES_KEY, WECOM_CORP_ID"):
        Settings.from_env({"WECOM_TOKEN": "t"})
    with pytest.raises(ConfigError, match="WECOM_AES_KEY must be 43"):
        Settings.from_env({"WECOM_TOKEN": "t", "WECOM_AES_KEY": "short", "WECOM_CORP_ID": "ww1"})
    with pytest.raises(ConfigError, match="WECOM_AGENT_ID"):
        Settings.from_env({"WECOM_AGENT_ID": "app"})
    with pytest.raises(ConfigError, match="WECOM_SECRET"):
        Settings.from_env({"WECOM_SECRET": "s"})
    ok = Settings.from_env({"WECOM_TOKEN": "t", "WECOM_AES_KEY": new_aes_key(), "WECOM_CORP_ID": "ww1",
                            "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "s", "PUBLIC_URL": "https://x.cn/"})
    assert ok.wecom_callback and ok.wecom_push and ok.wecom_api_base == "https://qyapi.weixin.qq.com"
    assert ok.public_url == "https://x.cn"
    assert not Settings.from_env({}).wecom_callback


async def test_sandbox_mode_has_a_wecom_app_of_its_own(start_bot, tmp_path, clock):
    first = resolve_sandbox(Settings(data_dir=tmp_path, port=8123))
    again = resolve_sandbox(Settings(data_dir=tmp_path, port=8123))
    assert first.wecom_callback and first.wecom_push and first.wecom_token == again.wecom_token
    assert first.wecom_api_base == "http://127.0.0.1:8123/sandbox/wecom-api"
    assert first.public_url == "http://127.0.0.1:8123"
    bot = await start_bot(settings_=first.with_(background=False))
    async with bot.http.get(bot.server.make_url("/sandbox/wecom-api/_sandbox/state")) as r:
        assert r.status == 200 and (await r.json())["pushes"] == 0
    sim = simulator(bot, first, clock)
    assert (await sim.post(bot.http, sim.text("newcomer", "你好"))).text == texts.WECOM_STAFF_ONLY


# --- who may use the app ------------------------------------------------------------------------------

async def test_a_wecom_user_who_is_not_staff_is_refused_until_bound(town, db, clock, settings):
    s = with_wecom(settings)
    await town.start(**wecom_overrides(s))
    sim = simulator(town.bot, s, clock)
    number = await town.report("o-res-x", RESIDENT_TEXT, "1")
    for text in ("你好", "待办", f"办结 {number} 已处理", f"接单 {number}"):
        assert (await sim.post(town.bot.http, sim.text("zhangsan", text))).text == texts.WECOM_STAFF_ONLY
    assert (await sim.post(town.bot.http, sim.event("zhangsan", "enter_agent"))).body == ""
    assert (await town.case(number))["status"] == "dispatched"
    async with db.transaction() as session:
        code = await staff_mod.invite(session, "S02", clock())
    assert "绑定成功" in (await sim.post(town.bot.http, sim.text("zhangsan", f"绑定 {code}"))).text
    assert number in (await sim.post(town.bot.http, sim.text("zhangsan", "待办"))).text


# --- a case worked from WeCom -------------------------------------------------------------------------

async def test_officer_on_wecom_gets_the_dispatch_card_works_the_case_and_the_resident_follows(town, db, clock,
                                                                                            settings):
    async with fake_wecom(clock) as (fake, base):
        s = with_wecom(settings, wecom_api_base=base)
        await town.start(**wecom_overrides(s))
        async with db.transaction() as session:  # as `main.py staff link --staff-id S02 --wecom-user lina`
            await staff_mod.link(session, "S02", "wecom", "lina", clock())
        sim = simulator(town.bot, s, clock)

        async def officer(text: str) -> str:
            delivery = await sim.post(town.bot.http, sim.text("lina", text))
            assert delivery.status == 200, delivery.body
            return delivery.text or ""

        number = await town.report("o-res", RESIDENT_TEXT, "1")
        [dispatch] = [p for p in await town.pushes("lina") if p.kind == "dispatch"]
        assert dispatch.platform == "wecom"
        async with wecom_sender(db, s, clock) as sender:
            assert await sender.tick() == 1
        [card] = fake.pushes
        assert card["openid"] == "lina" and card["body"]["msgtype"] == "textcard"
        assert card["body"]["agentid"] == int(AGENT)
        assert card["body"]["textcard"]["title"] == f"新工单 {number}"
        assert "滨湖欣园" in card["body"]["textcard"]["description"]
        assert card["body"]["textcard"]["url"] == f"{PUBLIC}/dashboard/cases/{number}"
        sent = await row(db, dispatch.idempotency_key)
        assert (sent.status, sent.channel) == ("sent", "textcard")

        assert "已接单" in await officer(f"接单 {number}")
        assert "出发" in await officer(f"出发 {number[-4:]}")
        loc = sim.build("lina", "location", {"Location_X": "31.7400", "Location_Y": "117.2767", "Scale": 16,
                                             "Label": "滨湖欣园", "MsgId": sim.next_msg_id()})
        assert (await sim.post(town.bot.http, loc)).status == 200
        assert "已记录到场" in await officer(f"到场 {number}")
        assert "已办结" in await officer(f"办结 {number} 已放置警示牌并更换井盖")
        view = await town.case(number)
        assert view["status"] == "resolved"
        assert next(e for e in view["events"] if e["kind"] == "on_site")["data"]["proof"] is True
        steps = [p for p in await town.pushes("o-res") if p.kind == "case_status"]
        assert {p.platform for p in steps} == {"wechat"}
        assert len(steps) == 4 and "接单" in steps[0].payload["text"] and "已放置警示牌" in steps[3].payload["text"]


async def test_commands_from_wechat_and_wecom_act_as_the_same_officer(town, db, clock, settings):
    s = with_wecom(settings)
    await town.start(**wecom_overrides(s))
    on_wechat = await town.officer("S02", "o-lina")
    async with db.transaction() as session:
        await staff_mod.link(session, "S02", "wecom", "lina", clock())
    sim = simulator(town.bot, s, clock)
    number = await town.report("o-res-both", RESIDENT_TEXT, "1")
    assert all(p.platform == "wecom" for p in await town.pushes("lina"))  # WeCom is preferred for pushes
    assert not [p for p in await town.pushes("o-lina") if p.kind == "dispatch"]
    assert "已接单" in (await sim.post(town.bot.http, sim.text("lina", f"接单 {number}"))).text
    assert "已接单过了" in await on_wechat.say(f"接单 {number}")


# --- the same door as /wechat: dedupe, budget, bad input ---------------------------------------------

async def test_retries_from_wecom_are_handled_once(start_bot, settings, clock):
    s = with_wecom(settings)
    bot = await start_bot(settings_=s)
    sim = simulator(bot, s, clock)
    xml = sim.text("stranger", "你好")
    deliveries = await asyncio.gather(*(sim.post(bot.http, xml) for _ in range(3)))
    again = await sim.post(bot.http, xml)
    assert [d.status for d in deliveries] == [200, 200, 200]
    assert len({(d.reply["Content"], d.reply["CreateTime"]) for d in [*deliveries, again]}) == 1
    assert len(await wecom_rows(bot.db)) == 1


async def test_a_slow_answer_on_wecom_goes_out_later_as_a_wecom_text(start_bot, db, settings, clock):
    router = Router("slow")

    @router.on(ANY)
    async def slow(update, ctx):
        await asyncio.sleep(0.5)
        return Reply(text=f"待办：工单 20261127-0001 {update.text}")

    async with fake_wecom(clock) as (fake, base):
        s = with_wecom(settings, reply_budget_s=0.2, wecom_api_base=base)
        bot = await start_bot(settings_=s, router=router)
        async with db.transaction() as session:
            await seed_demo(session)
            await staff_mod.link(session, "S01", "wecom", "wangqiang", clock())
        sim = simulator(bot, s, clock)
        assert (await sim.post(bot.http, sim.text("wangqiang", "待办"))).body == ""
        await asyncio.sleep(0.6)
        [deferred] = await bot.outbox_rows()
        assert (deferred.platform, deferred.user_id, deferred.kind) == ("wecom", "wangqiang", "reply")
        async with wecom_sender(db, s, clock) as sender:
            assert await sender.tick() == 1
        [push] = fake.pushes
        assert push["body"]["msgtype"] == "text" and "20261127-0001" in push["body"]["text"]["content"]


def _signed_junk(sim: WeComSimulator, clock) -> tuple[dict, str]:
    ts, nonce, junk = str(int(clock.timestamp())), "42", "bm90IHJlYWxseSBlbmNyeXB0ZWQ="
    return ({"msg_signature": sign(sim.token, ts, nonce, junk), "timestamp": ts, "nonce": nonce},
            f"<xml><ToUserName>{CORP}</ToUserName><Encrypt><![CDATA[{junk}]]></Encrypt></xml>")


@pytest.mark.parametrize("case,status", [
    ("forged signature", 403), ("replayed", 403), ("too big", 413), ("not xml", 400), ("no Encrypt", 400),
    ("undecryptable", 400), ("bad inner xml", 400), ("another agent", 403),
])
async def test_bad_requests_to_wecom_get_a_4xx_and_nothing_is_stored(start_bot, settings, clock, case, status):
    s = with_wecom(settings)
    bot = await start_bot(settings_=s)
    sim = simulator(bot, s, clock)
    params, body = sim.signed(sim.text("u1", "你好"))
    if case == "forged signature":
        params["msg_signature"] = "0" * 40
    elif case == "replayed":
        params, body = sim.signed(sim.text("u1", "你好"), timestamp=int(clock.timestamp()) - 301)
    elif case == "too big":
        params, body = sim.signed(sim.text("u1", "长" * 30000))
    elif case == "not xml":
        body = "not xml at all"
    elif case == "no Encrypt":
        body = f"<xml><ToUserName>{CORP}</ToUserName></xml>"
    elif case == "undecryptable":
        params, body = _signed_junk(sim, clock)
    elif case == "bad inner xml":
        params, body = sim.signed("<xml><FromUserName>u1</FromUserName><MsgType>text</MsgType>"
                                  "<CreateTime>soon</CreateTime></xml>")
    elif case == "another agent":
        sim.agent_id = "1000099"
        params, body = sim.signed(sim.text("u1", "你好"))
    delivery = await sim.post_raw(bot.http, params, body)
    assert delivery.status == status, delivery.body
    assert await bot.inbound_count() == 0


# --- pushes: WeCom's errors ------------------------------------------------------------------------------

async def queue(db, clock, user: str, key: str, text: str = "【超时提醒】工单 20261127-0007 已超过接单时限") -> None:
    from storage import outbox

    async with db.transaction() as session:
        outbox.enqueue(session, platform="wecom", user_id=user, kind="sla_reminder", payload={"text": text},
                       idempotency_key=key, now=clock())


async def test_wecom_errors_are_handled_like_the_official_accounts(db, settings, clock):
    async with fake_wecom(clock, invalid_users={"ghost"}) as (fake, base):
        s = with_wecom(settings, wecom_api_base=base)
        await queue(db, clock, "lina", "expired-token")
        await queue(db, clock, "ghost", "invalid-user")
        await queue(db, clock, "zhou", "plain")
        async with wecom_sender(db, s, clock) as sender:
            fake.fail_next(42001)  # the token expired (on whichever send comes first): one refresh, one retry
            assert await sender.tick() == 3
        assert fake.token_fetches == 2
        expired, invalid, plain = [await row(db, k) for k in ("expired-token", "invalid-user", "plain")]
        assert expired.status == plain.status == "sent" and expired.channel == "textcard"
        card = next(p for p in fake.pushes if p["openid"] == "lina")["body"]["textcard"]
        assert card["title"] == "超时提醒 20261127-0007" and card["url"].endswith("/dashboard/cases/20261127-0007")
        assert (invalid.status, invalid.error_code) == ("failed", "81013")

        await queue(db, clock, "zhou", "busy")
        fake.fail_next(45009)
        async with wecom_sender(db, s, clock) as sender:
            assert await sender.tick() == 1
            busy = await row(db, "busy")
            assert (busy.status, busy.error_code) == ("pending", "45009")
            clock.advance(seconds=10)
            assert await sender.tick() == 1
        assert (await row(db, "busy")).status == "sent"
        assert fake.token_fetches == 2  # the token is shared through the database, not fetched per sender


# --- what the app answers: silence for WeCom's own events, staff answers for staff -------------------------

BACKGROUND_EVENTS = [  # (sender, fields) as WeCom's documentation shows them
    ("sys", {"Event": "change_contact", "ChangeType": "update_user", "UserID": "lina", "Mobile": "13800000000"}),
    ("sys", {"Event": "batch_job_result", "BatchJob": "<JobId>j1</JobId>"}),
    ("sys", {"Event": "change_external_contact", "ChangeType": "add_external_contact", "UserID": "lina"}),
    ("lina", {"Event": "enter_agent", "EventKey": ""}),
    ("lina", {"Event": "LOCATION", "Latitude": "31.7400", "Longitude": "117.2767", "Precision": "30"}),
    ("lina", {"Event": "subscribe"}),
    ("lina", {"Event": "sys_approval_change", "ApprovalInfo": "<SpNo>202612020001</SpNo>"}),
    ("lina", {"Event": "open_approval_change", "ApprovalInfo": "<ThirdNo>t1</ThirdNo>"}),
    ("lina", {"Event": "delete_calendar", "CalId": "wcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA"}),
    ("lina", {"Event": "modify_schedule", "CalId": "c1", "ScheduleId": "s1"}),
    ("zhangsan", {"Event": "enter_agent", "EventKey": ""}),
    ("zhangsan", {"Event": "LOCATION", "Latitude": "31.7", "Longitude": "117.2", "Precision": "10"}),
]


async def test_wecom_system_and_background_events_get_silence_for_staff_and_strangers(town, db, clock, settings):
    s = with_wecom(settings)
    await town.start(**wecom_overrides(s))
    async with db.transaction() as session:
        await staff_mod.link(session, "S02", "wecom", "lina", clock())
    sim = simulator(town.bot, s, clock)
    for sender, fields in BACKGROUND_EVENTS:
        delivery = await sim.post(town.bot.http, sim.build(sender, "event", fields))
        assert (delivery.status, delivery.body) == (200, ""), (sender, fields)
        clock.advance(seconds=1)
    assert len(await wecom_rows(db)) == len(BACKGROUND_EVENTS)  # logged (and deduplicated) like any message
    assert not await town.pushes("lina") and not await town.pushes("zhangsan")


async def test_staff_on_wecom_get_staff_answers_never_the_residents_welcome_or_intake(town, db, clock, settings):
    from handlers import texts as handler_texts

    s = with_wecom(settings)
    await town.start(**wecom_overrides(s))
    async with db.transaction() as session:
        await staff_mod.link(session, "S02", "wecom", "lina", clock())
    sim = simulator(town.bot, s, clock)
    number = await town.report("o-res-desk", RESIDENT_TEXT, "1")

    async def officer(xml: str) -> str:
        delivery = await sim.post(town.bot.http, xml)
        assert delivery.status == 200, delivery.body
        return delivery.text or ""

    resident_words = (handler_texts.WELCOME, handler_texts.MENU, handler_texts.GREETING, "请问", "小区")
    for said in ("你好", "锦绣苑3栋楼下路灯坏了好几天了", "我的工单", "充电桩"):
        answer = await officer(sim.text("lina", said))
        assert answer == texts.WECOM_STAFF_HINT, (said, answer)
        assert not any(word in answer for word in resident_words)
    photo = sim.build("lina", "image", {"PicUrl": "http://wx.invalid/p.jpg", "MediaId": "wc-loose",
                                        "MsgId": sim.next_msg_id()})
    assert await officer(photo) == texts.WECOM_PHOTO_HINT
    assert number in await officer(sim.text("lina", f"电话 {number}"))  # staff's 电话 N still answers
    assert number in await officer(sim.text("lina", "待办"))
    assert not [row for row in await wecom_rows(db) if row.status == "failed"]
    assert (await town.case(number))["status"] == "dispatched"


async def test_staff_photos_sent_on_wecom_are_downloaded_by_the_media_keeper(town, db, clock, settings, tmp_path):
    from bot.background.workers import build_workers, job_loop
    from storage.models import CaseMedia

    async with fake_wecom(clock) as (fake, base):
        fake.expired_media.add("wc-gone")
        s = with_wecom(settings, wecom_api_base=base, data_dir=tmp_path)
        await town.start(**wecom_overrides(s))
        async with db.transaction() as session:
            await staff_mod.link(session, "S02", "wecom", "lina", clock())
        sim = simulator(town.bot, s, clock)
        number = await town.report("o-res-photo", RESIDENT_TEXT, "1")
        for said in (f"接单 {number}", f"办结 {number} 已更换井盖"):
            assert number in (await sim.post(town.bot.http, sim.text("lina", said))).text
        for media_id in ("wc-keep", "wc-gone"):
            photo = sim.build("lina", "image", {"PicUrl": f"http://wx.invalid/{media_id}.jpg", "MediaId": media_id,
                                                "MsgId": sim.next_msg_id()})
            assert "已将照片附到工单" in (await sim.post(town.bot.http, photo)).text

        async with aiohttp.ClientSession() as http:
            workers = build_workers(s, db, clock, "test-media", http)
            job_loop(s, db, clock, workers)
            [keeper] = [p for p in workers.jobs.periodic if p.name == "media.keep.wecom"]
            assert await keeper.work() == 1
            assert await keeper.work() == 0  # nothing fetched twice; the expired one given up
    async with db.sessions() as session:
        rows = {m.media_id: m for m in (await session.execute(select(CaseMedia))).scalars()}
    assert rows["wc-keep"].platform == "wecom" and rows["wc-keep"].stored_path
    assert Path(rows["wc-keep"].stored_path).read_bytes().endswith(b"wc-keep")
    assert rows["wc-gone"].stored_path is None and rows["wc-gone"].fetch_error
