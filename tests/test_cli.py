"""The newcomer's path and the command line: bad configuration stops the start with exit code 2,
seeding is idempotent, and `serve` + `chat` talk over real HTTP in sandbox mode."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.demo import seed_demo
from storage.models import ChargingStation, Compound, Department, Staff

ROOT = Path(__file__).resolve().parent.parent


def run_main(*args: str, env: dict, input_: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env, input=input_, text=True,
                          capture_output=True, timeout=timeout)


def clean_env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_URL", "PORT", "HOST"))}
    env.update(DATA_DIR=str(tmp_path / "data"), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/data/g.db", **extra)
    return env


@pytest.mark.parametrize("bad,reason", [
    ({"WECHAT_TOKEN": "t", "WECHAT_APP_ID": "wx1", "WECHAT_AES_KEY": "too-short"}, "43 characters"),
    ({"DATABASE_URL": "mysql://u@h/db"}, "unsupported database scheme"),
    ({"PORT": "eighty"}, "PORT"),
])
def test_bad_configuration_stops_with_one_line_and_exit_2(tmp_path, bad, reason):
    result = run_main("serve", env={**clean_env(tmp_path), **bad})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0]


async def test_seeding_the_demo_street_twice_changes_nothing(db):
    async with db.transaction() as session:
        first = await seed_demo(session)
    async with db.transaction() as session:
        second = await seed_demo(session)
    assert first.added == 12 + 43 + 49 + 12 + 24 + 90 and first.updated == 0  # 90 knowledge-base entries
    assert (second.added, second.updated) == (0, 0)
    async with db.sessions() as s:
        counts = [(await s.execute(select(func.count()).select_from(m))).scalar_one()
                  for m in (Department, Compound, Staff, ChargingStation)]
        xinyuan = await s.get(Compound, "C03")
        crossing = await s.get(Compound, "X02")
    assert counts == [12, 43 + 49, 12, 24]
    assert xinyuan.name == "滨湖欣园" and xinyuan.aliases == ["欣园"] and xinyuan.grid_mode == "resident"
    assert xinyuan.kind == "compound" and xinyuan.grid is None
    assert crossing.kind == "intersection" and crossing.roads == ["R03", "R07"] and crossing.grid == "C33"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_newcomer_runs_serve_then_chats_in_sandbox_mode(tmp_path):
    env = clean_env(tmp_path, PORT=str(free_port()))
    assert run_main("seed", "--demo", env=env).returncode == 0
    server = subprocess.Popen([sys.executable, "main.py", "serve"], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        banner = []
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            banner.append(line)
            if "ready on" in line:
                break
        assert any("Sandbox mode" in line for line in banner), banner
        chat = run_main("chat", "--as", "newcomer", "--no-pushes", env=env, input_="你好\n/quit\n")
        assert chat.returncode == 0, chat.stderr
        assert "公众号:" in chat.stdout and "我的工单" in chat.stdout
        assert (tmp_path / "data" / "sandbox.json").exists()
        menu = run_main("menu", "push", env=env)
        assert menu.returncode == 0 and "我要反映" in menu.stdout, menu.stderr
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert server.returncode == 0


@pytest.mark.sqlite_only
async def test_outbox_problems_lists_the_pushes_that_need_a_look(tmp_path):
    import json
    from datetime import datetime, timezone

    from storage.db import Database
    from storage.models import OutboxMessage

    env = clean_env(tmp_path)
    db = Database(env["DATABASE_URL"])
    await db.migrate()
    at = datetime(2026, 11, 27, 8, tzinfo=timezone.utc)
    async with db.transaction() as session:
        for key, status, code in (("k-sent", "sent", None), ("k-cut", "interrupted", "interrupted"),
                                  ("k-48h", "undeliverable", "no_template"), ("k-wait", "pending", None)):
            session.add(OutboxMessage(platform="wechat", user_id=f"o-{key}", kind="case_status", payload={"text": "x"},
                                      idempotency_key=key, status=status, error_code=code, attempts=1,
                                      next_attempt_at=at, created_at=at))
    await db.dispose()
    result = await asyncio.to_thread(run_main, "outbox", "problems", "--json", env=env)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert sorted((r["to"], r["status"], r["code"]) for r in listed) == [
        ("wechat:o-k-48h", "undeliverable", "no_template"), ("wechat:o-k-cut", "interrupted", "interrupted")]
