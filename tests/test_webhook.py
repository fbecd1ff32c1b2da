"""The /wechat door behaves exactly as WeChat expects: every kind, retries, the 5-second budget,
order per resident, and a clear 4xx (with nothing stored) for every bad request."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from sqlalchemy import select

from bot.wechat.simulator import message_xml
from handlers.router import ANY, Router, kind
from handlers.types import Reply
from storage.models import InboundMessage


def counting_router(delay: float = 0.0, log: list | None = None) -> tuple[Router, list]:
    """A router whose one handler records each call and answers with what it was sent."""
    calls = log if log is not None else []
    router = Router("test")

    @router.on(ANY)
    async def echo(update, ctx):
        calls.append(update.text)
        if delay:
            await asyncio.sleep(delay)
        return Reply(text=f"收到：{update.text}")

    return router, calls


# --- kinds -------------------------------------------------------------------------------------

async def test_text_gets_the_menu_in_chinese(start_bot):
    bot = await start_bot()
    delivery = await bot.say("o-resident-1", "你好")
    assert delivery.status == 200
    assert "我的工单" in delivery.text and "描述问题" in delivery.text


async def test_subscribe_gets_a_welcome_and_qrscene_key_is_kept(start_bot):
    bot = await start_bot()
    delivery = await bot.send(bot.wechat.event("o-new", "subscribe", "qrscene_C03"))
    assert "欢迎关注" in delivery.text
    async with bot.db.sessions() as s:
        row = (await s.execute(select(InboundMessage))).scalar_one()
    assert row.content["event"] == "subscribe" and row.content["event_key"] == "qrscene_C03"


@pytest.mark.parametrize("msg_type,fields,expect", [
    ("image", {"PicUrl": "http://x/1.jpg", "MediaId": "m1", "MsgId": 11}, "照片"),
    ("voice", {"MediaId": "m2", "Format": "amr", "Recognition": "你好", "MsgId": 12}, "我的工单"),
    ("voice", {"MediaId": "m3", "Format": "amr", "MsgId": 13}, "文字"),
    ("location", {"Location_X": "31.739872", "Location_Y": "117.276543", "Scale": 16, "Label": "滨湖欣园",
                  "MsgId": 14}, "位置"),
    ("link", {"Title": "t", "Description": "d", "Url": "http://x", "MsgId": 15}, "链接"),
    ("video", {"MediaId": "m4", "ThumbMediaId": "t4", "MsgId": 16}, "视频"),
    ("shortvideo", {"MediaId": "m5", "ThumbMediaId": "t5", "MsgId": 17}, "视频"),
    ("miniprogrampage", {"Title": "x", "MsgId": 18}, "暂时无法识别"),
])
async def test_every_message_kind_gets_a_chinese_answer(start_bot, msg_type, fields, expect):
    bot = await start_bot()
    delivery = await bot.send(bot.wechat.build("o-kinds", msg_type, fields))
    assert delivery.status == 200 and expect in delivery.text


@pytest.mark.parametrize("event,key", [
    ("unsubscribe", None), ("SCAN", "123"), ("CLICK", "SOMETHING"), ("VIEW", "http://x"),
    ("LOCATION", None), ("subscribe_msg_popup_event", None), ("TEMPLATESENDJOBFINISH", None),
])
async def test_events_are_handled_never_an_error(start_bot, event, key):
    bot = await start_bot()
    delivery = await bot.send(bot.wechat.event("o-events", event, key))
    assert delivery.status == 200
    assert await bot.inbound_count() == 1


async def test_plaintext_mode_gets_a_plaintext_reply(start_bot):
    bot = await start_bot(encrypted=False)
    delivery = await bot.say("o-plain", "你好")
    assert delivery.status == 200 and "<Encrypt>" not in delivery.body and "我的工单" in delivery.text


async def test_compatible_mode_body_with_both_plaintext_and_encrypt(start_bot):
    bot = await start_bot()
    xml = bot.wechat.text("o-compat", "你好")
    params, body = bot.wechat.signed(xml)
    compatible = xml.replace("</xml>", body[body.index("<Encrypt>"):body.index("</xml>")] + "</xml>")
    delivery = await bot.wechat.post_raw(bot.http, params, compatible)
    assert delivery.status == 200 and "<Encrypt>" in delivery.body and "我的工单" in delivery.text


async def test_long_reply_is_cut_to_2048_bytes_at_a_character_boundary(start_bot):
    router = Router("long")

    @router.on(ANY)
    async def rant(update, ctx):
        return Reply(text="很长的回复" * 400)

    bot = await start_bot(router=router)
    delivery = await bot.say("o-long", "x")
    assert len(delivery.text.encode("utf-8")) <= 2048
    assert delivery.text.endswith("…") and delivery.text.startswith("很长的回复")


async def test_reply_text_with_cdata_end_and_control_characters_renders(start_bot):
    router = Router("odd")

    @router.on(ANY)
    async def odd(update, ctx):
        return Reply(text="a]]>b\x01c")

    bot = await start_bot(router=router)
    delivery = await bot.say("o-odd", "x")
    assert delivery.text == "a]]>bc"


# --- retries -----------------------------------------------------------------------------------

async def test_retry_storm_at_once_runs_handler_once_and_replies_identically(start_bot):
    router, calls = counting_router(delay=0.2)
    bot = await start_bot(router=router)
    xml = bot.wechat.text("o-storm", "路灯坏了")
    deliveries = await asyncio.gather(*(bot.send(xml) for _ in range(3)))
    assert calls == ["路灯坏了"]
    assert [d.status for d in deliveries] == [200, 200, 200]
    assert len({(d.reply["Content"], d.reply["CreateTime"]) for d in deliveries}) == 1
    assert await bot.inbound_count() == 1


async def test_retry_in_a_row_gets_the_same_reply(start_bot):
    router, calls = counting_router()
    bot = await start_bot(router=router)
    xml = bot.wechat.text("o-row", "井盖丢了")
    first = await bot.send(xml)
    later = [await bot.send(xml) for _ in range(2)]
    assert calls == ["井盖丢了"]
    assert all(d.reply == first.reply for d in later)


async def test_dedupe_holds_across_a_restart(start_bot):
    router, calls = counting_router()
    bot = await start_bot(router=router)
    xml = bot.wechat.text("o-restart", "垃圾满了")
    first = await bot.send(xml)
    await bot.server.close()
    again = await start_bot(router=router)
    retry = await again.send(xml)
    assert calls == ["垃圾满了"] and retry.reply == first.reply


async def test_events_dedupe_on_time_event_and_key(start_bot):
    router, calls = counting_router()
    bot = await start_bot(router=router)
    subscribe = bot.wechat.event("o-evt", "subscribe")
    await bot.send(subscribe)
    await bot.send(subscribe)
    await bot.send(bot.wechat.event("o-evt", "CLICK", "HELP"))
    assert len(calls) == 2


async def test_two_events_of_one_sender_in_one_second_with_their_own_msgids_are_both_handled(start_bot):
    """(FromUserName, CreateTime, Event, EventKey, MsgID): two template-send reports in the same second differ
    only by MsgID and are two events; a retry of either is still one."""
    router, calls = counting_router()
    bot = await start_bot(router=router)

    def finished(msg_id: int) -> str:
        return bot.wechat.build("o-same-second", "event", {"Event": "TEMPLATESENDJOBFINISH", "MsgID": msg_id,
                                                            "Status": "success"})

    first, second = finished(200163836), finished(200163840)
    for xml in (first, second, first, second):
        assert (await bot.send(xml)).status == 200
    assert len(calls) == 2 and await bot.inbound_count() == 2
    clicks = [bot.wechat.event("o-same-second", "CLICK", key) for key in ("HELP", "PROGRESS")]
    for xml in clicks:
        await bot.send(xml)
    assert len(calls) == 4


async def test_a_handler_that_died_leaves_nothing_and_the_retry_handles_it(start_bot):
    """A process dying mid-handler (here: the handler task cancelled) rolls its transaction back,
    log row included, so WeChat's retry is handled as if it were the first delivery."""
    calls: list = []
    router = Router("dies-once")

    @router.on(ANY)
    async def dies_first_time(update, ctx):
        calls.append(update.text)
        if len(calls) == 1:
            raise asyncio.CancelledError  # what a dying process does to a running task
        return Reply(text=f"收到：{update.text}")

    bot = await start_bot(router=router)
    xml = bot.wechat.text("o-crash", "有人打架")
    with pytest.raises(aiohttp.ServerDisconnectedError):  # WeChat sees the connection drop
        await bot.send(xml)
    assert await bot.inbound_count() == 0
    retry = await bot.send(xml)
    assert calls == ["有人打架", "有人打架"] and retry.text == "收到：有人打架"


