"""The job loop's periodic work (the media keeper's downloads): due work runs, outside any transaction,
once per period, and a failure does not stop the next run."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from bot.background.jobs import JobRunner


async def test_periodic_work_runs_once_per_period_and_survives_a_failure():
    runner = JobRunner(db=None, clock=lambda: datetime.now(timezone.utc), owner="test")
    calls: list[str] = []

    async def flaky():
        calls.append("flaky")
        raise RuntimeError("network down")

    async def steady():
        calls.append("steady")

    runner.every("flaky", 0.05, flaky)
    runner.every("steady", 60, steady)
    runner.start_periodic()
    await runner.finish_periodic()
    runner.start_periodic()  # too soon for either
    await runner.finish_periodic()
    assert calls == ["flaky", "steady"]
    await asyncio.sleep(0.06)
    runner.start_periodic()
    await runner.finish_periodic()
    assert calls == ["flaky", "steady", "flaky"]


async def test_slow_periodic_work_does_not_hold_up_the_round_nor_run_twice_at_once():
    """A photo download may take WeChat's whole timeout; the 1315 deadline jobs must not wait for it."""
    runner = JobRunner(db=None, clock=lambda: datetime.now(timezone.utc), owner="test")
    release, runs = asyncio.Event(), []

    async def slow_download():
        runs.append("start")
        await release.wait()

    runner.every("media.keep", 0, slow_download)
    assert len(runner.start_periodic()) == 1  # returns at once: the round goes on to its jobs
    await asyncio.sleep(0)
    assert runs == ["start"]
    assert runner.start_periodic() == []  # still running: not started a second time
    release.set()
    await runner.finish_periodic()
    assert len(runner.start_periodic()) == 1  # done, and due again
