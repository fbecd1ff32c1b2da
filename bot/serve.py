"""`main.py serve`: migrate, start the HTTP server, run until SIGINT/SIGTERM."""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import sys

from aiohttp import web

from bot.app import build_app
from bot.config import Settings
from storage.db import Database, private_dir

log = logging.getLogger(__name__)


SHUTDOWN_GRACE_S = 10.0  # in-flight requests get this long to finish after SIGTERM
WORKER_ENV = "GONGZHI_WORKER"


class CannotListen(Exception):
    """The server's address cannot be taken (one line for the person who started it)."""


def listen(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """The listening socket, taken before anything else starts, so a busy port is one clear line."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, reuse_port=reuse_port, backlog=1024)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CannotListen(f"cannot listen on {host}:{port}: {reason} (another server running? stop it or set "
                           f"PORT)") from None


async def run_server(settings: Settings, db: Database) -> None:
    """Serve until SIGINT/SIGTERM; then stop taking connections, let in-flight requests finish (bounded),
    drain handlers still running, and stop the background loops (their leases lapse for others).
    Raises CannotListen before any loop starts when the address is taken."""
    worker = os.environ.get(WORKER_ENV)
    sock = listen(settings.host, settings.port, reuse_port=bool(worker))
    private_dir(settings.data_dir)
    app = build_app(settings, db)
    await db.warm()
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_GRACE_S)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    # What start-up built (jieba's dictionary, the models, the taxonomy: ~110k objects) lives as long as the
    # process; moved out of the collector's sight, a full collection under load takes microseconds instead
    # of tens of milliseconds that every request in flight would wait for.
    gc.collect()
    gc.freeze()
    log.info("listening on http://%s:%d (webhook at /wechat)", settings.host, settings.port)
    if settings.extra.get("sandbox") and not worker:
        print(
            f"\nSandbox mode (no WeChat credentials): pushes go to a local fake of WeChat's API.\n"
            f"Try it in the browser: http://{settings.host}:{settings.port}/sandbox  (chat as a resident or an officer;"
            f" the dashboard is /dashboard after `main.py staff password --staff-id S12`)\n"
            f"Or chat with the bot in a second terminal:\n"
            f"    make chat            (or: .venv/bin/python main.py chat --as demo-resident)\n",
            flush=True,
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"Gongzhi bot ready on http://{settings.host}:{settings.port}"
          + (f" (worker {worker}, pid {os.getpid()})" if worker else ""), flush=True)
    await stop.wait()
    log.info("stopping: no new connections, finishing in-flight requests")
    await runner.cleanup()


async def run_workers(count: int) -> int:
    """`serve --workers N`: N server processes on one port (SO_REUSEPORT; the kernel spreads connections).
    Everything shared lives in the database. SIGTERM/SIGINT is passed on; each worker shuts down
    gracefully. A worker that dies is started again."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def start(n: int) -> asyncio.subprocess.Process:
        env = {**os.environ, WORKER_ENV: str(n)}
        return await asyncio.create_subprocess_exec(sys.executable, sys.argv[0], "serve", env=env)

    procs = {n: await start(n) for n in range(1, count + 1)}
    print(f"started {count} worker processes: {', '.join(str(p.pid) for p in procs.values())}", flush=True)
    while not stop.is_set():
        for n, proc in list(procs.items()):
            if proc.returncode is not None:
                log.error("worker %d (pid %d) exited with %s: starting it again", n, proc.pid, proc.returncode)
                procs[n] = await start(n)
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        except asyncio.TimeoutError:
            pass
    for proc in procs.values():
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
    await asyncio.gather(*(proc.wait() for proc in procs.values()))
    return 0
