"""`main.py serve`: migrate, start the HTTP server, run until SIGINT/SIGTERM."""
from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.app import build_app
from bot.config import Settings
from storage.db import Database

log = logging.getLogger(__name__)


async def run_server(settings: Settings, db: Database) -> None:
    app = build_app(settings, db)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info("listening on http://%s:%d (webhook at /wechat)", settings.host, settings.port)
    if settings.extra.get("sandbox"):
        print(
            f"\nSandbox mode (no WeChat credentials): pushes go to a local fake of WeChat's API.\n"
            f"Chat with the bot in a second terminal:\n"
            f"    make chat            (or: .venv/bin/python main.py chat --as demo-resident)\n",
            flush=True,
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"Gongzhi bot ready on http://{settings.host}:{settings.port}", flush=True)
    await stop.wait()
    log.info("stopping")
    await runner.cleanup()
