"""Gongzhi (共治) bot: one entry point with subcommands. `python main.py --help` lists them."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import ConfigError, Settings, load_dotenv_file


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="Gongzhi (共治) community-governance bot")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("serve", help="start the server (migrates the database first)")

    seed = commands.add_parser("seed", help="load data into the database")
    seed.add_argument("--demo", action="store_true", required=True, help="load the demo street (idempotent)")

    chat = commands.add_parser("chat", help="talk to a running server as WeChat would, from the terminal")
    chat.add_argument("--as", dest="openid", default="demo-resident", help="the openid to chat as")
    chat.add_argument("--no-pushes", action="store_true", help="do not poll the sandbox for pushes")

    commands.add_parser("migrate", help="create or upgrade the database schema, then exit")

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
    return parser


def load_places_for_nlp() -> list:
    """The street's compounds for `nlp` commands: from the database, or the demo street when it is empty."""
    from bot.services import nlp_places
    from nlp import places_from_csv

    async def from_database():
        db = await open_database(Settings.from_env())
        try:
            return await nlp_places(db)
        finally:
            await db.dispose()

    found = asyncio.run(from_database())
    if found:
        return found
    from backend.demo import DEMO_DIR

    print("(no compounds in the database: using the demo street's)", file=sys.stderr)
    return places_from_csv(DEMO_DIR / "compounds.csv")


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


async def open_database(settings: Settings):
    from storage.db import Database

    db = Database(settings.database_url)
    await db.migrate()
    return db


async def cmd_serve(settings: Settings) -> int:
    from bot.serve import run_server

    db = await open_database(settings)
    try:
        await run_server(settings, db)
    finally:
        await db.dispose()
    return 0


async def cmd_seed(settings: Settings) -> int:
    from backend.demo import seed_demo

    db = await open_database(settings)
    try:
        async with db.transaction() as session:
            result = await seed_demo(session)
    finally:
        await db.dispose()
    print(f"demo street: {result.added} rows added, {result.updated} updated")
    return 0


async def cmd_migrate(settings: Settings) -> int:
    db = await open_database(settings)
    await db.dispose()
    print("database schema is up to date")
    return 0


async def cmd_cases(settings: Settings, args) -> int:
    import json

    from backend import cases

    db = await open_database(settings)
    try:
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
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=1))
            else:
                for r in rows:
                    print(f"{r['number']}  {r['status']:<10} {r['category']:<18} {r['compound'] or '-':<4} "
                          f"{r['building'] or '':<8} P{r['priority']} {r['channel']}  {r['created_at']}")
                print(f"{len(rows)} cases")
            return 0
    finally:
        await db.dispose()


async def cmd_chat(settings: Settings, args) -> int:
    from bot.chat import run_chat

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
        return asyncio.run(cmd_serve(settings))
    if args.command == "seed":
        return asyncio.run(cmd_seed(settings))
    if args.command == "migrate":
        return asyncio.run(cmd_migrate(settings))
    if args.command == "cases":
        return asyncio.run(cmd_cases(settings, args))
    if args.command == "chat":
        return asyncio.run(cmd_chat(settings, args))
    if args.command == "nlp":
        return args.handler(args) or 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
