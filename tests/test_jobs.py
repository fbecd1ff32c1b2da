"""The job loop: a job runs once across processes, its writes commit with its completion, failures
are retried with backoff and parked, and jobs survive restarts."""
from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.background.jobs import JobPolicy, JobRunner
from storage import jobs, outbox
from storage.db import Database
from storage.models import Job, OutboxMessage


def runner_for(db: Database, clock, *, name: str = "loop", **policy) -> JobRunner:
    values = dict(retry_base_s=10.0, retry_max_s=60.0, max_attempts=3, lease_s=120.0)
    values.update(policy)
    return JobRunner(db, clock=clock, owner=name, policy=JobPolicy(**values), rng=random.Random(3))


async def schedule(db, clock, kind: str, *, key: str | None = None, payload: dict | None = None,
                   after_s: float = 0, **options) -> int:
    async with db.transaction() as session:
        return await jobs.schedule(session, kind, clock() + timedelta(seconds=after_s), payload or {}, key=key,
                                   now=clock(), **options)


async def job(db, job_id: int) -> Job:
    async with db.sessions() as session:
        return await session.get(Job, job_id)


async def outbox_count(db) -> int:
    async with db.sessions() as session:
        return (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()


def survey_handler(ran: list):
    """A handler like the survey's: writes a push to the outbox for the job's resident."""

    async def send_survey(session, run: jobs.JobRun) -> None:
        ran.append(run.id)
        outbox.enqueue(session, platform="wechat", user_id=run.payload["openid"], kind="survey",
                       payload={"text": "请您对本次办理进行评价"}, idempotency_key=f"survey:{run.id}", now=run.now)

    return send_survey


async def test_each_job_runs_once_with_two_loops(db, db_url, clock):
    ran: list[int] = []
    ids = [await schedule(db, clock, "test.ping", payload={"openid": f"o-{i}"}) for i in range(30)]
    second_db = Database(db_url)
    try:
        loops = [runner_for(db, clock, name="a", batch=4), runner_for(second_db, clock, name="b", batch=4)]
        for loop in loops:
            loop.register("test.ping", survey_handler(ran))
        for _ in range(20):
            counts = await asyncio.gather(*(loop.tick() for loop in loops))
            if sum(counts) == 0:
                break
    finally:
        await second_db.dispose()
    assert sorted(ran) == ids
    assert await outbox_count(db) == 30
    assert {(await job(db, i)).status for i in ids} == {"done"}


async def test_a_job_is_not_run_before_it_is_due(db, clock):
    ran: list[int] = []
    runner = runner_for(db, clock)
    runner.register("test.ping", survey_handler(ran))
    job_id = await schedule(db, clock, "test.ping", payload={"openid": "o-1"}, after_s=7200)
    assert await runner.tick() == 0
    clock.advance(seconds=7200)
    assert await runner.tick() == 1 and ran == [job_id]


async def test_a_failing_job_is_retried_with_backoff_then_parked_with_its_error(db, clock):
    attempts: list[int] = []
    runner = runner_for(db, clock)

    @runner.handlers.handler("sla.deadline")
    async def broken(session, run):
        attempts.append(run.attempt)
        outbox.enqueue(session, platform="wechat", user_id="o-x", kind="sla", payload={"text": "x"},
                       idempotency_key=f"sla:{run.attempt}", now=run.now)
        raise RuntimeError("supervisor lookup failed")

    job_id = await schedule(db, clock, "sla.deadline", key="sla:case:9")
    delays = []
    for _ in range(5):
        await runner.tick()
        row = await job(db, job_id)
        if row.status != "pending":
            break
        delays.append((row.due_at - clock()).total_seconds())
        clock.now = row.due_at
    assert attempts == [1, 2, 3]
    assert (row.status, row.attempts) == ("parked", 3)
    assert "RuntimeError: supervisor lookup failed" in row.last_error
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20
    assert await outbox_count(db) == 0  # the failed runs' writes were rolled back
    async with db.transaction() as session:
        assert [j.id for j in await jobs.parked(session)] == [job_id]
        assert await jobs.unpark(session, job_id, now=clock())
    assert (await job(db, job_id)).status == "pending"


async def test_a_job_that_fails_once_then_succeeds_commits_only_the_successful_run(db, clock):
    runner = runner_for(db, clock)
    calls = []

    @runner.handlers.handler("revisit.due")
    async def flaky(session, run):
        calls.append(run.attempt)
        outbox.enqueue(session, platform="wechat", user_id="o-r", kind="revisit", payload={"text": "回访"},
                       idempotency_key=f"revisit:{run.id}", now=run.now)
        if run.attempt == 1:
            raise ConnectionError("lost the database for a moment")

    job_id = await schedule(db, clock, "revisit.due")
    await runner.tick()
    clock.now = (await job(db, job_id)).due_at
    await runner.tick()
    assert calls == [1, 2] and (await job(db, job_id)).status == "done"
    assert await outbox_count(db) == 1


async def test_jobs_survive_a_restart(db, db_url, clock):
    job_id = await schedule(db, clock, "test.ping", payload={"openid": "o-restart"}, after_s=60)
    await db.dispose()
    clock.advance(seconds=120)
    restarted = Database(db_url)
    ran: list[int] = []
    try:
        runner = runner_for(restarted, clock)
        runner.register("test.ping", survey_handler(ran))
        assert await runner.tick() == 1
    finally:
        await restarted.dispose()
    assert ran == [job_id]


async def test_a_process_dying_mid_job_leaves_it_to_another_after_the_lease(db, db_url, clock):
    started = asyncio.Event()
    ran: list[int] = []
    doomed = runner_for(db, clock, name="doomed")

    @doomed.handlers.handler("test.ping")
    async def hangs(session, run):
        outbox.enqueue(session, platform="wechat", user_id="o-d", kind="survey", payload={"text": "x"},
                       idempotency_key="half-done", now=run.now)
        started.set()
        await asyncio.Event().wait()

    job_id = await schedule(db, clock, "test.ping", payload={"openid": "o-d"})
    task = asyncio.create_task(doomed.tick())
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    heir_db = Database(db_url)
    try:
        heir = runner_for(heir_db, clock, name="heir")
        heir.register("test.ping", survey_handler(ran))
        assert await heir.tick() == 0  # the lease still holds
        clock.advance(seconds=121)
        assert await heir.tick() == 1
    finally:
        await heir_db.dispose()
    assert ran == [job_id] and (await job(db, job_id)).attempts == 2
    async with db.sessions() as session:
        assert [r.idempotency_key for r in (await session.execute(select(OutboxMessage))).scalars()] == \
            [f"survey:{job_id}"]


async def test_scheduling_is_idempotent_on_key_replace_moves_it_and_cancel_stops_it(db, clock):
    first = await schedule(db, clock, "sla.deadline", key="sla:7:respond", after_s=60, payload={"v": 1})
    again = await schedule(db, clock, "sla.deadline", key="sla:7:respond", after_s=999, payload={"v": 2})
    assert first == again and (await job(db, first)).payload == {"v": 1}
    moved = await schedule(db, clock, "sla.deadline", key="sla:7:respond", after_s=300, payload={"v": 3},
                           replace=True)
    row = await job(db, moved)
    assert moved == first and row.payload == {"v": 3} and row.due_at == clock() + timedelta(seconds=300)
    async with db.transaction() as session:
        assert await jobs.cancel(session, "sla:7:respond", now=clock())
        assert not await jobs.cancel(session, "sla:7:respond")
    runner = runner_for(db, clock)
    runner.register("sla.deadline", survey_handler([]))
    clock.advance(seconds=400)
    assert await runner.tick() == 0 and (await job(db, first)).status == "cancelled"


async def test_a_job_scheduled_in_a_transaction_that_rolls_back_does_not_exist(db, clock):
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await jobs.schedule(session, "test.ping", clock(), {}, key="never")
            raise RuntimeError("the case change failed")
    async with db.sessions() as session:
        assert await jobs.find(session, "never") is None


async def test_repeating_job_runs_every_period_without_making_up_missed_runs(db, clock):
    runs = []
    runner = runner_for(db, clock)

    @runner.handlers.handler("charging.sweep")
    async def sweep(session, run):
        runs.append(run.now)

    start = clock()
    job_id = await runner.run_repeating("charging.sweep", every_s=60)
    assert await runner.run_repeating("charging.sweep", every_s=60) == job_id  # every process may call it
    assert await runner.tick() == 1
    assert (await job(db, job_id)).due_at == start + timedelta(seconds=60)
    clock.advance(seconds=30)
    assert await runner.tick() == 0
    clock.advance(seconds=300)  # four periods missed: one run, then back on the grid
    assert await runner.tick() == 1
    assert (await job(db, job_id)).due_at == start + timedelta(seconds=360)
    assert len(runs) == 2 and (await job(db, job_id)).status == "pending"


async def test_a_kind_this_process_cannot_handle_is_left_for_one_that_can(db, clock):
    job_id = await runner_for(db, clock).run_once("campaign.send", payload={"community": "竹园社区"})
    bare = runner_for(db, clock, name="bare")
    assert await bare.tick() == 0
    ran: list[int] = []
    able = runner_for(db, clock, name="able")
    able.register("campaign.send", lambda session, run: _record(ran, run))
    assert await able.tick() == 1 and ran == [job_id]


async def _record(ran: list, run) -> None:
    ran.append(run.id)


async def test_the_loop_runs_until_stopped(db, clock):
    ran: list[int] = []
    runner = runner_for(db, clock, poll_s=0.02)
    runner.register("test.ping", survey_handler(ran))
    stop = asyncio.Event()
    loop = asyncio.create_task(runner.run(stop))
    job_id = await runner.run_once("test.ping", payload={"openid": "o-loop"})
    for _ in range(200):
        if ran:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(loop, 5)
    assert ran == [job_id]


async def test_standing_jobs_are_made_sure_of_once_the_database_answers(db, clock):
    """A server that started while the database was down schedules its standing jobs (the nonce purge,
    retention) at the job loop's first round that reaches the database, and only once."""
    attempts: list[str] = []

    async def purge_every_5_min(session, now):
        attempts.append("try")
        if len(attempts) == 1:
            raise ConnectionRefusedError("the database is not up yet")
        await jobs.schedule(session, "test.standing", now, key="test.standing", every_s=300, now=now)

    runner = runner_for(db, clock, poll_s=0.02)
    runner.keep_scheduled([purge_every_5_min])
    stop = asyncio.Event()
    loop = asyncio.create_task(runner.run(stop))
    for _ in range(200):
        async with db.sessions() as session:
            if await jobs.find(session, "test.standing") is not None:
                break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(loop, 5)
    assert attempts == ["try", "try"]
    async with db.sessions() as session:
        assert (await jobs.find(session, "test.standing")).every_s == 300
