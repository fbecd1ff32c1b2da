"""The outbox sender against the fake WeChat API over real HTTP: every push arrives once, in order per
resident, through outages, refusals and a process killed between sending and marking (never twice)."""
from __future__ import annotations

import asyncio

from delivery_kit import templates_file, fake_wechat, process, push_settings, queue, rows, wrote_at

from bot.background.outbox import OutboxSender
from storage import outbox
from storage.models import OutboxMessage


async def test_a_push_goes_out_as_a_customer_service_message_and_is_marked_sent(db, db_url, clock):
    async with fake_wechat(clock) as (fake, base), process(db_url, push_settings(base), clock) as p:
        await wrote_at(db, "o-res-1", clock())
        await queue(db, clock, "o-res-1", "case:1:accepted", {"text": "您的工单已受理"})
        assert await p.drain() == 1
    [push] = fake.pushes
    assert push["body"] == {"touser": "o-res-1", "msgtype": "text", "text": {"content": "您的工单已受理"}}
    assert push["key"] == "case:1:accepted"
    [row] = await rows(db)
    assert (row.status, row.channel, row.attempts, row.lease_owner) == ("sent", "custom", 1, None)
    assert row.sent_at == clock()


async def test_news_goes_out_as_one_article(db, db_url, clock):
    articles = [{"title": "工单 20261127-0012 已办结", "description": "请评价", "url": "https://x/c/12",
                 "image": "https://x/i.jpg"}]
    async with fake_wechat(clock) as (fake, base), process(db_url, push_settings(base), clock) as p:
        await wrote_at(db, "o-news", clock())
        await queue(db, clock, "o-news", "case:12:resolved", {"articles": articles})
        await p.drain()
    [push] = fake.pushes
    assert push["body"]["msgtype"] == "news"
    assert push["body"]["news"]["articles"] == [{"title": "工单 20261127-0012 已办结", "description": "请评价",
                                                 "url": "https://x/c/12", "picurl": "https://x/i.jpg"}]


async def test_api_down_for_a_minute_every_push_arrives_once_in_order_when_it_is_back(db, db_url, clock):
    residents = [f"o-busy-{i}" for i in range(6)]
    async with fake_wechat(clock) as (fake, base), \
            process(db_url, push_settings(base), clock, name="p1", seed=1) as p1, \
            process(db_url, push_settings(base), clock, name="p2", seed=2) as p2:
        for openid in residents:
            await wrote_at(db, openid, clock())
        fake.down_for(60)
        for step in range(3):
            for openid in residents:
                await queue(db, clock, openid, f"{openid}:{step}")
        for _ in range(40):  # two processes, ticking together, while the clock moves 5 s at a time
            await asyncio.gather(p1.drain(), p2.drain())
            if all(r.status == "sent" for r in await rows(db)):
                break
            clock.advance(seconds=5)
    assert fake.calls["/cgi-bin/stable_token"] >= 1 and sum(fake.calls.values()) > 18  # it did fail for a while
    assert sorted(fake.keys().items()) == sorted((f"{o}:{s}", 1) for o in residents for s in range(3))
    for openid in residents:
        texts = [p["body"]["text"]["content"] for p in fake.pushes if p["openid"] == openid]
        assert texts == [f"进度更新 {openid}:{s}" for s in range(3)]
    assert {r.status for r in await rows(db)} == {"sent"}


