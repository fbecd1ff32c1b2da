"""Helpers for the push and job tests: the fake WeChat API served on loopback, senders wired to it as a
server process would wire them, and shortcuts to queue pushes and note inbound messages."""
from __future__ import annotations

import random
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.config import Settings
from bot.background.outbox import OutboxSender
from bot.sandbox.fake_wechat import FakeWeChat
from bot.wechat.api import WeChatAPI
from bot.background.workers import sender_policy, wechat_client, wechat_delivery
from storage import outbox
from storage.db import Database
from storage.models import InboundMessage, OutboxMessage

APP_ID, APP_SECRET = "wxpushtest00001", "push-test-secret"


@asynccontextmanager
async def fake_wechat(clock, **options):
    """The fake WeChat API on 127.0.0.1, on the test's clock. Yields (fake, base_url)."""
    fake = FakeWeChat(APP_ID, APP_SECRET, clock=clock.timestamp, **options)
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def push_settings(base: str, **changes) -> Settings:
    """Settings for a process that sends to the fake: quick retries, a short lease."""
    values = dict(database_url="sqlite+aiosqlite:///unused.db", wechat_token="t", wechat_app_id=APP_ID,
                  wechat_app_secret=APP_SECRET, wechat_api_base=base, outbox_retry_base_s=2.0,
                  outbox_retry_max_s=30.0, outbox_lease_s=60, wechat_api_timeout_s=5.0)
    values.update(changes)
    return Settings(**values)


@dataclass
class Process:
    """What one server process runs to deliver pushes: its own engine, HTTP session, token cache, sender."""

    db: Database
    http: aiohttp.ClientSession
    api: WeChatAPI
    sender: OutboxSender

    async def drain(self, rounds: int = 50) -> int:
        total = 0
        for _ in range(rounds):
            handled = await self.sender.tick()
            total += handled
            if handled == 0:
                break
        return total


@asynccontextmanager
async def process(db_url: str, settings: Settings, clock, *, name: str = "p", seed: int = 7):
    """A sender as a separate server process would have it (own engine and token cache, same database)."""
    db = Database(db_url)
    http = aiohttp.ClientSession()
    api = wechat_client(settings, db, clock=clock, owner=name, http=http)
    sender = OutboxSender(db, clock=clock, owner=name, policy=sender_policy(settings), rng=random.Random(seed))
    sender.register("wechat", wechat_delivery(settings, db, api, clock=clock))
    try:
        yield Process(db, http, api, sender)
    finally:
        await http.close()
        await db.dispose()


async def queue(db: Database, clock, user_id: str, key: str, payload: dict | None = None, *,
                kind: str = "case_status") -> None:
    async with db.transaction() as session:
        outbox.enqueue(session, platform="wechat", user_id=user_id, kind=kind,
                       payload=payload if payload is not None else {"text": f"进度更新 {key}"},
                       idempotency_key=key, now=clock())


async def wrote_at(db: Database, user_id: str, at: datetime) -> None:
    """Note that `user_id` wrote to the account at `at`, as the webhook's inbound log would."""
    async with db.transaction() as session:
        session.add(InboundMessage(platform="wechat", user_id=user_id, msg_key=f"m{at.timestamp()}-{random.random()}",
                                   kind="text", content={}, received_at=at, status="done"))


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.sessions() as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


MAPPINGS = {  # a street's templates as WeChat defines them: keyword -> the push's field
    "case_status": {"character_string1": "case_number", "phrase2": "status", "time3": "time", "thing4": "remark"},
    "staff": {"character_string1": "case_number", "thing2": "place", "time3": "time",
              "thing4": "summary"},
}


def templates_file(directory: Path, **ids: str) -> Path:
    """A WECHAT_TEMPLATES_FILE mapping each given kind (kind="template:ID" or "subscribe:ID") with the
    street's keywords (case_status's own, or the staff mapping for staff kinds)."""
    lines = []
    for kind, value in ids.items():
        api, _, template_id = value.rpartition(":")
        lines += [f"[{kind}]", f'api = "{api or "template"}"', f'id = "{template_id}"', f"[{kind}.fields]"]
        lines += [f'{k} = "{v}"' for k, v in MAPPINGS.get(kind, MAPPINGS["staff"]).items()]
    path = directory / "templates.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
