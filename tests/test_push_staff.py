"""Every push that matters to staff has a route: WeCom when bound, else WeChat's customer-service message
inside the window, else the template configured for its kind; when none can carry it, an alarm (the other
supervisors told, /healthz degraded, a warning at start) rather than a silent `undeliverable` row."""
from __future__ import annotations

import logging

from delivery_kit import fake_wechat, process, push_settings, templates_file
from sqlalchemy import select

from backend import staff as staff_mod
from backend.pushes import STAFF_KINDS
from backend.workflow import notify_staff
from storage.models import OutboxMessage

WINDOW_S = 60  # a short customer-service window, so "silent for longer than it" is two minutes
REPORT = ("滨湖欣园3栋楼下有人占道摆摊卖水果，每天下午都在", "1")  # 滨湖欣园 is 李娜's (S02) compound
DISPATCH_KEYWORDS = ("character_string1", "thing2", "time3", "thing4")


async def silent_officer(town, clock):
    """李娜 (S02) binds on WeChat, then says nothing for twice the window; a resident then reports a case at
    her compound. Returns the case number and when she last wrote."""
    await town.start(wechat_cs_window_s=WINDOW_S)
    await town.officer("S02", "o-lina")
    wrote = clock.timestamp()
    clock.advance(seconds=2 * WINDOW_S)
    number = await town.report("o-res", *REPORT)
    return number, wrote


async def test_an_officer_silent_past_the_window_gets_the_new_case_by_template(town, db, db_url, clock, tmp_path):
    number, wrote = await silent_officer(town, clock)
    settings = push_settings("", wechat_cs_window_s=WINDOW_S,
                             wechat_templates_file=templates_file(tmp_path, dispatch="template:tpl-dispatch"))
    async with fake_wechat(clock, enforce_window=True, window_s=WINDOW_S, known_templates={"tpl-dispatch"},
                           template_keywords={"tpl-dispatch": DISPATCH_KEYWORDS}) as (fake, base), \
            process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        fake.saw_message("o-lina", wrote)
        await p.drain()
    [push] = [x for x in fake.pushes if x["openid"] == "o-lina"]
    assert push["channel"] == "template" and push["body"]["template_id"] == "tpl-dispatch"
    data = {k: v["value"] for k, v in push["body"]["data"].items()}
    assert data["character_string1"] == number and "滨湖欣园" in data["thing2"] and len(data["thing4"]) <= 20
    assert not [r for r in fake.rejected if r["openid"] == "o-lina"]  # no doomed customer-service try first
    [row] = [r for r in await town.pushes("o-lina") if r.kind == "dispatch"]
    assert (row.status, row.channel) == ("sent", "template")
    assert push["body"]["client_msg_id"] == row.idempotency_key  # a resend within 10 minutes is dropped


async def test_with_no_template_the_supervisor_is_alerted_and_healthz_is_degraded(town, db, db_url, clock):
    number, wrote = await silent_officer(town, clock)
    await town.officer("S12", "o-sunyue")  # the supervisor wrote just now: inside her window
    async with town.bot.http.get(town.bot.server.make_url("/healthz")) as response:
        assert response.status == 200
    settings = push_settings("", wechat_cs_window_s=WINDOW_S)
    async with fake_wechat(clock, enforce_window=True, window_s=WINDOW_S) as (fake, base), \
            process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        fake.saw_message("o-lina", wrote)
        fake.saw_message("o-sunyue")
        await p.drain()
    assert not [x for x in fake.pushes if x["openid"] == "o-lina"]
    [alarm] = [x for x in fake.pushes if x["openid"] == "o-sunyue" and "通知未送达" in x["body"]["text"]["content"]]
    assert "李娜" in alarm["body"]["text"]["content"] and number in alarm["body"]["text"]["content"]
    async with town.bot.http.get(town.bot.server.make_url("/healthz")) as response:
        health = await response.json()
    assert response.status == 200 and health["status"] == "degraded" and "staff_undeliverable" in health["degraded"]
    assert health["staff_delivery"]["staff_unreached"] == 1


async def test_a_later_push_that_arrives_clears_the_alarm(town, db, db_url, clock):
    number, wrote = await silent_officer(town, clock)
    settings = push_settings("", wechat_cs_window_s=WINDOW_S)
    async with fake_wechat(clock, enforce_window=True, window_s=WINDOW_S) as (fake, base), \
            process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        fake.saw_message("o-lina", wrote)
        await p.drain()
        assert (await health_of(town))["degraded"] == ["staff_undeliverable"]
        await town.person("o-lina").say(f"接单 {number}")  # she writes again: her window opens
        fake.saw_message("o-lina")
        async with db.transaction() as session:
            await notify_staff(session, "S02", "urge", "【居民催办】测试", clock(), key="urge-after")
        await p.drain()
    assert (await health_of(town))["degraded"] == []


async def health_of(town) -> dict:
    async with town.bot.http.get(town.bot.server.make_url("/healthz")) as response:
        return await response.json()


async def test_start_up_warns_about_an_officer_bound_on_wechat_only_without_templates(start_bot, db, settings, clock,
                                                                                      tmp_path, caplog):
    from backend.demo import seed_demo

    async with db.transaction() as session:
        await seed_demo(session)
        code = await staff_mod.invite(session, "S02", clock())
        await staff_mod.bind(session, code, "wechat", "o-lina", clock())
    caplog.set_level(logging.WARNING, logger="bot.background.workers")
    await start_bot(settings_=settings.with_(background=True))
    warned = [r.getMessage() for r in caplog.records if "S02" in r.getMessage()]
    assert len(warned) == 1 and "WeChat only" in warned[0] and "dispatch" in warned[0]

    caplog.clear()
    every_kind = templates_file(tmp_path, **{kind: f"template:tpl-{kind}" for kind in STAFF_KINDS})
    await start_bot(settings_=settings.with_(background=True, wechat_templates_file=every_kind))
    assert not [r for r in caplog.records if "S02" in r.getMessage()]


async def test_a_staff_push_refused_for_the_recipient_alone_alerts_the_supervisor(town, db, db_url, clock):
    await town.start()
    await town.officer("S02", "o-lina")
    await town.officer("S12", "o-sunyue")
    number = await town.report("o-res", *REPORT)
    async with fake_wechat(clock, unsubscribed={"o-lina"}) as (fake, base), \
            process(db_url, push_settings(base), clock) as p:
        await p.drain()
    async with db.sessions() as session:
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.user_id == "o-lina",
                                                                  OutboxMessage.kind == "dispatch"))).scalars().all()
    assert [(r.status, r.error_code) for r in rows] == [("failed", "43004")]
    [alarm] = [x for x in fake.pushes if x["openid"] == "o-sunyue" and "通知未送达" in x["body"]["text"]["content"]]
    assert number in alarm["body"]["text"]["content"] and "43004" in alarm["body"]["text"]["content"]
