"""When the database is locked or unreachable the webhook still answers within WeChat's 5 s, with a
short apology instead of a 5xx, and recovers by itself."""
from __future__ import annotations

import asyncio
import sqlite3
import time

import aiohttp
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.services import policies
from bot.wechat.simulator import WeChatSimulator
from storage.db import Database
from storage.models import OutboxMessage
from sqlalchemy import select, text


async def test_a_locked_sqlite_database_gets_an_apology_in_time_and_the_reply_later(tmp_path, settings, clock,
                                                                                      nlp_services):
    url = f"sqlite+aiosqlite:///{tmp_path / 'locked.db'}"
    db = Database(url)
    await db.migrate()
    s = settings.with_(background=False)
    server = TestServer(build_app(s, db, clock=clock, services={**nlp_services, **policies(s)}), host="127.0.0.1")
    await server.start_server()
    sim = WeChatSimulator(url=str(server.make_url("/wechat")), token=s.wechat_token, app_id=s.wechat_app_id,
                          aes_key=s.wechat_aes_key, clock=clock.timestamp)
    blocker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        async with aiohttp.ClientSession() as http:
            started = time.monotonic()
            delivery = await sim.post(http, sim.text("o-locked", "你好"))
            elapsed = time.monotonic() - started
        assert delivery.status == 200 and "繁忙" in delivery.text and elapsed < 5.0
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await asyncio.sleep(1.5)  # the lock is gone: the message is handled and its reply queued as a push
    async with db.sessions() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    assert [(r.user_id, r.kind) for r in rows] == [("o-locked", "reply")] and "我的工单" in rows[0].payload["text"]
    await server.close()
    await db.dispose()


async def test_an_unreachable_database_gets_an_apology_not_a_5xx(settings, clock, nlp_services):
    db = Database("postgresql+asyncpg://nobody:nothing@127.0.0.1:1/none", connect_timeout_s=1.0)
    s = settings.with_(background=False)
    server = TestServer(build_app(s, db, clock=clock, services={**nlp_services, **policies(s)}), host="127.0.0.1")
    await server.start_server()
    sim = WeChatSimulator(url=str(server.make_url("/wechat")), token=s.wechat_token, app_id=s.wechat_app_id,
                          aes_key=s.wechat_aes_key, clock=clock.timestamp)
    async with aiohttp.ClientSession() as http:
        started = time.monotonic()
        deliveries = [await sim.post(http, sim.text(f"o-down-{i}", "你好")) for i in range(3)]
        elapsed = time.monotonic() - started
    assert all(d.status == 200 and "抱歉" in d.text for d in deliveries) and elapsed < 15
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/healthz")) as r:
        assert r.status == 503
    await server.close()
    await db.dispose()


async def test_a_starting_server_opens_its_postgresql_pool_before_the_first_message(db_url):
    db = Database(db_url, pool_size=3)
    await db.warm()
    pool = db.engine.sync_engine.pool
    # PostgreSQL: all three connections open and idle (a burst right after a restart does not pay for
    # handshakes); SQLite: its one connection is opened on first use, nothing to warm
    assert pool.checkedin() == (0 if db.is_sqlite else 3) and pool.overflow() <= 0
    async with db.transaction() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    await db.dispose()
