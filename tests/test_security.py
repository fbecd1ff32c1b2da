"""Trust boundaries of the webhooks, the sandbox, the files and the production defaults (SECURITY.md):
who may cross each, and what is refused."""
from __future__ import annotations

import asyncio
import hmac
import os
import stat
import sys

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.app import build_app
from bot.background.jobs import JobRunner, registered_handlers
from bot.background.standing import job_loop_jobs
from bot.config import ConfigError, Settings
from bot.services import policies
from bot.wechat.simulator import WeChatSimulator, sign
from bot.wecom.simulator import WeComSimulator
from handlers.router import ANY, Router
from handlers.types import Reply
from storage import replay
from storage.db import Database
from storage.models import ReplayNonce
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


# --- webhooks: the plaintext downgrade and replays ------------------------------------------------------

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


async def test_an_encrypted_body_swapped_under_a_used_query_fails_its_signature_and_no_nonce_is_kept(start_bot, db):
    """msg_signature covers the encrypted body: a leaked query string carries no other message, so encrypted
    requests cost no nonce row (a retry of the same body is deduped by the inbound log)."""
    bot = await start_bot(router=echo_router())
    params, body = bot.wechat.signed(bot.wechat.text("o-a", "一"))
    _, other = bot.wechat.signed(bot.wechat.text("o-b", "二"))
    assert (await bot.wechat.post_raw(bot.http, params, body)).status == 200
    assert (await bot.wechat.post_raw(bot.http, params, other)).status == 403
    assert (await bot.wechat.post_raw(bot.http, params, body)).text == "收到：一"  # the retry, answered again
    assert await bot.inbound_count() == 1 and await rows(db, ReplayNonce) == 0


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


async def test_expired_nonces_are_purged_by_their_job(start_bot, db, settings, clock):
    """The purge the job loop schedules for itself (standing.job_loop_jobs) runs through the job loop."""
    bot = await start_bot(router=echo_router(), encrypted=False)
    assert (await bot.say("o-resident", "你好")).status == 200
    assert await rows(db, ReplayNonce) == 1
    runner = JobRunner(db, clock=clock, owner="test")
    runner.include(registered_handlers())
    async with db.transaction() as session:
        for schedule in job_loop_jobs(settings):
            await schedule(session, clock())
    await runner.tick()
    assert await rows(db, ReplayNonce) == 1  # not yet due, not yet expired
    clock.advance(seconds=replay.PURGE_EVERY_S + 1)
    await runner.tick()
    assert await rows(db, ReplayNonce) == 0


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


async def test_wecom_refuses_a_swapped_body_and_a_stale_verification(db, settings, clock, nlp_services):
    server, sim = await start_wecom(db, settings, clock, nlp_services)
    try:
        async with aiohttp.ClientSession() as http:
            params, body = sim.signed(sim.text("zhangsan", "待办"))
            _, other = sim.signed(sim.text("lisi", "待办"))
            assert (await sim.post_raw(http, params, body)).status == 200
            assert (await sim.post_raw(http, params, other)).status == 403  # msg_signature covers the body
            stale = sim.verification("hello", timestamp=int(clock.timestamp()) - 3600)
            async with http.get(sim.url, params=stale) as r:
                assert r.status == 403
            async with http.get(sim.url, params=sim.verification("hello")) as r:
                assert r.status == 200 and await r.text() == "hello"
    finally:
        await server.close()


# --- webhooks: a body that arrives in pieces ---------------------------------------------------------------

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


# --- production defaults, the sandbox, files -----------------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_main(*args: str, env: dict, tmp_path, timeout: float = 60):
    import subprocess

    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("WECHAT_", "WECOM_", "DATABASE_URL", "PORT", "HOST", "SMS_", "LOG_", "SANDBOX_"))}
    base.update(DATA_DIR=str(tmp_path / "data"), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/data/g.db", **env)
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=base, text=True, capture_output=True,
                          timeout=timeout)


