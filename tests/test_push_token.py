"""One access token for every process: fetched once, refreshed ahead of expiry by the lease holder,
refreshed exactly once when WeChat refuses it."""
from __future__ import annotations

import asyncio

from delivery_kit import fake_wechat, process, push_settings, queue, rows, wrote_at
from sqlalchemy import select

from storage.models import AccessToken


async def busy_residents(db, clock, count: int, prefix: str) -> None:
    for i in range(count):
        await wrote_at(db, f"o-{prefix}-{i}", clock())
        await queue(db, clock, f"o-{prefix}-{i}", f"{prefix}-{i}")


async def stored_token(db) -> AccessToken:
    async with db.sessions() as session:
        return (await session.execute(select(AccessToken))).scalar_one()


async def test_two_sender_processes_share_one_token_fetched_once(db, db_url, clock):
    async with fake_wechat(clock) as (fake, base), \
            process(db_url, push_settings(base), clock, name="p1") as p1, \
            process(db_url, push_settings(base), clock, name="p2") as p2:
        await busy_residents(db, clock, 12, "share")
        await asyncio.gather(p1.drain(), p2.drain())
        await asyncio.gather(p1.api.tokens.get(), p2.api.tokens.get())
    assert fake.token_fetches == 1
    assert fake.keys() == {f"share-{i}": 1 for i in range(12)}
    assert (await stored_token(db)).fetches == 1


async def test_refused_token_40001_is_refreshed_once_and_the_push_retried(db, db_url, clock):
    async with fake_wechat(clock) as (fake, base), \
            process(db_url, push_settings(base), clock, name="p1") as p1, \
            process(db_url, push_settings(base), clock, name="p2") as p2:
        await busy_residents(db, clock, 1, "before")
        await p1.drain()
        fake.revoke_tokens()  # e.g. someone fetched a token with /cgi-bin/token elsewhere
        await busy_residents(db, clock, 8, "after")
        await asyncio.gather(p1.drain(), p2.drain())
    assert [(r.idempotency_key, r.last_error) for r in await rows(db) if r.status != "sent"] == []
    assert fake.token_fetches == 2
    assert any(r["errcode"] == 40001 for r in fake.rejected)
    assert fake.keys() == {"before-0": 1, **{f"after-{i}": 1 for i in range(8)}}
    assert {(r.status, r.attempts) for r in await rows(db)} == {("sent", 1)}


async def test_token_is_refreshed_ahead_of_expiry_without_a_refusal(db, db_url, clock):
    async with fake_wechat(clock) as (fake, base), process(db_url, push_settings(base), clock) as p:
        await busy_residents(db, clock, 1, "early")
        await p.drain()
        clock.advance(seconds=7200 - 200)  # 200 s left: inside the 300 s refresh margin
        await busy_residents(db, clock, 1, "late")
        await p.drain()
        clock.advance(seconds=10)
        await busy_residents(db, clock, 1, "later")
        await p.drain()
    assert fake.token_fetches == 2 and fake.rejected == []
    assert set(fake.keys()) == {"early-0", "late-0", "later-0"}


async def test_a_process_restarting_uses_the_stored_token(db, db_url, clock):
    async with fake_wechat(clock) as (fake, base):
        async with process(db_url, push_settings(base), clock) as first:
            await busy_residents(db, clock, 1, "first")
            await first.drain()
        async with process(db_url, push_settings(base), clock) as second:
            await busy_residents(db, clock, 1, "second")
            await second.drain()
    assert fake.token_fetches == 1 and len(fake.pushes) == 2


async def test_without_stable_token_the_client_falls_back_to_cgi_bin_token(db, db_url, clock):
    async with fake_wechat(clock, stable_token_available=False) as (fake, base), \
            process(db_url, push_settings(base), clock) as p:
        await busy_residents(db, clock, 2, "old")
        await p.drain()
    assert fake.calls["/cgi-bin/token"] == 1 and fake.calls["/cgi-bin/stable_token"] == 1
    assert len(fake.pushes) == 2


async def test_a_wrong_app_secret_keeps_pushes_pending_instead_of_failing_them(db, db_url, clock):
    async with fake_wechat(clock) as (fake, base), \
            process(db_url, push_settings(base, wechat_app_secret="wrong"), clock) as p:
        await busy_residents(db, clock, 1, "secret")
        await p.drain()
    [row] = await rows(db)
    assert (row.status, row.error_code) == ("pending", "token_40125")
