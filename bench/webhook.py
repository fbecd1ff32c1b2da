"""Webhook throughput and latency: our full path versus a minimal aiohttp + wechatpy echo server.

    .venv/bin/python bench/webhook.py [-n 3000] [-c 20]

Both servers run as separate processes on loopback with the same token and AES key; the load comes
from this process: N encrypted text messages from 200 residents at concurrency C. Our path verifies,
decrypts, claims the dedupe row, runs the router, completes the log row, renders and encrypts the
reply, on a fresh SQLite file. The echo verifies, decrypts, parses and encrypts a fixed reply.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.wechat.simulator import WeChatSimulator  # noqa: E402

TOKEN = "benchtoken"
APP_ID = "wxbench0000000001"
AES_KEY = base64.b64encode(b"b" * 32).decode()[:43]


def echo_server(port: int) -> None:
    """The baseline: the least a correct encrypted WeChat webhook can do."""
    from aiohttp import web
    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.replies import TextReply

    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    async def handle(request: web.Request) -> web.Response:
        q = request.query
        plain = crypto.decrypt_message(await request.text(), q["msg_signature"], q["timestamp"], q["nonce"])
        message = parse_message(plain)
        reply = TextReply(content="收到", message=message).render()
        return web.Response(text=crypto.encrypt_message(reply, q["nonce"], q["timestamp"]))

    app = web.Application()
    app.router.add_post("/wechat", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


async def load(url: str, n: int, concurrency: int) -> dict:
    sim = WeChatSimulator(url=url, token=TOKEN, app_id=APP_ID, aes_key=AES_KEY)
    messages = [sim.signed(sim.text(f"bench-resident-{i % 200}", "你好")) for i in range(n)]
    latencies: list[float] = []
    errors = 0
    queue = iter(messages)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def worker():
            nonlocal errors
            for params, body in queue:
                started = time.perf_counter()
                async with http.post(url, params=params, data=body) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"msg_s": n / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000, "errors": errors}


async def measure(n: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ours_port, echo_port = free_port(), free_port()
        env = {**os.environ, "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_AES_KEY": AES_KEY,
               "PORT": str(ours_port), "DATA_DIR": tmp, "LOG_LEVEL": "WARNING",
               "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db"}
        ours = subprocess.Popen([sys.executable, "main.py", "serve"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        echo = subprocess.Popen([sys.executable, __file__, "--echo-server", str(echo_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            await wait_ready(f"http://127.0.0.1:{ours_port}/healthz")
            await wait_ready(f"http://127.0.0.1:{echo_port}/wechat")
            await load(f"http://127.0.0.1:{echo_port}/wechat", min(n, 300), concurrency)  # warm-up
            await load(f"http://127.0.0.1:{ours_port}/wechat", min(n, 300), concurrency)
            echo_r = await load(f"http://127.0.0.1:{echo_port}/wechat", n, concurrency)
            ours_r = await load(f"http://127.0.0.1:{ours_port}/wechat", n, concurrency)
        finally:
            for p in (ours, echo):
                p.terminate()
                p.wait(timeout=15)
    print(f"{n} encrypted text messages, concurrency {concurrency}, {os.cpu_count()} cores, SQLite")
    print(f"{'server':<10}{'msg/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, r in (("echo", echo_r), ("gongzhi", ours_r)):
        print(f"{name:<10}{r['msg_s']:>10.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}{r['errors']:>8}")
    print(f"gongzhi / echo throughput: {ours_r['msg_s'] / echo_r['msg_s']:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=3000, help="messages per server")
    parser.add_argument("-c", type=int, default=20, help="concurrency")
    parser.add_argument("--echo-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_server:
        echo_server(args.echo_server)
    else:
        asyncio.run(measure(args.n, args.c))


if __name__ == "__main__":
    main()
