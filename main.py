"""Gongzhi (共治) bot: one entry point with subcommands. `python main.py --help` lists them."""
from __future__ import annotations

import argparse
import asyncio
from contextlib import asynccontextmanager
import logging
import sys

from bot.config import ConfigError, Settings, load_dotenv_file


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="Gongzhi (共治) community-governance bot")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="start the server (migrates the database first)")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes sharing the port (use PostgreSQL for more than one)")

    seed = commands.add_parser("seed", help="load data into the database")
    seed_kind = seed.add_mutually_exclusive_group(required=True)
    seed_kind.add_argument("--demo", action="store_true", help="load the demo street (idempotent)")
    seed_kind.add_argument("--history", action="store_true",  # issue 8
                           help="replace the generated demo history: a year of made-up cases (sandbox mode only)")
    seed.add_argument("--cases", type=int, default=20000, help="with --history: how many cases")
    seed.add_argument("--yes-this-is-a-demo", dest="demo_ok", action="store_true",
                      help="with --history: allow it outside sandbox mode (never on a real deployment)")

    chat = commands.add_parser("chat", help="talk to a running server as WeChat would, from the terminal")
    chat.add_argument("--as", dest="openid", default="demo-resident", help="the openid to chat as")
    chat.add_argument("--no-pushes", action="store_true", help="do not poll the sandbox for pushes")
    chat.add_argument("--wecom", metavar="USERID",  # issue 11
                      help="chat as this WeCom (企业微信) user against /wecom instead, e.g. a staff member's UserID")

    commands.add_parser("migrate", help="create or upgrade the database schema, then exit")

    staff = commands.add_parser("staff", help="staff accounts: invite (binding code), list, unbind, link")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    invite = staff_commands.add_parser("invite", help="print a one-time binding code (last line) for 绑定 <code>")
    invite.add_argument("--staff-id", help="an existing staff record, e.g. S01")
    invite.add_argument("--name", help="create a new staff member with this name")
    invite.add_argument("--role", choices=["officer", "liaison", "supervisor"], default="officer")
    invite.add_argument("--dept", default="chengguan", help="department id, e.g. chengguan, gongan")
    invite.add_argument("--compounds", default="", help="compound ids, comma or semicolon separated; * = all")
    staff_commands.add_parser("list", help="staff and where they are bound")
    password = staff_commands.add_parser("password", help="set a dashboard password (asked twice, or from stdin)")
    password.add_argument("--staff-id", required=True)  # issue 8
    unbind = staff_commands.add_parser("unbind", help="remove a staff member's bound identities")
    unbind.add_argument("--staff-id", required=True)
    unbind.add_argument("--platform", choices=["wechat", "wecom"], help="only this platform")
    link = staff_commands.add_parser("link", help="bind an identity directly (directory sync)")
    link.add_argument("--staff-id", required=True)
    link.add_argument("--wechat-openid")
    link.add_argument("--wecom-user")

    menu = commands.add_parser("menu", help="the official account's custom menu (bot/wechat/menu.json)")
    menu_commands = menu.add_subparsers(dest="menu_command", required=True, metavar="ACTION")
    menu_commands.add_parser("push", help="install the menu through WeChat's API (/cgi-bin/menu/create)")

    survey = commands.add_parser("survey", help="satisfaction survey campaigns per community")
    survey_commands = survey.add_subparsers(dest="survey_command", required=True, metavar="ACTION")
    campaign = survey_commands.add_parser("campaign", help="ask the residents who reported in a community")
    campaign.add_argument("--community", required=True, help="e.g. 竹园社区")
    campaign.add_argument("--question", required=True)
    campaign.add_argument("--every-days", type=int, default=30, help="repeat every N days (0: once)")
    survey_commands.add_parser("results", help="answers per campaign")

    from cli.dashboard import add_report_parser  # issue 8: `report`

    add_report_parser(commands)
    from nlp.cli import add_subcommands

    add_subcommands(commands, load_places_for_nlp)

    cases = commands.add_parser("cases", help="look at cases (admin view; phone numbers masked)")
    case_commands = cases.add_subparsers(dest="cases_command", required=True, metavar="ACTION")
    listing = case_commands.add_parser("list", help="newest cases first")
    listing.add_argument("--status", help="only cases in this status (e.g. new, dispatched, resolved)")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    show = case_commands.add_parser("show", help="one case with its full trace")
    show.add_argument("number", help="case number, e.g. 20261127-0012")
    show.add_argument("--json", action="store_true", help="JSON instead of text")

    charging = commands.add_parser("charging", help="EV charging: feed tokens for the ingest API")
    charging_commands = charging.add_subparsers(dest="charging_command", required=True, metavar="ACTION")
    token = charging_commands.add_parser("token", help="print a new bearer token for a feed (replaces its old one)")
    token.add_argument("--feed", required=True, help="the feed's name, e.g. binhu-cameras")
    channel = commands.add_parser("channel", help="other channels (12345 hotline, …) on the Open311 API: API keys")
    channel_commands = channel.add_subparsers(dest="channel_command", required=True, metavar="ACTION")
    channel_add = channel_commands.add_parser("add", help="register a channel and print its API key (last line)")
    channel_add.add_argument("--name", required=True, help="e.g. 12345热线; recorded on every case it files")
    channel_rotate = channel_commands.add_parser("rotate", help="print a new API key for a channel (the old one stops)")
    channel_rotate.add_argument("--name", required=True)
    channel_commands.add_parser("list", help="channels with their cases, all and open")
    pushes = commands.add_parser("outbox", help="pushes to residents and staff")
    push_commands = pushes.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    problems = push_commands.add_parser("problems", help="pushes that failed, could not be delivered, or were cut "
                                                         "off by a crash (newest first)")
    problems.add_argument("--user", help="only pushes to this openid / userid")
    problems.add_argument("--limit", type=int, default=100)
    problems.add_argument("--json", action="store_true", help="JSON instead of lines")
    return parser


