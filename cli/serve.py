"""`serve` (migrate, then serve until SIGTERM) and `migrate`."""
from __future__ import annotations

import sys

from bot.config import Settings
from cli.context import database, open_database


def register(commands) -> None:
    serve = commands.add_parser("serve", help="start the server (migrates the database first)")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes sharing the port (use PostgreSQL for more than one)")
    serve.set_defaults(run=cmd_serve)
    commands.add_parser("migrate", help="create or upgrade the database schema, then exit").set_defaults(
        run=cmd_migrate)


async def cmd_serve(settings: Settings, args) -> int:
    from bot.serve import CannotListen, listen, run_server, run_workers  # the whole server: only for `serve`

    db = await open_database(settings)
    try:
        if args.workers > 1:  # migrated once here; each worker process serves on the shared port
            listen(settings.host, settings.port, reuse_port=False).close()  # taken? say so, start no worker
            await db.dispose()
            return await run_workers(args.workers)
        await run_server(settings, db)
    except CannotListen as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    return 0


async def cmd_migrate(settings: Settings, args) -> int:
    async with database(settings):
        print("database schema is up to date")
    return 0