# --- the 5-second budget -----------------------------------------------------------------------

async def test_slow_handler_answers_success_within_5s_and_reply_goes_to_outbox(start_bot):
    router, calls = counting_router(delay=5.5)
    bot = await start_bot(router=router)  # default budget: 4 s
    started = time.monotonic()
    delivery = await bot.say("o-slow", "油烟太大")
    elapsed = time.monotonic() - started
    assert delivery.status == 200 and delivery.body == "success"
    assert elapsed < 5.0
    await asyncio.sleep(2.0)  # the handler finishes after the answer
    rows = await bot.outbox_rows()
    assert [(r.user_id, r.kind, r.payload["text"]) for r in rows] == [("o-slow", "reply", "收到：油烟太大")]
    async with bot.db.sessions() as s:
        assert (await s.execute(select(InboundMessage.status))).scalar_one() == "deferred"


async def test_retry_of_a_deferred_message_does_not_run_it_again(start_bot, settings):
    router, calls = counting_router(delay=0.6)
    bot = await start_bot(router=router, settings_=settings.with_(reply_budget_s=0.3))
    xml = bot.wechat.text("o-deferred", "噪音")
    assert (await bot.send(xml)).body == "success"
    await asyncio.sleep(0.6)
    retry = await bot.send(xml)
    assert retry.body == "success" and calls == ["噪音"]
    assert len(await bot.outbox_rows()) == 1


