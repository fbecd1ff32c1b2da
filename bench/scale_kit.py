"""Shared by bench/load.py and bench/faults.py: fresh databases, server processes on loopback, and
residents / officers that talk to them as WeChat does (signed, encrypted)."""
from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhook import AES_KEY, APP_ID, TOKEN  # noqa: E402  (the echo baseline's credentials)
from bot.wechat.simulator import WeChatSimulator  # noqa: E402

APP_SECRET = "bench-secret"
NUMBER = re.compile(r"20\d{6}-\d{4}")
OFFICERS = ["S01", "S02", "S03", "S04", "S05", "S06"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def prepare_database(url: str, *, officers: list[str] = OFFICERS) -> dict[str, str]:
    """A fresh schema (PostgreSQL: public dropped and made again), the demo street, and binding codes for
    `officers` (staff id -> code, for `绑定 <code>`)."""
    from sqlalchemy import text

    from backend import staff as staff_mod
    from backend.demo import seed_demo
    from storage.db import Database

    db = Database(url)
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await db.migrate()
    codes = {}
    async with db.transaction() as session:
        await seed_demo(session)
        for staff_id in officers:
            codes[staff_id] = await staff_mod.invite(session, staff_id, datetime.now(timezone.utc))
    await db.dispose()
    return codes


def server_env(db_url: str, port: int, data_dir: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "WECOM_", "DATABASE_URL"))}
    env.update(DATABASE_URL=db_url, PORT=str(port), DATA_DIR=data_dir, WECHAT_TOKEN=TOKEN, WECHAT_APP_ID=APP_ID,
               WECHAT_AES_KEY=AES_KEY, WECHAT_APP_SECRET=APP_SECRET, BACKGROUND="off", LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def start_server(env: dict, *args: str, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "main.py", "serve", *args], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT if log else subprocess.DEVNULL, start_new_session=True)


