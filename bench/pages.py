"""Server time of the residents' pages (/h5/) with N cases in the database (default 20,000: the demo
street's size, a year of generated history) on SQLite.

    python bench/pages.py [--cases 20000] [--requests 200] [--fresh] [--db bench/out/pages.db]

A resident who reported 10 of the cases and follows 10 more opens 我的工单, a case page (the reporter's
view: its trace and photos), 附近 around their compound, and 随手拍's form. Each page is requested over
loopback with the resident's session cookie; the time is measured inside the server (from the request
reaching the application to the response being ready: queries, template, nothing of the network): wall
time (median, 95th percentile) and the CPU time it took (median), which is what a page costs on a machine
nobody else is using. PAGES=/h5/nearby,... limits the run to some pages.
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

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend import resident_sessions  # noqa: E402
from backend.history import seed_history  # noqa: E402
from bot.config import Settings  # noqa: E402
from handlers.services import Services  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Case, CaseFollower  # noqa: E402
from web import templating  # noqa: E402
from web.h5_report import ReportPages  # noqa: E402
from web.site import category_names  # noqa: E402

RESIDENT = "bench-resident"


async def prepare(db: Database, cases: int, fresh: bool) -> str:
    """The database with `cases` cases and the bench resident's 10 reported and 10 followed ones; returns
    the number of one of the reported cases."""
    from sqlalchemy import delete, func, select

    async with db.sessions() as session:
        have = (await session.execute(select(func.count()).select_from(Case))).scalar_one()
    if have != cases or fresh:
        started = time.perf_counter()
        async with db.transaction() as session:
            result = await seed_history(session, cases=cases, end=datetime.now(timezone.utc))
        print(f"generated {result.cases} cases in {time.perf_counter() - started:.1f} s")
    async with db.transaction() as session:
        await session.execute(delete(CaseFollower).where(CaseFollower.user_id == RESIDENT))
        recent = list((await session.execute(select(Case).order_by(Case.created_at.desc()).limit(20))).scalars())
        now = datetime.now(timezone.utc)
        for n, case in enumerate(recent):
            session.add(CaseFollower(case_id=case.id, platform="wechat", user_id=RESIDENT,
                                     role="reporter" if n % 2 == 0 else "follower", since=now))
    return recent[0].number


def timed(into: dict[str, list[tuple[float, float]]]):
    """Each request's server time: wall, and CPU time of this process (SQLite's thread included), which is
    what the page costs when the machine is not shared (requests go one at a time)."""
    @web.middleware
    async def middleware(request: web.Request, handler):
        started, cpu = time.perf_counter(), time.process_time()
        response = await handler(request)
        key = "/h5/cases/{number}" if request.path.startswith("/h5/cases/") else request.path
        into.setdefault(key, []).append((time.perf_counter() - started, time.process_time() - cpu))
        return response
    return middleware


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--db", type=Path, default=Path(__file__).parent / "out" / "pages.db")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite+aiosqlite:///{args.db}")
    await db.migrate()
    number = await prepare(db, args.cases, args.fresh)
    settings = Settings(database_url="unused", wechat_token="t", wechat_app_id="wxbench", wechat_app_secret="s",
                        h5_session_secret="bench-secret")
    times: dict[str, list[tuple[float, float]]] = {}
    app = web.Application(middlewares=[timed(times)])
    templating.setup(app)
    pages = ReportPages(db, lambda: datetime.now(timezone.utc), settings, Services.of({}),
                        category_names=category_names())
    app.add_routes(pages.routes())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    async with db.transaction() as session:
        cookie = await resident_sessions.open_session(session, "wechat", RESIDENT, datetime.now(timezone.utc), 3600)
    paths = ["/h5/cases", f"/h5/cases/{number}", "/h5/nearby", "/h5/report"] if not os.environ.get("PAGES") \
        else os.environ["PAGES"].split(",")
    async with aiohttp.ClientSession(cookies={"gz_h5": cookie}) as http:
        for path in paths:
            for n in range(args.requests + 5):
                async with http.get(f"http://127.0.0.1:{port}{path}", allow_redirects=False) as r:
                    assert r.status == 200, (path, r.status, await r.text())
                    await r.read()
    await runner.cleanup()
    await db.dispose()
    print(f"residents' pages over {args.cases} cases, {args.requests} requests each (server time, SQLite):")
    for key, pairs in times.items():
        walls, cpus = sorted(p[0] for p in pairs[5:]), sorted(p[1] for p in pairs[5:])  # the first warm caches
        p95 = walls[int(len(walls) * 0.95) - 1]
        print(f"  {key:<20} wall median {statistics.median(walls) * 1000:5.1f} ms  p95 {p95 * 1000:5.1f} ms   "
              f"cpu median {statistics.median(cpus) * 1000:5.1f} ms")
    print(f"  load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