def load_places_for_nlp() -> list:
    """The street's compounds for `nlp` commands: from the database, or the demo street when it is empty."""
    from bot.services import nlp_places
    from nlp import places_from_csv

    async def from_database():
        async with database(Settings.from_env()) as db:
            return await nlp_places(db)

    found = asyncio.run(from_database())
    if found:
        return found
    from backend.demo import DEMO_DIR

    print("(no places in the database: using the demo street's)", file=sys.stderr)
    return places_from_csv(DEMO_DIR / "compounds.csv", DEMO_DIR / "places.csv")


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


@asynccontextmanager
async def database(settings: Settings):
    """The migrated database for one command, disposed of when the command is done."""
    db = await open_database(settings)
    try:
        yield db
    finally:
        await db.dispose()


async def open_database(settings: Settings):
    from storage.db import Database

    db = Database(settings.database_url, pool_size=settings.db_pool_size,
                  statement_timeout_ms=settings.db_statement_timeout_ms)
    await db.migrate()
    return db


async def cmd_serve(settings: Settings, workers: int = 1) -> int:
    from bot.serve import run_server, run_workers

    db = await open_database(settings)
    if workers > 1:  # migrated once here; each worker process serves on the shared port
        await db.dispose()
        return await run_workers(workers)
    try:
        await run_server(settings, db)
    finally:
        await db.dispose()
    return 0


async def cmd_seed(settings: Settings) -> int:
    from backend.demo import seed_demo

    async with database(settings) as db:
        async with db.transaction() as session:
            result = await seed_demo(session)
    print(f"demo street: {result.added} rows added, {result.updated} updated")
    return 0


async def cmd_migrate(settings: Settings, args=None) -> int:
    async with database(settings):
        print("database schema is up to date")
    return 0


