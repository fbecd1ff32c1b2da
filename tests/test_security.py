"""Trust boundaries of the webhooks, the sandbox and the files (issue 16's findings 1, 2, 6, 10, 12 and
the production defaults): each test failed on the code before and passes now."""
from __future__ import annotations

import asyncio
import hmac
import os
import stat
import sys
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.app import build_app
from bot.config import ConfigError, Settings
from bot.services import policies
from bot.wechat.simulator import WeChatSimulator, sign
from bot.wecom.simulator import WeComSimulator
from handlers.router import ANY, Router
from handlers.types import Reply
from storage import replay
from storage.db import Database
from storage.models import InboundMessage, ReplayNonce
from tests.conftest import new_aes_key


def echo_router() -> Router:
    router = Router("echo")

    @router.on(ANY)
    async def echo(update, ctx):
        return Reply(text=f"收到：{update.text}")

    return router


async def rows(db, model) -> int:
    async with db.sessions() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


# --- finding 1: the plaintext downgrade and replays ------------------------------------------------------

async def test_with_an_aes_key_a_plaintext_post_is_refused_even_when_signed(start_bot, db):
    bot = await start_bot(router=echo_router())
    plain = WeChatSimulator(url=bot.url, token=bot.wechat.token, clock=bot.wechat.clock)  # no AES: plaintext
    delivery = await plain.post(bot.http, plain.text("o-officer", "待办"))
    assert delivery.status == 403 and "encrypt_type=aes" in delivery.body
    assert await bot.inbound_count() == 0
    assert (await bot.say("o-officer", "待办")).status == 200  # the encrypted path still works


async def test_a_leaked_query_string_cannot_carry_another_body(start_bot, db):
    bot = await start_bot(router=echo_router(), encrypted=False)
    params, body = bot.wechat.signed(bot.wechat.text("o-resident", "你好"))
    first = await bot.wechat.post_raw(bot.http, params, body)
    assert first.status == 200 and first.text == "收到：你好"
    forged = bot.wechat.text("o-officer", "办结 20261127-0001")
    refused = await bot.wechat.post_raw(bot.http, {**params, "openid": "o-officer"}, forged)
    assert refused.status == 403 and "nonce" in refused.body
    assert await bot.inbound_count() == 1


async def test_the_platforms_retry_with_the_same_body_gets_the_same_reply(start_bot, db):
    bot = await start_bot(router=echo_router())
    params, body = bot.wechat.signed(bot.wechat.text("o-resident", "路灯坏了"))
    first = await bot.wechat.post_raw(bot.http, params, body)
    again = await bot.wechat.post_raw(bot.http, params, body)
    assert first.status == again.status == 200 and first.text == again.text == "收到：路灯坏了"
    assert await bot.inbound_count() == 1


async def test_two_encrypted_messages_may_not_share_a_timestamp_and_nonce(start_bot, db, clock):
    bot = await start_bot(router=echo_router())
    at, nonce = int(clock.timestamp()), "424242"
    first = await bot.wechat.post(bot.http, bot.wechat.text("o-a", "一"), timestamp=at, nonce=nonce)
    second = await bot.wechat.post(bot.http, bot.wechat.text("o-b", "二"), timestamp=at, nonce=nonce)
    assert first.status == 200 and second.status == 403


async def test_used_nonces_are_shared_by_every_server_process(start_bot, db):
    """Two applications on one database stand for two server processes behind a load balancer."""
    one = await start_bot(router=echo_router(), encrypted=False)
    two = await start_bot(router=echo_router(), encrypted=False)
    params, body = one.wechat.signed(one.wechat.text("o-resident", "你好"))
    assert (await one.wechat.post_raw(one.http, params, body)).status == 200
    other = two.wechat.text("o-officer", "待办")
    assert (await two.wechat.post_raw(two.http, params, other)).status == 403


async def test_url_verification_checks_the_time_stamp(start_bot, clock):
    bot = await start_bot()
    for age_s, status in ((0, 200), (3600, 403)):
        at, nonce = str(int(clock.timestamp()) - age_s), "77"
        query = {"timestamp": at, "nonce": nonce, "echostr": "e1", "signature": sign(bot.wechat.token, at, nonce)}
        async with bot.http.get(bot.url, params=query) as r:
            assert r.status == status


async def test_expired_nonces_are_purged_by_their_job(start_bot, db, clock):
    bot = await start_bot(router=echo_router())
    assert (await bot.say("o-resident", "你好")).status == 200
    assert await rows(db, ReplayNonce) == 1
    async with db.transaction() as session:
        assert await replay.purge(session, clock()) == 0
        assert await replay.purge(session, clock() + timedelta(seconds=301)) == 1


def wecom_app_settings(settings: Settings) -> Settings:
    return settings.with_(wecom_token="wecom-token", wecom_aes_key=new_aes_key(), wecom_corp_id="wwtest0001",
                          wecom_agent_id="1000002", background=False)


async def start_wecom(db, settings, clock, nlp_services):
    s = wecom_app_settings(settings)
    server = TestServer(build_app(s, db, clock=clock, router=echo_router(), services={**nlp_services,
                                                                                        **policies(s)}),
                        host="127.0.0.1")
    await server.start_server()
    sim = WeComSimulator(url=str(server.make_url("/wecom")), token=s.wecom_token, app_id=s.wecom_corp_id,
                         aes_key=s.wecom_aes_key, agent_id=s.wecom_agent_id, clock=clock.timestamp)
    return server, sim


async def test_wecom_refuses_a_reused_nonce_and_a_stale_verification(db, settings, clock, nlp_services):
    server, sim = await start_wecom(db, settings, clock, nlp_services)
    try:
        async with aiohttp.ClientSession() as http:
            at, nonce = int(clock.timestamp()), "5151"
            first = await sim.post(http, sim.text("zhangsan", "待办"), timestamp=at, nonce=nonce)
            second = await sim.post(http, sim.text("lisi", "待办"), timestamp=at, nonce=nonce)
            assert first.status == 200 and second.status == 403
            stale = sim.verification("hello", timestamp=int(clock.timestamp()) - 3600)
            async with http.get(sim.url, params=stale) as r:
                assert r.status == 403
            async with http.get(sim.url, params=sim.verification("hello")) as r:
                assert r.status == 200 and await r.text() == "hello"
    finally:
        await server.close()


# --- finding 2: a body that arrives in pieces ------------------------------------------------------------

async def test_a_body_sent_in_two_pieces_50_ms_apart_is_read_whole(start_bot, db):
    bot = await start_bot(router=echo_router())
    params, body = bot.wechat.signed(bot.wechat.text("o-slow-network", "井盖丢了"))
    data = body.encode()
    query = "&".join(f"{k}={v}" for k, v in params.items())
    head = (f"POST /wechat?{query} HTTP/1.1\r\nHost: {bot.server.host}\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode()
    reader, writer = await asyncio.open_connection(bot.server.host, bot.server.port)
    writer.write(head + data[:len(data) // 2])
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(data[len(data) // 2:])
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), timeout=15)
    writer.close()
    status_line, _, rest = response.partition(b"\r\n")
    assert b" 200 " in status_line, response[:200]
    reply = bot.wechat.open_reply(rest.split(b"\r\n\r\n", 1)[1].decode())
    assert reply["Content"] == "收到：井盖丢了"