@pytest.mark.parametrize("env, says", [
    ({"WECHAT_TOKEN": "t", "SMS_SENDER": "log"}, "SMS_SENDER=log"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"HOST": "0.0.0.0"}, "SANDBOX_PUBLIC"),
])
def test_unsafe_or_bad_settings_refuse_to_start_with_one_line(tmp_path, env, says):
    result = run_main("migrate", env=env, tmp_path=tmp_path)
    assert result.returncode == 2 and says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_production_never_uses_the_log_sms_sender_and_the_sandbox_may_be_opened_on_purpose():
    assert Settings.from_env({"WECHAT_TOKEN": "t"}).sms_sender_name == "off"
    assert Settings.from_env({}).sms_sender_name == "log"  # sandbox: the developer reads the code in the log
    assert Settings.from_env({"HOST": "0.0.0.0", "SANDBOX_PUBLIC": "1"}).host == "0.0.0.0"
    with pytest.raises(ConfigError):
        Settings.from_env({"HOST": "192.168.1.20"})


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_second_server_on_a_busy_port_says_so_in_one_line_before_anything_starts(tmp_path, workers):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_main("serve", "--workers", workers, env={"PORT": str(port)}, tmp_path=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "PORT" in lines[0], lines
    assert "job loop" not in result.stdout + result.stderr


async def test_the_sandbox_api_answers_its_own_page_only(start_bot, settings):
    bot = await start_bot(settings_=settings.with_(background=False, extra={"sandbox": True}))
    send = str(bot.server.make_url("/sandbox/api/send"))
    own = f"http://{bot.server.host}:{bot.server.port}"
    payload = '{"openid": "sandbox-staff-S01", "text": "待办"}'
    for headers, status in (({"Origin": "http://evil.example", "Content-Type": "application/json"}, 403),
                            ({"Origin": "null", "Content-Type": "text/plain"}, 403),
                            ({"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, 403),
                            ({"Content-Type": "text/plain"}, 415),
                            ({"Origin": own, "Content-Type": "application/json"}, 200)):
        async with bot.http.post(send, data=payload, headers=headers) as r:
            assert r.status == status, (headers, await r.text())
    pushes = str(bot.server.make_url("/sandbox/api/pushes"))
    async with bot.http.get(pushes, params={"openid": "x"}, headers={"Origin": "http://evil.example"}) as r:
        assert r.status == 403


async def test_metrics_token_is_compared_in_constant_time(start_bot, settings, monkeypatch):
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    bot = await start_bot(settings_=settings.with_(background=False, metrics_token="s3cret"))
    async with bot.http.get(bot.server.make_url("/metrics"), headers={"Authorization": "Bearer s3creX"}) as r:
        assert r.status == 401
    async with bot.http.get(bot.server.make_url("/metrics"), headers={"Authorization": "Bearer s3cret"}) as r:
        assert r.status == 200
    assert len(compared) == 2


async def test_healthz_says_which_part_is_degraded_never_the_error(settings, clock, nlp_services):
    db = Database("postgresql+asyncpg://nobody:hunter2@127.0.0.1:1/none", connect_timeout_s=1.0)
    s = settings.with_(background=False)
    server = TestServer(build_app(s, db, clock=clock, services={**nlp_services, **policies(s)}), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http, http.get(server.make_url("/healthz")) as r:
            body = await r.json()
        assert r.status == 503 and body["status"] == "degraded" and body["degraded"] == ["database"]
        assert body["database"] == "unavailable"
        assert "hunter2" not in str(body) and "refused" not in str(body).lower() and "127.0.0.1" not in str(body)
    finally:
        await server.close()
        await db.dispose()


async def test_data_files_and_folders_are_private(tmp_path):
    from bot.background.media import _write
    from bot.sandbox.credentials import load_or_create

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/new/data/g.db")
    await db.migrate()
    await db.dispose()
    _write(tmp_path / "new" / "data" / "media" / "12" / "1-photo.jpg", b"\xff\xd8")
    load_or_create(tmp_path / "new" / "sandbox")
    private = [tmp_path / "new" / "data" / "g.db", tmp_path / "new" / "data" / "media" / "12" / "1-photo.jpg",
               tmp_path / "new" / "sandbox" / "sandbox.json"]
    folders = [tmp_path / "new", tmp_path / "new" / "data", tmp_path / "new" / "data" / "media",
               tmp_path / "new" / "data" / "media" / "12", tmp_path / "new" / "sandbox"]
    assert {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in private} == {str(p): "0o600" for p in private}
    assert {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in folders} == {str(p): "0o700" for p in folders}


async def test_chat_shows_a_prompt_and_only_pushes_that_come_after_it_started(capsys):
    from bot.sandbox.fake_wechat import FakeWeChat
    from cli.chat_client import PROMPT, _last_push, _show_pushes

    fake = FakeWeChat("wxapp", "secret")
    fake.pushes.append({"id": 1, "openid": "me", "channel": "custom", "body": {"text": {"content": "上次的推送"}}})
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession() as http:
            watcher = asyncio.create_task(_show_pushes(http, base, "me", await _last_push(http, base, "me")))
            await asyncio.sleep(0.3)
            fake.pushes.append({"id": 2, "openid": "me", "channel": "custom", "body": {"text": {"content": "新推送"}}})
            await asyncio.sleep(1.5)
            watcher.cancel()
    finally:
        await server.close()
    shown = capsys.readouterr().out
    assert "新推送" in shown and "上次的推送" not in shown and shown.rstrip().endswith(PROMPT.strip())
