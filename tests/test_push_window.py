"""WeChat's 48-hour window and its allowance count from what WeChat counts (a message, subscribe, SCAN, a menu
CLICK, the scan-code menu events), not from every event the webhook logs; template messages carry a
client_msg_id; a stable_token 404 falls back to /cgi-bin/token for that fetch only."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from delivery_kit import APP_ID, APP_SECRET, fake_wechat, process, push_settings, queue, rows, templates_file
from sqlalchemy import bindparam, text
from test_lifecycle_migration import alembic_upgrade

from bot.wechat.api import WeChatAPI
from storage import outbox
from storage.db import Database
from storage.types import UTCDateTime

STATUS_PUSH = {"text": "工单 20261201-0007 已办结。",
               "template": {"kind": "case_status", "fields": {"case_number": "20261201-0007", "status": "已办结",
                                                              "time": "2026-12-01 09:30", "remark": "已办结"}}}
BACKGROUND_EVENTS = (("LOCATION", {"Latitude": "31.82", "Longitude": "117.23", "Precision": "30"}),
                     ("VIEW", {"EventKey": "https://gongzhi.example/h5/cases"}),
                     ("TEMPLATESENDJOBFINISH", {"MsgID": "200163836", "Status": "success"}))


async def event(bot, openid: str, name: str, fields: dict) -> None:
    delivery = await bot.send(bot.wechat.build(openid, "event", {"Event": name, **fields}))
    assert delivery.status == 200


async def test_background_events_do_not_reopen_the_window(start_bot, db, db_url, clock, settings, tmp_path):
    bot = await start_bot(settings_=settings.with_(background=False))
    assert (await bot.say("o-ana", "3栋的路灯修好了吗")).status == 200
    wrote = clock.timestamp()
    clock.advance(hours=47)
    for name, fields in BACKGROUND_EVENTS:  # her phone reports its place, she opens a menu link, a template lands
        await event(bot, "o-ana", name, fields)
        clock.advance(seconds=10)
    async with db.sessions() as session:
        assert (await outbox.last_inbound_at(session, "wechat", "o-ana")).timestamp() == wrote
    clock.advance(hours=2)  # 49 h after her last message: outside the window
    settings_ = push_settings("", wechat_templates_file=templates_file(tmp_path, case_status="template:tpl"))
    async with fake_wechat(clock, enforce_window=True) as (fake, base), \
            process(db_url, settings_.with_(wechat_api_base=base), clock) as p:
        fake.saw_message("o-ana", wrote)  # what WeChat itself counts
        await queue(db, clock, "o-ana", "done-1", STATUS_PUSH)
        await p.drain()
    assert fake.rejected == []  # no customer-service message doomed to 45015
    assert [x["channel"] for x in fake.pushes] == ["template"]


async def test_a_menu_click_and_a_scan_open_the_window(start_bot, db, db_url, clock, settings):
    bot = await start_bot(settings_=settings.with_(background=False))
    assert (await bot.say("o-ben", "你好")).status == 200
    assert (await bot.say("o-cai", "你好")).status == 200
    clock.advance(hours=47)
    await event(bot, "o-ben", "CLICK", {"EventKey": "MY_CASES"})
    await event(bot, "o-cai", "scancode_waitmsg", {"EventKey": "SCAN_REPORT",
                                                    "ScanCodeInfo": {"ScanType": "qrcode", "ScanResult": "x"}})
    clicked = clock.timestamp()
    clock.advance(hours=2)
    async with fake_wechat(clock, enforce_window=True) as (fake, base), process(db_url, push_settings(base), clock) as p:
        for openid in ("o-ben", "o-cai"):
            fake.saw_message(openid, clicked)
            await queue(db, clock, openid, f"k-{openid}", STATUS_PUSH)
        await p.drain()
    assert sorted((x["openid"], x["channel"]) for x in fake.pushes) == [("o-ben", "custom"), ("o-cai", "custom")]


async def test_an_interrupted_template_push_is_sent_again_and_arrives_once(db, db_url, clock, tmp_path):
    settings = push_settings("", wechat_templates_file=templates_file(tmp_path, case_status="template:tpl"),
                             outbox_lease_s=60)
    async with fake_wechat(clock, enforce_window=True) as (fake, base):
        settings = settings.with_(wechat_api_base=base)
        await queue(db, clock, "o-quiet", "status-9", STATUS_PUSH)
        async with process(db_url, settings, clock, name="dies") as doomed:
            cut = DiesAfterTheCall(doomed.sender.adapters["wechat"])
            doomed.sender.register("wechat", cut)
            round_ = asyncio.create_task(doomed.sender.tick())
            await asyncio.wait_for(cut.called.wait(), 10)  # the template went out; the process dies now
            round_.cancel()
            await asyncio.gather(round_, return_exceptions=True)
        clock.advance(seconds=90)  # its lease ran out, within WeChat's 10 minutes for client_msg_id
        async with process(db_url, settings, clock, name="heir") as heir:
            assert await heir.drain() == 1
    assert [x["body"]["client_msg_id"] for x in fake.pushes] == ["status-9"]  # WeChat dropped the repeat
    [row] = await rows(db)
    assert (row.status, row.channel, row.attempts) == ("sent", "template", 2)


class DiesAfterTheCall:
    """A delivery adapter whose process dies right after the API call, before the outcome is recorded."""

    def __init__(self, inner):
        self.inner = inner
        self.resend_safe = inner.resend_safe
        self.called = asyncio.Event()

    async def deliver(self, push):
        await self.inner.deliver(push)
        self.called.set()
        await asyncio.Event().wait()  # never returns: the test cancels the round here


async def test_a_stable_token_404_falls_back_for_that_fetch_only(db, db_url, clock):
    async with fake_wechat(clock, stable_token_available=False) as (fake, base):
        api = WeChatAPI(base, APP_ID, APP_SECRET)
        try:
            await api.fetch_token()  # the gateway answers 404 once
            fake.stable_token_available = True
            await api.fetch_token()
        finally:
            await api.close()
    assert fake.calls["/cgi-bin/stable_token"] == 2 and fake.calls["/cgi-bin/token"] == 1


async def test_events_logged_before_the_migration_stop_opening_the_window(db_url):
    """Rows the old code logged: after 0018 only messages and the events WeChat counts open the window."""
    database = Database(db_url)
    at = bindparam("at", type_=UTCDateTime())
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=50)
    async with database.engine.begin() as conn:
        if not database.is_sqlite:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await conn.run_sync(alembic_upgrade, "0017_join")
        for i, (kind, content) in enumerate([("text", '{"text": "你好"}'), ("event", '{"event": "click"}'),
                                             ("event", '{"event": "location"}'), ("event", "{}")]):
            await conn.execute(text("INSERT INTO inbound_messages (platform, user_id, msg_key, kind, content, "
                                    "received_at, status) VALUES ('wechat', 'o-old', :key, :kind, :content, :at, "
                                    "'done')").bindparams(at),
                               {"key": f"m{i}", "kind": kind, "content": content, "at": t0 + timedelta(hours=i)})
    await database.migrate()
    async with database.sessions() as session:
        assert await outbox.last_inbound_at(session, "wechat", "o-old") == t0 + timedelta(hours=1)  # the click
    await database.dispose()