def stop_server(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status < 500:
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


COMPOUNDS = ["竹园新村", "竹园雅苑", "滨湖欣园", "陶坝家园", "云谷金融城公寓", "牛角大圩安置点", "滨湖世纪城",
             "海顿公馆", "安粮城市广场"]
REPORTS = ["{c}{b}栋楼下有人占道摆摊卖水果，每天下午都在", "{c}{b}栋楼道里有人飞线给电瓶车充电，很危险",
           "{c}{b}栋门口垃圾堆了好几天没人清理", "{c}{b}栋旁边工地晚上十一点还在施工，噪音很大",
           "{c}{b}栋楼下路灯坏了，晚上很黑", "{c}{b}栋附近有人烧烤油烟很大"]


@dataclass
class Said:
    """One message and what became of it."""

    kind: str  # intake | status | charging | staff | bind
    openid: str
    msg_id: int | None
    started: float
    latency: float | None = None
    status: int | None = None
    text: str | None = None  # the reply's text; None for "success"/empty
    error: str | None = None


class Actor:
    """One person. `turn()` sends their next message (one at a time, like a person reading replies)."""

    kind = "?"

    def __init__(self, openid: str, sim: WeChatSimulator, rng: random.Random):
        self.openid, self.sim, self.rng = openid, sim, rng
        self.last: str | None = None

    def next_xml(self) -> tuple[str, int | None]:
        raise NotImplementedError

    def heard(self, reply: str | None) -> None:
        self.last = reply

    async def turn(self, http: aiohttp.ClientSession, url: str, log: list[Said]) -> Said:
        xml, msg_id = self.next_xml()
        said = Said(self.kind, self.openid, msg_id, time.perf_counter())
        params, body = self.sim.signed(xml)
        try:
            async with http.post(url, params=params, data=body, headers={"Content-Type": "text/xml"}) as r:
                text = await r.text()
                said.status = r.status
                if r.status == 200:
                    said.text = (self.sim.open_reply(text) or {}).get("Content")
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
            said.error = type(exc).__name__
        said.latency = time.perf_counter() - said.started
        log.append(said)
        self.heard(said.text)
        return said


class Reporter(Actor):
    """The intake dialog: a report in their own words, then whatever the bot asks, then 1 to confirm."""

    kind = "intake"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.turns = 0
        self.numbers: list[str] = []

    def next_xml(self):
        msg_id = self.sim.next_msg_id()
        reply = self.last or ""
        if self.turns == 0 or self.turns >= 6 or NUMBER.search(reply) and "已受理" in reply:
            self.turns = 0
            text = self.rng.choice(REPORTS).format(c=self.rng.choice(COMPOUNDS), b=self.rng.randint(1, 20))
        elif "确认" in reply or "关注" in reply or "1." in reply or "1、" in reply or "1）" in reply:
            text = "1"
        elif "栋" in reply:
            text = f"{self.rng.randint(1, 20)}栋"
        elif "时间" in reply or "什么时候" in reply:
            text = "今天下午开始的"
        else:
            text = "1"
        self.turns += 1
        return self.sim.text(self.openid, text, msg_id), msg_id

    def heard(self, reply):
        super().heard(reply)
        match = NUMBER.search(reply or "")
        done = any(mark in (reply or "") for mark in ("已受理，工单号", "紧急工单", "已为您关注", "您已经在关注"))
        if match and done and match.group(0) not in self.numbers:  # a case made, or one followed
            self.numbers.append(match.group(0))
            self.turns = 6  # start a new report next time


class Asker(Actor):
    kind = "status"

    def next_xml(self):
        msg_id = self.sim.next_msg_id()
        return self.sim.text(self.openid, self.rng.choice(["我的工单", "我的工单", "查询 0001"]), msg_id), msg_id


class Charger(Actor):
    kind = "charging"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = 0

    def next_xml(self):
        msg_id = self.sim.next_msg_id()
        self.step += 1
        if self.step % 2:
            return self.sim.text(self.openid, "附近哪里有空的电瓶车充电桩", msg_id), msg_id
        return self.sim.build(self.openid, "location", {"Location_X": "31.7399", "Location_Y": "117.2765",
                                                        "Scale": 16, "Label": "滨湖欣园", "MsgId": msg_id}), msg_id


class Officer(Actor):
    kind = "staff"

    def __init__(self, *args, code: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.code = code
        self.bound = not code  # an extra "officer" with no code is a resident typing staff words

    def next_xml(self):
        msg_id = self.sim.next_msg_id()
        if not self.bound:
            self.bound = True
            return self.sim.text(self.openid, f"绑定 {self.code}", msg_id), msg_id
        return self.sim.text(self.openid, self.rng.choice(["待办", "待办", "统计", "帮助"]), msg_id), msg_id


@dataclass
class Population:
    """Idle people by kind; a message of a kind goes to an idle person of that kind (a new one if none)."""

    sim: WeChatSimulator
    prefix: str
    officer_codes: dict[str, str] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    idle: dict[str, list[Actor]] = field(default_factory=dict)
    made: int = 0

    WEIGHTS = (("intake", 60), ("status", 20), ("charging", 10), ("staff", 10))

    def pick_kind(self) -> str:
        return self.rng.choices([k for k, _ in self.WEIGHTS], [w for _, w in self.WEIGHTS])[0]

    def take(self, kind: str) -> Actor:
        pool = self.idle.setdefault(kind, [])
        if pool:
            return pool.pop(self.rng.randrange(len(pool)))
        self.made += 1
        openid = f"{self.prefix}-{kind}-{self.made}"
        cls = {"intake": Reporter, "status": Asker, "charging": Charger, "staff": Officer}[kind]
        return cls(openid, self.sim, self.rng)

    def give_back(self, actor: Actor) -> None:
        self.idle.setdefault(actor.kind, []).append(actor)

    def officers(self) -> list[Officer]:
        """One bound (after their first turn) officer per code; they are the staff pool."""
        people = [Officer(f"{self.prefix}-officer-{sid}", self.sim, self.rng, code=code)
                  for sid, code in self.officer_codes.items()]
        self.idle.setdefault("staff", []).extend(people)
        return people
