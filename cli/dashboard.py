"""Command-line parts of the dashboard: `report`, and the `seed --history` and `staff password` actions
(registered with `seed` and `staff`)."""
from __future__ import annotations

import getpass
import json
import sys
import unicodedata
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
    from backend.places import all_places
    from backend.staff import list_staff

    db = await _database(settings)
    try:
        async with db.sessions() as session:
            result = await analytics.report(
                session, scope_of(args), targets=analytics.Targets(resolve_within_s=settings.report_resolve_within_s),
                rule=analytics.HotspotRule(window_days=settings.hotspot_window_days,
                                           min_count=settings.hotspot_min_count),
                breakdowns=args.by or analytics.REPORT_BREAKDOWNS)
            names = {"compound": {p.id: p.name for p in await all_places(session)},
                     "officer": {st.id: st.name for st, _ in await list_staff(session)},
                     "category": category_names()}
    finally:
        await db.dispose()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print(render_report(result, names))
    return 0


def category_names() -> dict[str, str]:
    from nlp import load_taxonomy

    return {c.code: c.name for c in load_taxonomy().categories}


def _pct(v) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def _hours(v) -> str:
    return "-" if v is None else f"{v / 3600:.1f}h"


def width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: str, size: int, left: bool = False) -> str:
    pad = " " * max(0, size - width(text))
    return text + pad if left else pad + text


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns as wide as their widest cell; the first column left-aligned, numbers right-aligned."""
    sizes = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(_cell(v, sizes[i], left=i == 0) for i, v in enumerate(r)).rstrip() for r in [header, *rows]]


BREAKDOWN_TITLES = {"month": "按月", "week": "按周", "day": "按日", "community": "按社区", "compound": "按小区",
                    "category": "按类别", "officer": "按网格员", "channel": "按渠道"}
COLUMNS = ["件数", "响应率", "办结率", "按期办结", "满意率", "平均用时", "P90用时", "1分钟响应", "3分钟出发",
           "15分钟到场", "重开率", "重复反映"]


def _row(m: dict) -> list[str]:
    c = m["sla_compliance"]
    return [str(m["cases"]), _pct(m["response_rate"]), _pct(m["closure_rate"]), _pct(m["on_time_closure_rate"]),
            _pct(m["satisfaction_rate"]), _hours(m["avg_handling_s"]), _hours(m["p90_handling_s"]),
            _pct(c["accept"]), _pct(c["depart"]), _pct(c["arrive"]), _pct(m["reopen_rate"]),
            str(m["repeat_reports"])]


def render_report(r: dict, names: dict[str, dict[str, str]] | None = None) -> str:
    """The report as aligned tables for a person: Chinese headings, names instead of codes, and periods that
    have not ended marked （未满）, since their closure rate still counts cases with no time to close."""
    names = names or {}
    s = r["sla_compliance"]
    lines = [f"案件 {r['cases']}  响应率 {_pct(r['response_rate'])}  办结率 {_pct(r['closure_rate'])}  "
             f"按期办结率 {_pct(r['on_time_closure_rate'])}  满意率 {_pct(r['satisfaction_rate'])}",
             f"平均用时 {_hours(r['avg_handling_s'])}  P90 {_hours(r['p90_handling_s'])}  "
             f"重开率 {_pct(r['reopen_rate'])}  重复反映 {r['repeat_reports']}",
             f"1315：1分钟响应 {_pct(s['accept'])}  3分钟出发 {_pct(s['depart'])}  15分钟到场 {_pct(s['arrive'])}", ""]
    for by, rows in r["by"].items():
        labels = names.get(by, {})
        body = [[labels.get(m["key"], m["key"] or "-") + ("（未满）" if m.get("partial") else ""), *_row(m)]
                for m in rows]
        lines += [BREAKDOWN_TITLES.get(by, by), *_table(["", *COLUMNS], body), ""]
    lines.append("热点（近一个统计窗口内标记的 小区×类别）")
    hot = [[names.get("compound", {}).get(h["compound_id"], h["compound_id"]),
            names.get("category", {}).get(h["category"], h["category"]), str(h["count"]), str(h["trailing_avg"]),
            str(h["peer_avg"]), "、".join(HOTSPOT_REASONS.get(x, x) for x in h["reasons"]),
            " ".join(h["cases"][:8]) + (" …" if len(h["cases"]) > 8 else "")] for h in r["hotspots"] or []]
    if hot:
        lines += ["  " + line for line in _table(["小区", "类别", "件数", "此前均值", "同类小区均值", "原因", "案件"], hot)]
    else:
        lines.append("  无")
    return "\n".join(lines)


HOTSPOT_REASONS = {"surge": "激增", "above_peers": "高于同类"}


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