async def cmd_cases(settings: Settings, args) -> int:
    import json
    from collections import Counter

    from backend import cases

    async with database(settings) as db:
        async with db.sessions() as session:
            if args.cases_command == "show":
                case = await cases.by_number(session, args.number)
                if case is None:
                    print(f"no case {args.number}", file=sys.stderr)
                    return 1
                view = await cases.staff_view(session, case)
                if args.json:
                    print(json.dumps(view, ensure_ascii=False, indent=1))
                else:
                    for key, value in view.items():
                        if key != "events":
                            print(f"{key:>15}: {value}")
                    for event in view["events"]:
                        print(f"  {event['at']}  {event['kind']:<12} {event['actor']}  {event['note'] or ''}")
                return 0
            found = await cases.list_cases(session, status=args.status, limit=args.limit)
            rows = [{"number": c.number, "status": c.status, "category": c.category, "compound": c.compound_id,
                     "building": c.building, "priority": c.priority, "channel": c.channel,
                     "created_at": c.created_at.isoformat()} for c in found]
            by_channel = Counter(r["channel"] for r in rows)  # issue 9: cases by channel
            print_rows(rows, args.json, lambda r: f"{r['number']}  {r['status']:<10} {r['category']:<18} "
                       f"{r['compound'] or '-':<4} {r['building'] or '':<8} P{r['priority']} {r['channel']}  "
                       f"{r['created_at']}",
                       f"{len(rows)} cases",
                       "by channel: " + ", ".join(f"{name} {n}" for name, n in by_channel.most_common()))
            return 0


def print_rows(rows: list[dict], as_json: bool, line, *footer: str) -> None:
    """A listing command's output: JSON, or a line per row and the footer lines."""
    import json

    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        print(line(row))
    for text in footer:
        print(text)


async def cmd_outbox(settings: Settings, args) -> int:
    from storage import outbox

    async with database(settings) as db:
        async with db.sessions() as session:
            found = await outbox.delivery_problems(session, user_id=args.user, limit=args.limit)
    rows = [{"id": p.id, "to": f"{p.platform}:{p.user_id}", "kind": p.kind, "status": p.status,
             "code": p.error_code, "detail": p.detail, "queued_at": p.created_at.isoformat(),
             "attempts": p.attempts} for p in found]
    print_rows(rows, args.json, lambda r: f"{r['queued_at']}  {r['status']:<13} {r['code'] or '-':<12} "
               f"{r['kind']:<12} {r['to']}  {r['detail'] or ''}", f"{len(rows)} pushes need a look")
    return 0


async def cmd_staff(settings: Settings, args) -> int:
    import re
    from datetime import datetime, timezone

    from backend import staff as staff_mod

    now = datetime.now(timezone.utc)
    try:
        async with database(settings) as db, db.transaction() as session:
            if args.staff_command == "invite":
                staff_id = args.staff_id
                if staff_id is None:
                    if not args.name:
                        print("give --staff-id, or --name (with --role, --dept, --compounds) for a new one",
                              file=sys.stderr)
                        return 2
                    compounds = [c for c in re.split(r"[,;\s]+", args.compounds) if c]
                    person = await staff_mod.create_staff(session, name=args.name, role=args.role,
                                                          dept_id=args.dept, compounds=compounds)
                    staff_id = person.id
                    print(f"created {person.id} {person.name} ({person.role}, {person.dept_id})")
                code = await staff_mod.invite(session, staff_id, now)
                print(f"{staff_id}: send 绑定 {code} to the official account within 7 days")
                print(code)
            elif args.staff_command == "list":
                for person, bound in await staff_mod.list_staff(session):
                    where = ", ".join(f"{b.platform}:{b.user_id}" for b in bound) or "unbound"
                    print(f"{person.id}  {person.name:<4} {person.role:<10} {person.dept_id:<10} "
                          f"{';'.join(person.compounds or []):<40} {where}")
            elif args.staff_command == "unbind":
                print(f"{await staff_mod.unbind(session, args.staff_id, args.platform)} binding(s) removed")
            elif args.staff_command == "link":
                if not (args.wechat_openid or args.wecom_user):
                    print("give --wechat-openid or --wecom-user", file=sys.stderr)
                    return 2
                if args.wechat_openid:
                    await staff_mod.link(session, args.staff_id, "wechat", args.wechat_openid, now)
                if args.wecom_user:
                    await staff_mod.link(session, args.staff_id, "wecom", args.wecom_user, now)
                print("linked")
    except staff_mod.StaffError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


async def cmd_charging(settings: Settings, args) -> int:
    from datetime import datetime, timezone

    from backend import charging

    async with database(settings) as db:
        async with db.transaction() as session:
            token = await charging.issue_token(session, args.feed, datetime.now(timezone.utc))
    print(f"feed {args.feed}: send Authorization: Bearer <token> to POST /api/charging/updates", file=sys.stderr)
    print(token)
    return 0


