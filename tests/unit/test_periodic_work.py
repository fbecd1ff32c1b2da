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
    await runner.run_periodic()
    await runner.run_periodic()  # too soon for either
    assert calls == ["flaky", "steady"]
    await asyncio.sleep(0.06)
    await runner.run_periodic()
    assert calls == ["flaky", "steady", "flaky"]
