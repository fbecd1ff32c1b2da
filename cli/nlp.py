"""`nlp classify | train | eval`: the commands nlp/cli.py declares, given the street's places."""
from __future__ import annotations

import asyncio
import sys

from backend.demo import DEMO_DIR
from bot.config import Settings
from cli.context import database
from nlp import places_from_csv
from nlp.cli import add_subcommands


def register(commands) -> None:
    add_subcommands(commands, load_places).set_defaults(run=cmd_nlp)


def cmd_nlp(settings: Settings, args) -> int:
    """nlp's commands run synchronously (they start their own event loop when they need the database)."""
    return args.handler(args) or 0


def load_places() -> list:
    """The street's places for `nlp` commands: from the database, or the demo street when it is empty."""
    async def from_database():
        async with database(Settings.from_env()) as db:
            from bot.services import nlp_places  # the server's services: only when a database is named

            return await nlp_places(db)

    found = asyncio.run(from_database())
    if found:
        return found
    print("(no places in the database: using the demo street's)", file=sys.stderr)
    return places_from_csv(DEMO_DIR / "compounds.csv", DEMO_DIR / "places.csv")