async def cmd_channel(settings: Settings, args) -> int:
    from datetime import datetime, timezone

    from backend import channels

    try:
        async with database(settings) as db, db.transaction() as session:
            if args.channel_command == "add":
                channel, key = await channels.add_channel(session, args.name, datetime.now(timezone.utc))
                print(f"channel {channel.name}: give this api_key to its Open311 client (shown once)")
                print(key)
            elif args.channel_command == "rotate":
                print(await channels.rotate_key(session, args.name))
            else:
                for line in await channels.list_channels(session):
                    key = f"key {line.channel.key_hint}…" if line.channel else "-"
                    print(f"{line.name:<16} {line.cases:>6} cases {line.open_cases:>6} open  {key}")
    except channels.ChannelError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


async def cmd_menu(settings: Settings, args) -> int:
    import json
    from datetime import datetime, timezone
    from pathlib import Path

    import aiohttp

    from bot.errors import DeliveryError
    from bot.background.workers import wechat_client

    menu = json.loads((Path(__file__).parent / "bot" / "wechat" / "menu.json").read_text(encoding="utf-8"))
    if not settings.wechat_app_secret:
        print("menu push needs WECHAT_APP_ID and WECHAT_APP_SECRET (sandbox mode: start `serve` first)",
              file=sys.stderr)
        return 2
    async with database(settings) as db:
        async with aiohttp.ClientSession() as http:
            api = wechat_client(settings, db, clock=lambda: datetime.now(timezone.utc), owner="cli", http=http)
            try:
                await api.create_menu(menu)
            except (DeliveryError, aiohttp.ClientError) as exc:
                print(f"menu push failed: {exc}", file=sys.stderr)
                return 1
    print(f"menu installed: {', '.join(b['name'] for b in menu['button'])}")
    return 0


async def cmd_survey(settings: Settings, args) -> int:
    import json
    from datetime import datetime, timezone

    from backend import surveys

    now = datetime.now(timezone.utc)
    async with database(settings) as db:
        async with db.transaction() as session:
            if args.survey_command == "campaign":
                every = args.every_days * 86400 if args.every_days else None
                campaign = await surveys.start_campaign(session, args.community, args.question, every, now, now)
                print(f"campaign {campaign.id} for {args.community}: first round at the next hour outside 22:00-08:00,"
                      f" then every {args.every_days} days" if every else f"campaign {campaign.id}: one round")
            else:
                print(json.dumps(await surveys.campaign_results(session), ensure_ascii=False, indent=1))
    return 0


async def cmd_chat(settings: Settings, args) -> int:
    from cli.chat import run_chat

    if args.wecom:  # issue 11: play WeCom's servers for a staff member
        return await run_chat(settings, args.wecom, show_pushes=not args.no_pushes, wecom=True)
    return await run_chat(settings, args.openid, show_pushes=not args.no_pushes)


def main(argv: list[str] | None = None) -> int:
    load_dotenv_file()
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    from bot.app import resolve_sandbox

    settings = resolve_sandbox(settings)
    configure_logging(settings)
    if args.command == "serve":
        return asyncio.run(cmd_serve(settings, args.workers))
    if args.command == "seed":
        if args.history:  # issue 8
            from cli.dashboard import cmd_seed_history

            return asyncio.run(cmd_seed_history(settings, args))
        return asyncio.run(cmd_seed(settings))
    if args.command in ("report", "staff") and (args.command == "report" or args.staff_command == "password"):
        from cli.dashboard import cmd_report, cmd_staff_password  # issue 8

        return asyncio.run(cmd_report(settings, args) if args.command == "report" else cmd_staff_password(settings, args))
    commands = {"migrate": cmd_migrate, "staff": cmd_staff, "cases": cmd_cases, "chat": cmd_chat, "menu": cmd_menu,
                "survey": cmd_survey, "charging": cmd_charging, "channel": cmd_channel, "outbox": cmd_outbox}
    if args.command in commands:
        return asyncio.run(commands[args.command](settings, args))
    if args.command == "nlp":
        return args.handler(args) or 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
