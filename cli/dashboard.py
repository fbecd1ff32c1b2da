"""Command-line parts of the dashboard: `report`, and the `seed --history` and `staff password` actions
(registered with `seed` and `staff`)."""
from __future__ import annotations

import getpass
import json
import sys
from datetime import date, datetime, timedelta, timezone

from bot.config import Settings


def register(commands) -> None:
    report = commands.add_parser("report", help="the street's numbers: rates, 1315 compliance, hotspots")
    report.add_argument("--from", dest="start", type=date.fromisoformat, help="first day (local), YYYY-MM-DD")
    report.add_argument("--to", dest="end", type=date.fromisoformat, help="last day (local, included), YYYY-MM-DD")
    report.add_argument("--community", help="only this community, e.g. 竹园社区")
    report.add_argument("--by", action="append", choices=["month", "week", "day", "community", "compound",
                                                          "category", "officer", "channel"],
                        help="breakdowns (repeatable; default: month, community, category, channel, officer)")
    report.add_argument("--json", action="store_true", help="JSON instead of tables")
    report.set_defaults(run=cmd_report)


async def _database(settings: Settings):
    from storage.db import Database

    db = Database(settings.database_url)
    await db.migrate()
    return db


def scope_of(args):
    from backend.analytics import Scope
    from backend.clock import LOCAL_TZ

    def start_of(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)

    return Scope(start=start_of(args.start) if args.start else None,
                 end=start_of(args.end + timedelta(days=1)) if args.end else None, community=args.community)


async def cmd_report(settings: Settings, args) -> int:
    from backend import analytics

    db = await _database(settings)
    try:
        async with db.sessions() as session:
            result = await analytics.report(
                session, scope_of(args), targets=analytics.Targets(resolve_within_s=settings.report_resolve_within_s),
                rule=analytics.HotspotRule(window_days=settings.hotspot_window_days,
                                           min_count=settings.hotspot_min_count),
                breakdowns=args.by or analytics.REPORT_BREAKDOWNS)
    finally:
        await db.dispose()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print(render_report(result))
    return 0


def _pct(v) -> str:
    return "-" if v is None else f"{v * 100:5.1f}%"


def _hours(v) -> str:
    return "-" if v is None else f"{v / 3600:6.1f}h"


def render_report(r: dict) -> str:
    s = r["sla_compliance"]
    lines = [f"cases {r['cases']}  response {_pct(r['response_rate'])}  closure {_pct(r['closure_rate'])}  "
             f"on-time closure {_pct(r['on_time_closure_rate'])}  satisfaction {_pct(r['satisfaction_rate'])}",
             f"handling avg {_hours(r['avg_handling_s'])}  p90 {_hours(r['p90_handling_s'])}  "
             f"reopen {_pct(r['reopen_rate'])}  repeat reports {r['repeat_reports']}",
             f"1315: accept {_pct(s['accept'])}  depart {_pct(s['depart'])}  arrive {_pct(s['arrive'])}", ""]
    header = (f"{'':<22}{'cases':>7} {'resp':>6} {'close':>6} {'ontime':>6} {'satis':>6} {'avg':>7} {'p90':>7} "
              f"{'accept':>6} {'depart':>6} {'arrive':>6} {'reopen':>6} {'repeat':>6}")
    for by, rows in r["by"].items():
        lines += [f"by {by}", header]
        for m in rows:
            c = m["sla_compliance"]
            lines.append(f"{str(m['key'] or '-')[:20]:<22}{m['cases']:>7} {_pct(m['response_rate'])} "
                         f"{_pct(m['closure_rate'])} {_pct(m['on_time_closure_rate'])} {_pct(m['satisfaction_rate'])} "
                         f"{_hours(m['avg_handling_s'])} {_hours(m['p90_handling_s'])} {_pct(c['accept'])} "
                         f"{_pct(c['depart'])} {_pct(c['arrive'])} {_pct(m['reopen_rate'])} {m['repeat_reports']:>6}")
        lines.append("")
    lines.append("hotspots (flagged compound x category, last window)")
    for h in r["hotspots"] or []:
        lines.append(f"  {h['compound_id']} {h['category']:<20} {h['count']:>4}  trailing avg {h['trailing_avg']:>6}  "
                     f"peers avg {h['peer_avg']:>6}  {','.join(h['reasons'])}  cases {' '.join(h['cases'][:8])}"
                     + (" …" if len(h["cases"]) > 8 else ""))
    if not r["hotspots"]:
        lines.append("  none")
    return "\n".join(lines)


async def cmd_seed_history(settings: Settings, args) -> int:
    """Refuses outside sandbox mode (a configured WECHAT_TOKEN means a real account) unless told
    --yes-this-is-a-demo: generated cases must never mix with a street's real ones by accident."""
    from backend.history import seed_history

    if not settings.extra.get("sandbox") and not args.demo_ok:
        print("seed --history makes up a year of cases: it runs only in sandbox mode (no WECHAT_TOKEN), or with "
              "--yes-this-is-a-demo on a database that is only a demo", file=sys.stderr)
        return 2
    if args.cases < 1:
        print("--cases must be at least 1", file=sys.stderr)
        return 2
    db = await _database(settings)
    try:
        async with db.transaction() as session:
            result = await seed_history(session, cases=args.cases, end=datetime.now(timezone.utc))
    finally:
        await db.dispose()
    print(f"demo history: {result.cases} cases, {result.events} events, {result.surveys} surveys from "
          f"{result.start:%Y-%m-%d} to {result.end:%Y-%m-%d} (replaced {result.removed}); marked reporter_platform=demo")
    return 0


async def cmd_staff_password(settings: Settings, args) -> int:
    from backend import accounts

    if sys.stdin.isatty():
        password = getpass.getpass("new dashboard password: ")
        if getpass.getpass("again: ") != password:
            print("the two passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    db = await _database(settings)
    try:
        async with db.transaction() as session:
            staff = await accounts.set_password(session, args.staff_id, password, datetime.now(timezone.utc))
    except accounts.AccountError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(f"{staff.id} {staff.name}: dashboard password set; log in at /dashboard with {staff.id}")
    return 0
