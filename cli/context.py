"""What every command shares: the migrated database for one command, and listing output."""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from backend.accounts import AccountError
from backend.channels import ChannelError
from backend.charging import FeedError
from backend.staff import StaffError
from bot.config import Settings
from storage.db import Database


# A command the domain refuses (unknown staff id, a channel name taken, …) prints the refusal as one line on
# stderr and exits 1; main.py catches these for every command, so no command repeats the handling.
REFUSALS = (StaffError, ChannelError, FeedError, AccountError)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


async def open_database(settings: Settings) -> Database:
    db = Database(settings.database_url, pool_size=settings.db_pool_size,
                  statement_timeout_ms=settings.db_statement_timeout_ms)
    await db.migrate()
    return db


@asynccontextmanager
async def database(settings: Settings):
    """The migrated database for one command, disposed of when the command is done."""
    db = await open_database(settings)
    try:
        yield db
    finally:
        await db.dispose()


def print_rows(rows: list[dict], as_json: bool, line, *footer: str) -> None:
    """A listing command's output: JSON, or a line per row and the footer lines."""
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        print(line(row))
    for text in footer:
        print(text)