async def test_failing_handler_gets_an_apology_not_a_500(start_bot):
    router = Router("broken")

    @router.on(ANY)
    async def broken(update, ctx):
        raise RuntimeError("boom")

    bot = await start_bot(router=router)
    delivery = await bot.say("o-broken", "你好")
    assert delivery.status == 200 and "抱歉" in delivery.text
    async with bot.db.sessions() as s:
        row = (await s.execute(select(InboundMessage))).scalar_one()
    assert row.status == "failed" and "boom" in row.error


# --- order and parallelism ---------------------------------------------------------------------

async def test_messages_from_one_resident_are_handled_one_at_a_time_in_order(start_bot):
    log: list = []
    router = Router("order")
    active = {"n": 0, "max": 0}

    @router.on(ANY)
    async def slow_first(update, ctx):
        active["n"] += 1
        active["max"] = max(active["max"], active["n"])
        await asyncio.sleep(0.3 if update.text == "1" else 0.01)
        log.append(update.text)
        active["n"] -= 1
        return Reply(text=update.text)

    bot = await start_bot(router=router)
    tasks = []
    for n in range(1, 6):
        tasks.append(asyncio.create_task(bot.say("o-order", str(n))))
        await asyncio.sleep(0.02)
    await asyncio.gather(*tasks)
    assert log == ["1", "2", "3", "4", "5"] and active["max"] == 1


async def test_a_busy_resident_does_not_hold_up_others(start_bot, db):
    """Resident A's backlog queues behind A's own lock; B's message is handled as soon as A's current
    one is done (SQLite: sessions take turns for the connection) or at once (PostgreSQL)."""
    finished: list[str] = []
    router = Router("busy")

    @router.on(ANY)
    async def slow(update, ctx):
        await asyncio.sleep(0.3 if update.user_id == "o-busy" else 0.0)
        finished.append(f"{update.user_id}:{update.text}")
        return Reply(text="ok")

    bot = await start_bot(router=router)
    started = time.monotonic()
    tasks = [asyncio.create_task(bot.say("o-busy", str(n))) for n in range(1, 5)]
    await asyncio.sleep(0.05)
    other = asyncio.create_task(bot.say("o-other", "x"))
    await other
    other_done = time.monotonic() - started
    await asyncio.gather(*tasks)
    assert finished.index("o-other:x") <= 1  # after at most A's first message, not after all four
    if not db.is_sqlite:
        assert finished[0] == "o-other:x" and other_done < 0.25


