"""`seed --demo` (the demo street) and `seed --history` (a made-up year of cases, sandbox only)."""
from __future__ import annotations

from backend.demo import seed_demo
from bot.config import Settings
from cli.context import database
from cli.dashboard import cmd_seed_history


def register(commands) -> None:
    seed = commands.add_parser("seed", help="load data into the database")
    kind = seed.add_mutually_exclusive_group(required=True)
    kind.add_argument("--demo", action="store_true", help="load the demo street (idempotent)")
    kind.add_argument("--history", action="store_true",
                      help="replace the generated demo history: a year of made-up cases (sandbox mode only)")
    seed.add_argument("--cases", type=int, default=20000, help="with --history: how many cases")
    seed.add_argument("--yes-this-is-a-demo", dest="demo_ok", action="store_true",
                      help="with --history: allow it outside sandbox mode (never on a real deployment)")
    seed.set_defaults(run=cmd_seed)


async def cmd_seed(settings: Settings, args) -> int:
    if args.history:
        return await cmd_seed_history(settings, args)
    async with database(settings) as db:
        async with db.transaction() as session:
            result = await seed_demo(session)
    print(f"demo street: {result.added} rows added, {result.updated} updated")
    return 0
