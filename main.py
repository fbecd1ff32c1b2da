"""Gongzhi (共治) bot: one entry point with subcommands. `python main.py --help` lists them.

Every command is registered the same way: a module of cli/ adds its parsers in `register(commands)` and
names the function that runs each with `set_defaults(run=...)`; `run(settings, args)` returns the exit code
(a coroutine is run on a new event loop)."""
from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import os
import sys

from bot.logs import FORMAT, mask_handlers
from bot.config import ConfigError, Settings, load_dotenv_file
from cli.context import REFUSALS

# In the order `--help` lists them.
COMMAND_MODULES = ("cli.serve", "cli.seed", "cli.chat", "cli.staff", "cli.official_account", "cli.dashboard",
                   "cli.nlp", "cli.kb", "cli.cases", "cli.channels", "cli.audit")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="main.py", description="Gongzhi (共治) community-governance bot")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format=FORMAT)
    mask_handlers()  # no resident's phone number in the server's log
    logging.getLogger("alembic").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # what this process writes (database, media, credentials, caches) is its owner's alone
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
    try:
        outcome = args.run(settings, args)
        return asyncio.run(outcome) if inspect.iscoroutine(outcome) else outcome
    except REFUSALS as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
