"""Command-line parts of the dashboard: `report`, and the `seed --history` and `staff password` actions
(registered with `seed` and `staff`)."""
from __future__ import annotations

import getpass
import json
import sys
import unicodedata
from datetime import date, datetime, timedelta, timezone

from bot.config import Settings
from cli.context import database
from web import dashboard_texts as T


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
    from web.site import category_names

    async with database(settings) as db, db.sessions() as session:
        result = await analytics.report(
            session, scope_of(args), targets=analytics.Targets(resolve_within_s=settings.report_resolve_within_s),
            rule=analytics.HotspotRule(window_days=settings.hotspot_window_days, min_count=settings.hotspot_min_count),
            breakdowns=args.by or analytics.REPORT_BREAKDOWNS)
        names = {"compound": {p.id: p.name for p in await all_places(session)},
                 "officer": {st.id: st.name for st, _ in await list_staff(session)},
                 "category": category_names()}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print(render_report(result, names))
    return 0


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


# the report's columns: (metric, how it is shown); their names are the dashboard's (web/dashboard_texts.py)
COLUMNS = (("cases", str), ("response_rate", _pct), ("closure_rate", _pct), ("on_time_closure_rate", _pct),
           ("satisfaction_rate", _pct), ("avg_handling_s", _hours), ("p90_handling_s", _hours), ("accept", _pct),
           ("depart", _pct), ("arrive", _pct), ("reopen_rate", _pct), ("repeat_reports", str))


def _value(m: dict, metric: str):
    return m["sla_compliance"][metric] if metric in m["sla_compliance"] else m[metric]


def _cells(m: dict) -> list[str]:
    return [show(_value(m, metric)) for metric, show in COLUMNS]


def render_report(r: dict, names: dict[str, dict[str, str]] | None = None) -> str:
    """The report as aligned tables for a person, in the dashboard's words: names instead of codes, and
    periods that have not ended marked, since their closure rate still counts cases with no time to close."""
    names = names or {}
    heads = [T.METRICS[metric] for metric, _ in COLUMNS]
    lines = ["  ".join(f"{head} {cell}" for head, cell in zip(heads, _cells(r))), ""]
    for by, rows in r["by"].items():
        labels = names.get(by, {})
        body = [[labels.get(m["key"], m["key"] or "-") + (T.PARTIAL_MARK if m.get("partial") else ""), *_cells(m)]
                for m in rows]
        lines += [T.BREAKDOWN_TITLES.get(by, by), *_table(["", *heads], body), ""]
    lines.append(T.REPORT_HOTSPOTS)
    hot = [[names.get("compound", {}).get(h["compound_id"], h["compound_id"]),
            names.get("category", {}).get(h["category"], h["category"]), str(h["count"]), str(h["trailing_avg"]),
            str(h["peer_avg"]), "、".join(T.HOTSPOT_REASONS.get(x, x) for x in h["reasons"]),
            " ".join(h["cases"][:8]) + (" …" if len(h["cases"]) > 8 else "")] for h in r["hotspots"] or []]
    lines += ["  " + line for line in _table(list(T.REPORT_HOTSPOT_COLUMNS), hot)] if hot else [f"  {T.HOTSPOT_NONE}"]
    if "consultations" in r:
        met = r["consultations"]
        lines += ["", T.REPORT_CONSULTATIONS.format(asked=met["asked"], answered=met["answered_by_kb"],
                                                    rate=_pct(r["kb_answer_rate"]))]
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
    async with database(settings) as db, db.transaction() as session:
        result = await seed_history(session, cases=args.cases, end=datetime.now(timezone.utc))
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
    async with database(settings) as db, db.transaction() as session:
        staff = await accounts.set_password(session, args.staff_id, password, datetime.now(timezone.utc))
    print(f"{staff.id} {staff.name}: dashboard password set; log in at /dashboard with {staff.id}")
    return 0
