"""`audit list [--json]`: the audit log of deliberate looks at personal data (contact reveals, erasures),
newest first, for the supervisor. Whoever runs the CLI holds the database credentials: the server's
operator; staff reach the log through them."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

from backend import audit
from bot.config import Settings
from cli.context import database


def register(commands) -> None:
    audit = commands.add_parser("audit", help="who looked at residents' personal data (contact reveals, erasures)")
    actions = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="newest entries first")
    listing.add_argument("--since", type=date.fromisoformat, help="from this day (UTC), YYYY-MM-DD")
    listing.add_argument("--case", help="only this case number")
    listing.add_argument("--limit", type=int, default=200)
    listing.add_argument("--json", action="store_true", help="JSON instead of lines")
    listing.set_defaults(run=cmd_audit)


async def cmd_audit(settings: Settings, args) -> int:
    since = datetime(args.since.year, args.since.month, args.since.day, tzinfo=timezone.utc) if args.since else None
    async with database(settings) as db, db.sessions() as session:
        found = await audit.entries(session, since=since, case_number=args.case, limit=max(1, min(args.limit, 10000)))
    rows = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "outcome": e.outcome,
             "case": e.case_number, "via": e.via} for e in found]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        print(f"{r['at']}  {r['actor']:<16} {r['action']:<15} {r['outcome']:<20} {r['case'] or '-':<14} {r['via'] or ''}")
    print(f"{len(rows)} entries")
    return 0
