"""Fixtures: a real database (a SQLite file, and PostgreSQL when TEST_DATABASE_URL is set), a clock
tests can move, and the bot served over real HTTP on loopback with a simulator that plays WeChat."""
from __future__ import annotations

import base64
import os
import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from aiohttp import web_app
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select, text

from backend import cases, staff as staff_mod
from backend.clock import LOCAL_TZ
from backend.surveys import QUIET_END, QUIET_START
from bot.app import PIPELINE_KEY, build_app
from bot.background.jobs import JobPolicy, JobRunner, registered_handlers
from bot.services import policies
from bot.config import Settings
from bot.wechat.simulator import WeChatSimulator
from storage import replay
from storage.db import Database
from storage.jobs import JobHandlers
from storage.models import InboundMessage, OutboxMessage

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


class Clock:
    """A clock the test controls: starts at the real date and minute, moves only when told. When the real hour
    falls in the street's night (the surveys' quiet hours, 22:00-08:00 in Hefei) it starts at the last 10:00
    of the street's day that has already passed, so no test depends on the hour it runs at, and nothing the
    clock stamps lies in the future of code that reads the real time (a report's default `as_of`)."""

    def __init__(self, start: datetime | None = None):
        self.now = start or _daytime(datetime.now(timezone.utc))

    def __call__(self) -> datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


def _daytime(now: datetime) -> datetime:
    here = now.astimezone(LOCAL_TZ)
    if QUIET_END <= here.time() < QUIET_START:
        return now
    morning = here.replace(hour=10, minute=0, second=0, microsecond=0)
    if morning > here:
        morning -= timedelta(days=1)
    return morning.astimezone(timezone.utc)


def pytest_generate_tests(metafunc):
    """Every test that uses the database runs on each backend; `@pytest.mark.sqlite_only` ones (what they
    check does not depend on the database, e.g. the browser, the fuzzers) run once, on SQLite."""
    if "db_url" in metafunc.fixturenames:
        once = any(metafunc.definition.get_closest_marker(m) for m in ("sqlite_only", "fuzz"))
        metafunc.parametrize("db_url", ["sqlite"] if once else BACKENDS, indirect=True)


@pytest.fixture
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'gongzhi.db'}"
    return os.environ["TEST_DATABASE_URL"]


@pytest.fixture
async def db(db_url):
    database = Database(db_url)
    if not database.is_sqlite:
        async with database.engine.begin() as conn:
            # what an earlier test left connected (a reply still being handled when its server stopped) holds
            # its transaction, its locks and its sender's advisory lock until the connection ends: end it
            await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                    "AND usename = current_user AND backend_type = 'client backend'"))
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await database.migrate()
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def new_aes_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()[:43]


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_url="sqlite+aiosqlite:///unused.db", data_dir=tmp_path, wechat_token="test-token",
                    wechat_app_id="wxtestapp000001", wechat_aes_key=new_aes_key())


@dataclass
class Bot:
    """One running bot server and a WeChat simulator aimed at it."""

    server: TestServer
    db: Database
    wechat: WeChatSimulator
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return str(self.server.make_url("/wechat"))

    async def say(self, openid: str, content: str):
        return await self.wechat.post(self.http, self.wechat.text(openid, content))

    async def send(self, xml: str, **kwargs):
        return await self.wechat.post(self.http, xml, **kwargs)

    async def inbound_count(self) -> int:
        async with self.db.sessions() as s:
            return (await s.execute(select(func.count()).select_from(InboundMessage))).scalar_one()

    async def outbox_rows(self) -> list[OutboxMessage]:
        async with self.db.sessions() as s:
            return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


@pytest.fixture
async def start_bot(db, settings, clock, nlp_services):
    """start_bot(settings=…, router=…, encrypted=True) -> Bot, served on 127.0.0.1."""
    started: list[tuple[TestServer, aiohttp.ClientSession]] = []

    async def start(*, settings_: Settings | None = None, router=None, encrypted: bool = True,
                    services: dict | None = None) -> Bot:
        s = settings_ or settings
        if not encrypted:
            s = s.with_(wechat_aes_key=None)
        server = TestServer(build_app(s, db, clock=clock, router=router, services={**(services or nlp_services), **policies(s)}),
                            host="127.0.0.1")
        await server.start_server()
        http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        started.append((server, http))
        sim = WeChatSimulator(url=str(server.make_url("/wechat")), token=s.wechat_token, app_id=s.wechat_app_id,
                              aes_key=s.wechat_aes_key, clock=clock.timestamp)
        return Bot(server, db, sim, http)

    yield start
    for server, http in started:
        await http.close()
        await server.close()


@pytest.fixture(autouse=True)
def _forget_stopped_apps():
    """aiohttp caches each handler's middleware chain by (handler, applications) in a module-level LRU of
    1,024: one application per server process costs nothing, but a test run starts a server per test and would
    keep every stopped one (its services and knowledge-base index) alive, gigabytes by the end. (aiohttp
    before 3.10.6 has no such cache.)"""
    yield
    cached = getattr(web_app, "_cached_build_middleware", None)
    if cached is not None:
        cached.cache_clear()