# --- bad input: a clear 4xx, nothing stored -----------------------------------------------------

async def test_forged_signature_is_refused_and_nothing_stored(start_bot):
    bot = await start_bot(encrypted=False)
    params, body = bot.wechat.signed(bot.wechat.text("o-x", "你好"))
    params["signature"] = "0" * 40
    assert (await bot.wechat.post_raw(bot.http, params, body)).status == 403
    assert await bot.inbound_count() == 0


async def test_forged_msg_signature_is_refused_and_nothing_stored(start_bot):
    bot = await start_bot()
    params, body = bot.wechat.signed(bot.wechat.text("o-x", "你好"))
    params["msg_signature"] = "0" * 40
    assert (await bot.wechat.post_raw(bot.http, params, body)).status == 403
    assert await bot.inbound_count() == 0


@pytest.mark.parametrize("skew", [-301, 301, 86400])
async def test_timestamp_outside_five_minutes_is_a_replay(start_bot, clock, skew):
    bot = await start_bot()
    delivery = await bot.send(bot.wechat.text("o-x", "你好"), timestamp=int(clock.timestamp()) + skew)
    assert delivery.status == 403
    assert await bot.inbound_count() == 0


async def test_timestamp_within_five_minutes_is_fine(start_bot, clock):
    bot = await start_bot()
    delivery = await bot.send(bot.wechat.text("o-x", "你好"), timestamp=int(clock.timestamp()) - 290)
    assert delivery.status == 200


async def test_body_over_64_kib_is_413(start_bot):
    bot = await start_bot(encrypted=False)
    delivery = await bot.send(bot.wechat.text("o-big", "长" * 30000))
    assert delivery.status == 413
    assert await bot.inbound_count() == 0


@pytest.mark.parametrize("body", [
    "not xml at all", "<xml><FromUserName>o</FromUserName>", "<other>x</other>", "",
    "<xml><ToUserName>a</ToUserName><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>",
    "<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><CreateTime>soon</CreateTime></xml>",
    "<xml><FromUserName><a>nested</a></FromUserName><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    "<xml><FromUserName>&b;</FromUserName><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>",
])
async def test_malformed_xml_is_400_and_nothing_stored(start_bot, body):
    bot = await start_bot(encrypted=False)
    params, _ = bot.wechat.signed(bot.wechat.text("o-x", "x"))
    delivery = await bot.wechat.post_raw(bot.http, params, body.encode())
    assert delivery.status == 400
    assert await bot.inbound_count() == 0


async def test_encrypted_envelope_that_is_not_xml_is_400(start_bot):
    bot = await start_bot()
    params, _ = bot.wechat.signed(bot.wechat.text("o-x", "x"))
    assert (await bot.wechat.post_raw(bot.http, params, b"garbage")).status == 400
    assert await bot.inbound_count() == 0


async def test_encrypted_message_without_a_configured_key_is_400(start_bot, settings):
    bot = await start_bot()
    params, body = bot.wechat.signed(bot.wechat.text("o-x", "x"))
    plain_bot = await start_bot(encrypted=False)
    assert (await plain_bot.wechat.post_raw(plain_bot.http, params, body)).status == 400
    assert await bot.inbound_count() == 0


async def test_undecryptable_encrypt_field_is_400(start_bot):
    bot = await start_bot()
    from bot.wechat.simulator import sign
    ts, nonce, junk = str(int(bot.wechat.clock())), "42", "bm90IHJlYWxseSBlbmNyeXB0ZWQ="
    params = {"timestamp": ts, "nonce": nonce, "encrypt_type": "aes",
              "msg_signature": sign(bot.wechat.token, ts, nonce, junk), "signature": sign(bot.wechat.token, ts, nonce)}
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{junk}]]></Encrypt></xml>"
    assert (await bot.wechat.post_raw(bot.http, params, body)).status == 400
    assert await bot.inbound_count() == 0


async def test_healthz_reports_the_database(start_bot):
    bot = await start_bot()
    async with bot.http.get(bot.server.make_url("/healthz")) as r:
        assert r.status == 200 and (await r.json())["ok"] is True
