"""The server runs the sender and the job loop: a push written to the outbox reaches WeChat (the fake,
or the sandbox's own fake API that `chat --as` polls), and a job handler registered on the loop runs."""
from __future__ import annotations

import asyncio
import socket

import aiohttp
from aiohttp.test_utils import TestServer
from delivery_kit import fake_wechat, push_settings, queue, rows, wrote_at

from bot.app import FAKE_KEY, build_app, resolve_sandbox
from bot.config import Settings
from bot.background.workers import WORKERS_KEY
from handlers.router import ANY, Router
from handlers.types import Reply
from storage import outbox


def quiet_router() -> Router:
    router = Router("test")

    @router.on(ANY)
    async def echo(update, ctx):
        return Reply(text="收到")

    return router


async def eventually(check, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_the_server_sends_pushes_and_runs_jobs(db, clock):
    async with fake_wechat(clock) as (fake, base):
        settings = push_settings(base, outbox_poll_s=0.02, jobs_poll_s=0.02)
        server = TestServer(build_app(settings, db, clock=clock, router=quiet_router(), services={}),
                            host="127.0.0.1")
        await server.start_server()
        try:
            workers = server.app[WORKERS_KEY]
            await wrote_at(db, "o-app", clock())
            await queue(db, clock, "o-app", "app-1", {"text": "您的工单已办结"})

            async def from_job(session, run):
                outbox.enqueue(session, platform="wechat", user_id="o-app", kind="survey",
                               payload={"text": "请评价"}, idempotency_key="app-job", now=run.now)

            workers.jobs.register("test.ping", from_job)
            await workers.jobs.run_once("test.ping")

            async def both_sent():
                return [r.status for r in await rows(db)] == ["sent", "sent"]

            await eventually(both_sent)
        finally:
            await server.close()
    assert fake.keys() == {"app-1": 1, "app-job": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_sandbox_pushes_show_up_where_chat_polls_them_and_the_48h_rule_holds(db, tmp_path):
    port = free_port()
    settings = resolve_sandbox(Settings(database_url="sqlite+aiosqlite:///unused.db", data_dir=tmp_path,
                                        port=port, outbox_poll_s=0.02))
    app = build_app(settings, db, router=quiet_router(), services={})
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        from datetime import datetime, timezone

        now = datetime.now(timezone.utc)
        await wrote_at(db, "demo-resident", now)
        await queue(db, lambda: now, "demo-resident", "sandbox-1", {"text": "您反映的问题已受理"})
        await queue(db, lambda: now, "stranger", "sandbox-2", {"text": "从未互动"})

        async def settled():
            return all(r.status != "pending" for r in await rows(db))

        await eventually(settled)
        async with aiohttp.ClientSession() as http:
            url = f"{settings.wechat_api_base}/_sandbox/pushes"
            async with http.get(url, params={"openid": "demo-resident", "after": "0"}) as response:
                pushes = await response.json()
        assert [p["body"]["text"]["content"] for p in pushes] == ["您反映的问题已受理"]
        assert {r.idempotency_key: r.status for r in await rows(db)} == {"sandbox-1": "sent",
                                                                          "sandbox-2": "undeliverable"}
        assert app[FAKE_KEY].rejected == []
    finally:
        await server.close()