@pytest.fixture(scope="session")
def nlp_services(tmp_path_factory):
    """The taxonomy and analyzer, built once for the whole run from the demo street's places."""
    from backend.demo import DEMO_DIR
    from nlp import Analyzer, load_taxonomy, places_from_csv

    taxonomy = load_taxonomy()
    analyzer = Analyzer(taxonomy, places_from_csv(DEMO_DIR / "compounds.csv", DEMO_DIR / "places.csv"), model_dir=None,
                        cache_dir=tmp_path_factory.mktemp("jieba"))
    return {"taxonomy": taxonomy, "nlp": analyzer}


@dataclass
class Resident:
    """One WeChat user talking to the bot: `await r.say("…")` returns the reply text."""

    bot: Bot
    openid: str

    async def say(self, text: str) -> str:
        before = await self._last_message_id()
        delivery = await self.bot.say(self.openid, text)
        assert delivery.status == 200, delivery.body
        return delivery.text or await self._deferred_reply(before)

    async def send(self, msg_type: str, fields: dict) -> str:
        before = await self._last_message_id()
        delivery = await self.bot.send(self.bot.wechat.build(self.openid, msg_type, fields))
        assert delivery.status == 200, delivery.body
        return delivery.text or await self._deferred_reply(before)

    async def _last_message_id(self) -> int:
        async with self.bot.db.sessions() as s:
            found = await s.execute(select(func.max(InboundMessage.id)).where(InboundMessage.user_id == self.openid))
            return found.scalar_one() or 0

    async def _deferred_reply(self, before: int) -> str:
        """The reply of a message answered empty: none when the bot had nothing to say, else the one it sent
        through the outbox because it was not ready within the reply budget (a busy machine), as WeChat would
        show it to the resident."""
        await self.bot.server.app[PIPELINE_KEY].drain(timeout=60)
        async with self.bot.db.sessions() as s:
            row = (await s.execute(select(InboundMessage).where(
                InboundMessage.user_id == self.openid, InboundMessage.id > before)
                .order_by(InboundMessage.id.desc()).limit(1))).scalar_one_or_none()
        return (row.reply or {}).get("text") or "" if row is not None and row.status == "deferred" else ""

    async def photo(self, media_id: str = "photo-1") -> str:
        return await self.send("image", {"PicUrl": f"http://wx.invalid/{media_id}.jpg", "MediaId": media_id,
                                         "MsgId": self.bot.wechat.next_msg_id()})

    async def location(self, lat: float, lng: float, label: str = "位置") -> str:
        return await self.send("location", {"Location_X": str(lat), "Location_Y": str(lng), "Scale": 16,
                                            "Label": label, "MsgId": self.bot.wechat.next_msg_id()})


@pytest.fixture
async def street(start_bot, db):
    """The bot with the demo street loaded and the real nlp: street(openid) -> Resident."""
    from backend.demo import seed_demo

    async with db.transaction() as session:
        await seed_demo(session)
    bot = await start_bot()

    def resident(openid: str) -> Resident:
        return Resident(bot, openid)

    resident.bot = bot
    return resident


NUMBER = re.compile(r"20\d{6}-\d{4}")


@pytest.fixture
async def town(start_bot, db, settings, clock):
    """The demo street with background loops off: tests run due jobs themselves with `town.tick()`."""
    from backend.demo import seed_demo

    async with db.transaction() as session:
        await seed_demo(session)

    class Town:
        def __init__(self):
            self.bot = None

        async def start(self, **overrides):
            self.bot = await start_bot(settings_=settings.with_(background=False, **overrides))
            return self

        def person(self, openid: str) -> Resident:
            return Resident(self.bot, openid)

        async def officer(self, staff_id: str, openid: str) -> Resident:
            async with db.transaction() as session:
                code = await staff_mod.invite(session, staff_id, clock())
            person = self.person(openid)
            assert "绑定成功" in await person.say(f"绑定 {code}")
            return person

        async def report(self, openid: str, text: str, *answers: str) -> str:
            person = self.person(openid)
            reply = await person.say(text)
            for answer in answers:
                reply = await person.say(answer)
            match = NUMBER.search(reply)
            assert match, reply
            return match.group(0)

        async def case(self, number: str) -> dict:
            async with db.sessions() as s:
                return await cases.staff_view(s, await cases.by_number(s, number))

        async def pushes(self, openid: str) -> list[OutboxMessage]:
            async with db.sessions() as s:
                rows = await s.execute(select(OutboxMessage).where(OutboxMessage.user_id == openid)
                                       .order_by(OutboxMessage.id))
                return list(rows.scalars())

        async def tick(self) -> int:
            """Run the due jobs (not the purge of old webhook nonces, which falls due every few minutes of the
            test clock); returns how many ran."""
            runner = JobRunner(db, clock=clock, owner="test", policy=JobPolicy(batch=50), rng=random.Random(1))
            runner.include(case_job_handlers())
            return await runner.tick()

    return Town()


HOUSEKEEPING_JOBS = (replay.PURGE_KIND,)


def case_job_handlers() -> JobHandlers:
    every = registered_handlers()
    handlers = JobHandlers()
    for kind, fn in every.by_kind.items():
        if kind not in HOUSEKEEPING_JOBS:
            handlers.add(kind, fn)
    return handlers


