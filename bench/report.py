"""The full report (`main.py report`: totals, 1315 compliance, breakdowns by month, community, category,
channel and officer, and the hotspots) over N generated cases on SQLite.

    python bench/report.py [--cases 100000] [--runs 5] [--fresh] [--db bench/out/report.db]

The database is generated once (`backend.history.seed_history`, a year of cases) and reused; --fresh makes
it again. Prints each run's wall time and this process's CPU time (SQLite runs in-process, so CPU time is
what the report costs when the machine is not shared), the longest time the event loop was held (a
ticker that wants to run every 10 ms measures it: while it is held, no webhook is answered), and the
machine's load average.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend import analytics  # noqa: E402
from backend.history import seed_history  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Case  # noqa: E402


class LoopHold:
    """Measures the longest stretch the event loop could not run a 10 ms ticker."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.task = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.longest = max(self.longest, time.perf_counter() - before - 0.01)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--db", type=Path, default=Path(__file__).parent / "out" / "report.db")
    args = parser.parse_args()
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite+aiosqlite:///{args.db}")
    await db.migrate()
    async with db.sessions() as session:
        from sqlalchemy import func, select

        have = (await session.execute(select(func.count()).select_from(Case))).scalar_one()
    if have != args.cases:
        started = time.perf_counter()
        async with db.transaction() as session:
            result = await seed_history(session, cases=args.cases, end=datetime.now(timezone.utc))
        print(f"generated {result.cases} cases, {result.events} events, {result.surveys} surveys "
              f"in {time.perf_counter() - started:.1f} s")
    walls, cpus = [], []
    async with db.reading() as session:  # as the dashboard reads
        await analytics.report(session)  # warm the page cache and the statement cache
        ticker = LoopHold()
        await asyncio.sleep(0.02)  # the ticker is running before the first report
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            result = await analytics.report(session)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            await asyncio.sleep(0.02)  # lets the ticker see how late it is
        await ticker.stop()
    await db.dispose()
    print(f"full report over {result['cases']} cases ({len(result['by'])} breakdowns, {len(result['hotspots'])} "
          f"flagged hotspots), {args.runs} runs:")
    print(f"  wall  median {statistics.median(walls):.2f} s  min {min(walls):.2f} s")
    print(f"  cpu   median {statistics.median(cpus):.2f} s  min {min(cpus):.2f} s")
    print(f"  the event loop held for at most {ticker.longest:.2f} s at a time")
    print(f"  load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