async def test_transient_errors_are_retried_with_exponential_backoff_and_jitter(db, db_url, clock):
    async with fake_wechat(clock) as (fake, base), process(db_url, push_settings(base), clock) as p:
        await wrote_at(db, "o-retry", clock())
        await queue(db, clock, "o-retry", "k-retry")
        fake.fail_next(-1, count=2)
        fake.fail_next(45009, count=1)
        delays = []
        for attempt in range(1, 5):
            await p.drain()
            [row] = await rows(db)
            if row.status == "sent":
                break
            delays.append((row.next_attempt_at - clock()).total_seconds())
            assert row.error_code in ("-1", "45009") and row.attempts == attempt
            clock.now = row.next_attempt_at
    assert row.status == "sent" and row.attempts == 4
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(30.0, 2.0 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert fake.keys() == {"k-retry": 1}


async def test_nothing_is_sent_again_before_its_backoff_is_over(db, db_url, clock):
    async with fake_wechat(clock) as (fake, base), process(db_url, push_settings(base), clock) as p:
        await wrote_at(db, "o-wait", clock())
        await queue(db, clock, "o-wait", "k-wait")
        fake.fail_next(-1)
        assert await p.drain() == 1
        assert await p.drain() == 0  # still backing off
        clock.advance(seconds=2)
        assert await p.drain() == 1
    assert fake.keys() == {"k-wait": 1}


async def test_permanent_refusal_marks_the_push_failed_with_the_reason_and_the_next_one_proceeds(db, db_url, clock):
    async with fake_wechat(clock, unsubscribed={"o-gone"}, invalid_openids={"o-bad"}) as (fake, base), \
            process(db_url, push_settings(base), clock) as p:
        for openid in ("o-gone", "o-bad"):
            await wrote_at(db, openid, clock())
        await queue(db, clock, "o-gone", "gone-1")
        await queue(db, clock, "o-gone", "gone-2")
        await queue(db, clock, "o-bad", "bad-1")
        await p.drain()
    outcome = {r.idempotency_key: (r.status, r.error_code, r.attempts) for r in await rows(db)}
    assert outcome == {"gone-1": ("failed", "43004", 1), "gone-2": ("failed", "43004", 1),
                       "bad-1": ("failed", "40003", 1)}
    assert "require subscribe" in (await rows(db))[0].last_error
    assert fake.pushes == []


async def test_a_slow_api_times_out_and_the_push_is_retried(db, db_url, clock):
    settings = push_settings("", wechat_api_timeout_s=0.2)
    async with fake_wechat(clock) as (fake, base), process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        await wrote_at(db, "o-slow", clock())
        await p.api.tokens.get()
        await queue(db, clock, "o-slow", "k-slow")
        fake.slow(0.5, count=1)
        await p.drain()
        [row] = await rows(db)
        assert (row.status, row.error_code) == ("pending", "network")
        clock.now = row.next_attempt_at
        await p.drain()
    assert fake.keys() == {"k-slow": 1}
    assert (await rows(db))[0].status == "sent"


async def test_a_push_failing_past_the_give_up_time_is_marked_failed_not_dropped(db, db_url, clock, tmp_path):
    settings = push_settings("", outbox_give_up_s=300,
                             wechat_templates_file=templates_file(tmp_path, case_status="template:tpl-status"))
    async with fake_wechat(clock) as (fake, base), process(db_url, settings.with_(wechat_api_base=base), clock) as p:
        await queue(db, clock, "o-never", "k-never", {"text": "x", "template": {"kind": "case_status", "fields": {}}})
        fake.down_for(3 * 86400)
        for _ in range(100):
            await p.drain()
            [row] = await rows(db)
            if row.status != "pending":
                break
            clock.now = row.next_attempt_at
    assert (row.status, row.error_code) == ("failed", "gave_up")
    assert "http_503" in row.last_error


class CrashAfterSending:
    """Wraps an adapter: after the push with `key` is delivered, the process 'dies' before marking it."""

    def __init__(self, inner, key: str):
        self.inner, self.key = inner, key
        self.crashed = asyncio.Event()

    async def deliver(self, push):
        outcome = await self.inner.deliver(push)
        if push.idempotency_key == self.key:
            self.crashed.set()
            await asyncio.Event().wait()  # never returns: the test cancels the process here
        return outcome


async def _killed_mid_send(db, db_url, clock, fake, settings, wrap=lambda adapter: adapter):
    """Five pushes; the sending process dies inside the API call of the third (after WeChat has it)."""
    for i in range(5):
        await wrote_at(db, f"o-crash-{i}", clock())
        await queue(db, clock, f"o-crash-{i}", f"crash-{i}")
    async with process(db_url, settings, clock, name="doomed") as doomed:
        crash = CrashAfterSending(wrap(doomed.sender.adapters["wechat"]), "crash-2")
        doomed.sender.register("wechat", crash)
        round_ = asyncio.create_task(doomed.sender.tick())
        await asyncio.wait_for(crash.crashed.wait(), 10)
        round_.cancel()
        await asyncio.gather(round_, return_exceptions=True)
    assert sorted(fake.keys()) == ["crash-0", "crash-1", "crash-2"]


async def test_a_push_cut_off_by_a_crash_mid_call_is_not_sent_twice_and_the_rest_go_out(db, db_url, clock):
    settings = push_settings("", outbox_concurrency=1)
    async with fake_wechat(clock) as (fake, base):
        settings = settings.with_(wechat_api_base=base)
        await _killed_mid_send(db, db_url, clock, fake, settings)
        async with process(db_url, settings, clock, name="heir") as heir:
            assert await heir.drain() == 0  # the dead process's lease still holds
            clock.advance(seconds=61)
            assert await heir.drain() == 2  # the two it had claimed but not begun
            async with db.sessions() as session:
                problems = await outbox.delivery_problems(session)
    assert fake.keys() == {"crash-0": 1, "crash-1": 1, "crash-2": 1, "crash-3": 1, "crash-4": 1}
    assert {r.idempotency_key: r.status for r in await rows(db)} == {
        "crash-0": "sent", "crash-1": "sent", "crash-2": "interrupted", "crash-3": "sent", "crash-4": "sent"}
    assert [(p.user_id, p.status, p.error_code) for p in problems] == [("o-crash-2", "interrupted", "interrupted")]


class ResendSafe:
    """An adapter for a platform that drops repeats itself (as WeCom's duplicate check does)."""

    resend_safe = True

    def __init__(self, inner):
        self.inner = inner

    async def deliver(self, push):
        return await self.inner.deliver(push)


async def test_on_a_platform_that_drops_repeats_the_cut_off_push_is_sent_again(db, db_url, clock):
    settings = push_settings("", outbox_concurrency=1)
    async with fake_wechat(clock) as (fake, base):
        settings = settings.with_(wechat_api_base=base)
        await _killed_mid_send(db, db_url, clock, fake, settings, wrap=ResendSafe)
        async with process(db_url, settings, clock, name="heir") as heir:
            heir.sender.register("wechat", ResendSafe(heir.sender.adapters["wechat"]))
            clock.advance(seconds=61)
            assert await heir.drain() == 3
    assert fake.keys() == {"crash-0": 1, "crash-1": 1, "crash-2": 2, "crash-3": 1, "crash-4": 1}
    assert {r.status for r in await rows(db)} == {"sent"}


async def test_rows_for_a_platform_without_an_adapter_wait_for_a_process_that_has_one(db, db_url, clock):
    async with fake_wechat(clock) as (fake, base), process(db_url, push_settings(base), clock) as p:
        async with db.transaction() as session:
            session.add(OutboxMessage(platform="wecom", user_id="officer-1", kind="dispatch", payload={"text": "x"},
                                      idempotency_key="wecom-1", status="pending", attempts=0,
                                      next_attempt_at=clock(), created_at=clock()))
        assert await p.drain() == 0
        later = OutboxSender(p.db, clock=clock, owner="wecom-capable")

        class Recorder:
            sent: list = []

            async def deliver(self, push):
                from bot.background.outbox import Sent
                self.sent.append(push.idempotency_key)
                return Sent("textcard")

        later.register("wecom", Recorder())
        assert await later.tick() == 1
    [row] = await rows(db)
    assert (row.status, row.channel) == ("sent", "textcard")
