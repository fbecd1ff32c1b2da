"""Errors sorted by reach: an error about the account's set-up (48001 API not authorised, an IP not on the
allow-list, an invalid template id) pauses the platform's queue, its pushes stay queued, and the queue resumes
by itself once a call goes through; an error about one recipient fails that push alone."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from delivery_kit import fake_wechat, process, push_settings, queue, rows, wrote_at
from test_wecom import fake_wecom, wecom_sender, with_wecom

from backend import staff as staff_mod
from backend.demo import seed_demo
from storage import outbox, pauses
from storage.models import OutboxMessage

RESIDENTS = [f"o-r{i}" for i in range(5)]
RETRY_S = 300
ROOT = Path(__file__).resolve().parent.parent


async def queue_for_all(db, clock) -> None:
    for openid in RESIDENTS:
        await wrote_at(db, openid, clock())
        await queue(db, clock, openid, f"k-{openid}")


async def health(bot) -> tuple[int, dict]:
    async with bot.http.get(bot.server.make_url("/healthz")) as response:
        return response.status, await response.json()


async def test_48001_pauses_the_queue_and_every_push_goes_out_once_when_it_answers_again(
        db, db_url, clock, start_bot, settings):
    bot = await start_bot(settings_=settings.with_(background=False))
    async with fake_wechat(clock) as (fake, base), \
            process(db_url, push_settings(base, outbox_pause_retry_s=RETRY_S), clock) as p:
        await queue_for_all(db, clock)
        fake.fail_next(48001, count=None)  # until the administrator authorises the API
        await p.drain()
        assert {r.status for r in await rows(db)} == {"pending"} and fake.pushes == []
        status, report = await health(bot)
        # degraded, said in the body; 200, so a load balancer does not take the webhook out for it
        assert status == 200 and report["status"] == "degraded" and "staff_undeliverable" in report["degraded"]
        assert report["staff_delivery"]["paused"] == {"wechat": "48001"}

        tried = sum(fake.calls.values())
        clock.advance(seconds=RETRY_S / 2)
        await p.drain()
        assert sum(fake.calls.values()) == tried  # paused: nothing is tried before the slow retry

        clock.advance(seconds=RETRY_S)
        await p.drain()  # one push tried, refused again: still paused, still queued
        assert sum(fake.calls.values()) == tried + 1 and {r.status for r in await rows(db)} == {"pending"}

        fake.clear_faults()
        clock.advance(seconds=RETRY_S)
        await p.drain()
    assert fake.keys() == {f"k-{openid}": 1 for openid in RESIDENTS}
    assert {r.status for r in await rows(db)} == {"sent"}
    async with db.sessions() as session:
        assert await pauses.current(session) == {}
    assert (await health(bot))[1]["status"] == "ok"


async def test_outbox_problems_shows_the_paused_platform_and_its_cause(db, db_url, clock, tmp_path):
    async with fake_wechat(clock) as (fake, base), process(db_url, push_settings(base), clock) as p:
        await queue_for_all(db, clock)
        fake.fail_next(40164, count=None)  # our server's IP is not on the account's allow-list
        await p.drain()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_URL"))}
    env.update(DATA_DIR=str(tmp_path / "data"), DATABASE_URL=db_url)
    result = await asyncio.to_thread(subprocess.run, [sys.executable, "main.py", "outbox", "problems", "--json"],
                                     cwd=ROOT, env=env, text=True, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    [paused] = [r for r in listed if r["status"] == "paused"]
    assert (paused["to"], paused["code"], paused["attempts"]) == ("wechat", "40164", len(RESIDENTS))


async def test_the_pause_tells_supervisors_reachable_elsewhere(db, db_url, clock):
    async with db.transaction() as session:
        await seed_demo(session)
        code = await staff_mod.invite(session, "S12", clock())
        await staff_mod.bind(session, code, "wecom", "sunyue", clock())
    async with fake_wechat(clock) as (fake, base), process(db_url, push_settings(base), clock) as p:
        await queue_for_all(db, clock)
        fake.fail_next(48001, count=None)
        await p.drain()
    alarms = [r for r in await rows(db) if r.platform == "wecom"]
    assert len(alarms) == 1 and alarms[0].user_id == "sunyue" and "48001" in alarms[0].payload["text"]


async def test_an_error_about_one_recipient_fails_that_push_alone(db, db_url, clock):
    async with fake_wechat(clock, unsubscribed={"o-r2"}) as (fake, base), process(db_url, push_settings(base), clock) as p:
        await queue_for_all(db, clock)
        await p.drain()
    by_user: dict[str, OutboxMessage] = {r.user_id: r for r in await rows(db)}
    assert (by_user["o-r2"].status, by_user["o-r2"].error_code) == ("failed", "43004")
    assert {u: r.status for u, r in by_user.items() if u != "o-r2"} == {u: "sent" for u in RESIDENTS if u != "o-r2"}
    async with db.sessions() as session:
        assert await pauses.current(session) == {}


async def test_wecom_60020_pauses_wecom_alone_and_resumes(db, clock, settings):
    async with fake_wecom(clock) as (fake, base):
        wecom = with_wecom(settings, wecom_api_base=base)
        async with wecom_sender(db, wecom, clock) as sender:
            async with db.transaction() as session:
                for name in ("lina", "zhoujie"):
                    outbox.enqueue(session, platform="wecom", user_id=name, kind="urge", payload={"text": "催办"},
                                   idempotency_key=f"urge-{name}", now=clock())
            fake.fail_next(60020, count=None)  # our server's IP is not among the app's trusted IPs
            await sender.tick()
            assert {r.status for r in await rows(db)} == {"pending"}
            async with db.sessions() as session:
                assert {p.platform: p.error_code for p in (await pauses.current(session)).values()} == {"wecom": "60020"}
            fake.clear_faults()
            clock.advance(seconds=301)
            for _ in range(5):
                await sender.tick()
    assert {r.idempotency_key: r.status for r in await rows(db)} == {"urge-lina": "sent", "urge-zhoujie": "sent"}
    assert len(fake.pushes) == 2
