"""`cases list | show | place` (the admin view of cases; placing a case only described by its resident) and
`outbox problems` (pushes that need a look)."""
from __future__ import annotations

import json
import sys
from collections import Counter

from backend import cases, places, staff as staff_mod
from bot.config import Settings
from cli.context import database, print_rows, utc_now
from storage import outbox, pauses


def register(commands) -> None:
    parser = commands.add_parser("cases", help="look at cases (admin view; phone numbers masked)")
    actions = parser.add_subparsers(dest="cases_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="newest cases first")
    listing.add_argument("--status", help="only cases in this status (e.g. new, dispatched, resolved)")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--unplaced", action="store_true", help="only cases waiting for a person to place them")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    listing.set_defaults(run=cmd_list)
    show = actions.add_parser("show", help="one case with its full trace")
    show.add_argument("number", help="case number, e.g. 20261127-0012")
    show.add_argument("--json", action="store_true", help="JSON instead of text")
    show.set_defaults(run=cmd_show)
    place = actions.add_parser("place", help="put a case the resident could only describe at a known place; "
                                             "it is dispatched again to that place's grid officer")
    place.add_argument("number", help="case number, e.g. 20261127-0012")
    place.add_argument("place", help="the place's id, name or alias, e.g. R07 or 紫云路")
    place.add_argument("--staff-id", required=True, help="the supervisor doing it (recorded in the trace)")
    place.set_defaults(run=cmd_place)

    pushes = commands.add_parser("outbox", help="pushes to residents and staff")
    push_actions = pushes.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    problems = push_actions.add_parser("problems", help="platforms paused by an account error (with their queued "
                                       "pushes as attempts); pushes that failed, could not be delivered, or were cut "
                                                        "off by a crash (newest first)")
    problems.add_argument("--user", help="only pushes to this openid / userid")
    problems.add_argument("--limit", type=int, default=100)
    problems.add_argument("--json", action="store_true", help="JSON instead of lines")
    problems.set_defaults(run=cmd_outbox_problems)


async def cmd_show(settings: Settings, args) -> int:
    async with database(settings) as db, db.sessions() as session:
        case = await cases.by_number(session, args.number)
        if case is None:
            print(f"no case {args.number}", file=sys.stderr)
            return 1
        view = await cases.staff_view(session, case)
    if args.json:
        print(json.dumps(view, ensure_ascii=False, indent=1))
        return 0
    for key, value in view.items():
        if key != "events":
            print(f"{key:>15}: {value}")
    for event in view["events"]:
        print(f"  {event['at']}  {event['kind']:<12} {event['actor']}  {event['note'] or ''}")
    return 0


async def cmd_place(settings: Settings, args) -> int:
    from backend import workflow
    from bot.services import policies
    from handlers.casework import rules_of
    from nlp import load_taxonomy

    async with database(settings) as db, db.transaction() as session:
        case = await cases.by_number(session, args.number)
        staff = await staff_mod.get(session, args.staff_id)
        place = places.named(await places.all_places(session), args.place)
        for missing, what in ((case, f"no case {args.number}"), (staff, f"no staff {args.staff_id}"),
                              (place, f"no place {args.place}")):
            if missing is None:
                print(what, file=sys.stderr)
                return 1
        done = await workflow.place_case(session, staff, case, place.id, rules_of(load_taxonomy().category(case.category)),
                                         policies(settings)["workflow_policy"], utc_now())
        if not done.ok:
            print(f"refused: {done.code}", file=sys.stderr)
            return 1
        print(f"{case.number} placed at {place.name} ({place.id}); dispatched to {case.officer_id or '-'}")
    return 0


async def cmd_list(settings: Settings, args) -> int:
    async with database(settings) as db, db.sessions() as session:
        found = await cases.list_cases(session, status=args.status, unplaced=args.unplaced, limit=args.limit)
    rows = [{"number": c.number, "status": c.status, "category": c.category, "compound": c.compound_id,
             "building": c.building, "place_text": c.place_text, "priority": c.priority, "channel": c.channel,
             "created_at": c.created_at.isoformat()} for c in found]
    by_channel = Counter(r["channel"] for r in rows)
    print_rows(rows, args.json, lambda r: f"{r['number']}  {r['status']:<10} {r['category']:<18} "
               f"{r['compound'] or '-':<4} {r['building'] or '':<8} P{r['priority']} {r['channel']}  "
               f"{r['created_at']}",
               f"{len(rows)} cases",
               "by channel: " + ", ".join(f"{name} {n}" for name, n in by_channel.most_common()))
    return 0


async def cmd_outbox_problems(settings: Settings, args) -> int:
    """Paused platforms first (their pushes wait, queued, until the account's set-up is fixed), then the
    pushes that did not arrive."""
    async with database(settings) as db, db.sessions() as session:
        paused = await pauses.current(session)
        waiting = await outbox.pending_by_platform(session)
        found = await outbox.delivery_problems(session, user_id=args.user, limit=args.limit)
    rows = [{"id": None, "to": p.platform, "kind": "-", "status": "paused", "code": p.error_code, "detail": p.detail,
             "queued_at": p.since.isoformat(), "attempts": waiting.get(p.platform, 0)} for p in paused.values()]
    rows += [{"id": p.id, "to": f"{p.platform}:{p.user_id}", "kind": p.kind, "status": p.status,
             "code": p.error_code, "detail": p.detail, "queued_at": p.created_at.isoformat(),
             "attempts": p.attempts} for p in found]
    print_rows(rows, args.json, lambda r: f"{r['queued_at']}  {r['status']:<13} {r['code'] or '-':<12} "
               f"{r['kind']:<12} {r['to']}  {r['detail'] or ''}", f"{len(rows)} pushes need a look")
    return 0
