"""Several server processes on one database: WeChat's retries delivered to random processes still make
exactly one case per report with identical replies, and `serve --workers 2` shares one port."""
from __future__ import annotations

import asyncio
import base64
import os
import random
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.wechat.simulator import WeChatSimulator
from storage.models import Case, Compound, InboundMessage

ROOT = Path(__file__).resolve().parent.parent
TOKEN, APP_ID = "scale-token", "wxscale000000001"
AES = base64.b64encode(b"s" * 32).decode()[:43]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(db_url: str, port: int, data_dir: Path) -> dict:
    return {**os.environ, "DATABASE_URL": db_url, "PORT": str(port), "DATA_DIR": str(data_dir),
            "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_AES_KEY": AES, "BACKGROUND": "off",
            "LOG_LEVEL": "WARNING"}


async def wait_ready(port: int, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


@pytest.fixture
async def two_servers(db, db_url, tmp_path):
    """Two server processes on the test database (already migrated by the `db` fixture), demo loaded."""
    from backend.demo import seed_demo

    async with db.transaction() as session:
        await seed_demo(session)
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([sys.executable, "main.py", "serve"], cwd=ROOT, env=server_env(db_url, p, tmp_path),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    try:
        await asyncio.gather(*(wait_ready(p) for p in ports))
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


async def test_retry_storm_across_two_processes_makes_one_case_per_report(two_servers, db):
    rng = random.Random(7)
    sims = [WeChatSimulator(url=f"http://127.0.0.1:{p}/wechat", token=TOKEN, app_id=APP_ID, aes_key=AES)
            for p in two_servers]
    residents = [f"o-storm-{i}" for i in range(36)]
    replies: dict[tuple[str, str], set] = defaultdict(set)

    async def deliver(http, openid: str, xml: str, label: str) -> None:
        results = await asyncio.gather(*(rng.choice(sims).post(http, xml) for _ in range(3)))
        for d in results:
            assert d.status == 200, d.body
            replies[(openid, label)].add((d.text, (d.reply or {}).get("CreateTime")))

    active = asyncio.Semaphore(8)  # residents typing at the same moment; each reads a reply before answering

    async def resident(http, openid: str, compound: str) -> None:
        sim = sims[0]  # builds the XML; deliveries go to random processes
        async with active:
            await deliver(http, openid, sim.text(openid, f"{compound}3栋楼下有人占道摆摊卖水果，每天下午都在"), "report")
            await deliver(http, openid, sim.text(openid, "1"), "confirm")

    async with db.sessions() as s:  # one compound each: no report is a duplicate of another
        names = [n for n in (await s.execute(select(Compound.name).order_by(Compound.id))).scalars()
                 if "欣园" not in n]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        await asyncio.gather(*(resident(http, r, names[i]) for i, r in enumerate(residents)))

    for key, seen in replies.items():
        assert len(seen) == 1 and None not in next(iter(seen)), (key, seen)  # one identical reply to all three
    async with db.sessions() as s:
        cases = (await s.execute(select(Case.reporter_id, func.count()).group_by(Case.reporter_id))).all()
        inbound = (await s.execute(select(func.count()).select_from(InboundMessage))).scalar_one()
    assert sorted(cases) == sorted((r, 1) for r in residents)
    assert inbound == 2 * len(residents)


async def test_serve_with_two_workers_shares_one_port(db, db_url, tmp_path):
    port = free_port()
    master = subprocess.Popen([sys.executable, "main.py", "serve", "--workers", "2"], cwd=ROOT,
                              env=server_env(db_url, port, tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        await wait_ready(port)
        sim = WeChatSimulator(url=f"http://127.0.0.1:{port}/wechat", token=TOKEN, app_id=APP_ID, aes_key=AES)
        async with aiohttp.ClientSession() as http:
            deliveries = await asyncio.gather(*(sim.post(http, sim.text(f"o-w-{i}", "你好")) for i in range(20)))
        assert all(d.status == 200 and "我的工单" in d.text for d in deliveries)
    finally:
        master.terminate()
        assert master.wait(timeout=30) == 0
    assert "started 2 worker processes" in master.stdout.read()
