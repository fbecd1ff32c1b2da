"""The async engine, its sessions, and schema migration (Alembic) for one database URL."""
from __future__ import annotations

import asyncio
import logging
import os
import stat
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite_inline

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Accepted spellings of a database URL's scheme -> the async driver we run it on.
SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


# INSERT with ON CONFLICT for each database we run on (both take the same on_conflict_* arguments).
INSERTS = {"postgresql": pg_insert, "sqlite": sqlite_insert}


def dialect_of(bind) -> str:
    """postgresql | sqlite, for a session or a connection."""
    dialect = getattr(bind, "dialect", None) or bind.bind.dialect
    return dialect.name


def insert_for(bind):
    """The `insert` (with ON CONFLICT) of the database behind a session or connection: the one place that
    chooses between PostgreSQL's and SQLite's."""
    return INSERTS[dialect_of(bind)]


class UnsupportedDatabase(ValueError):
    """The URL names a database or driver this project does not run on."""


def normalize_url(url: str) -> str:
    """Map plain `sqlite:`/`postgresql:` URLs to the async drivers; refuse anything else."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UnsupportedDatabase(f"not a database URL: {url!r}") from exc
    wanted = SCHEMES.get(parsed.drivername)
    if wanted is None:
        raise UnsupportedDatabase(
            f"unsupported database scheme {parsed.drivername!r}: use sqlite+aiosqlite:/// or postgresql+asyncpg://"
        )
    return parsed.set(drivername=wanted).render_as_string(hide_password=False)


class Database:
    """One engine and its session factories: `sessions` / `transaction()` for everything, `reading` for
    long read-only queries (on SQLite, a second engine whose connections run on aiosqlite's thread).
    SQLite runs in WAL mode with a busy timeout; its writers queue for the one connection instead of
    failing with 'database is locked'."""

    def __init__(self, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 5000, statement_timeout_ms: int = 10000,
                 connect_timeout_s: float = 3.0, echo: bool = False):
        self.url = normalize_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict = {"echo": echo}
        if self.is_sqlite:
            path = make_url(self.url).database
            if path and path != ":memory:":
                private_file(Path(path))
            # Statements run in the loop's thread (storage/sqlite_inline.py). Each write transaction opens
            # with BEGIN IMMEDIATE (before its first write), so a lock held by another process is met
            # there, not mid-transaction, and waited for with asyncio sleeps up to the busy timeout.
            kwargs["async_creator"] = sqlite_inline.connector(path or ":memory:", busy_timeout_s=busy_timeout_ms / 1000)
            # One connection, handed out in turn by the pool's asyncio queue: in this process, sessions
            # take turns there, in order, instead of in SQLite's sleeping busy handler. Transactions
            # always end explicitly, so the pool's extra rollback on return is skipped.
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=busy_timeout_ms / 1000 * 6,
                          pool_reset_on_return=None)
        else:
            # A database that is down or stuck must not hold a webhook past WeChat's 5 s: connecting
            # gives up after connect_timeout_s and every statement after statement_timeout_ms.
            kwargs.update(pool_size=pool_size, max_overflow=0, pool_pre_ping=True,
                          pool_timeout=max(connect_timeout_s, 1.0) * 10,
                          connect_args={"timeout": connect_timeout_s,
                                        "server_settings": {"statement_timeout": str(int(statement_timeout_ms))}})
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.reader_engine = self.engine
        if self.is_sqlite and path and path != ":memory:":
            # Long reads (the dashboard's year of cases) run on aiosqlite's worker thread, on connections
            # of their own: WAL lets them read while the server writes, and SQLite's part of the work
            # does not hold the event loop.
            self.reader_engine = create_async_engine(self.url, echo=echo, pool_size=2, max_overflow=0,
                                                     pool_timeout=busy_timeout_ms / 1000 * 6,
                                                     connect_args={"timeout": busy_timeout_ms / 1000})
            _configure_sqlite(self.reader_engine)
        self.reading = async_sessionmaker(self.reader_engine, expire_on_commit=False)

    async def warm(self) -> None:
        """Open the pool's connections now rather than on the first messages (PostgreSQL: each new
        connection costs a handshake, authentication and the driver's type set-up), so a server that has
        just (re)started answers a burst at full speed."""
        if self.is_sqlite:
            return
        size = self.engine.sync_engine.pool.size()
        connections = await asyncio.gather(*(self.engine.connect() for _ in range(size)), return_exceptions=True)
        for connection in connections:
            if not isinstance(connection, BaseException):
                await connection.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any exception."""
        async with self.sessions() as session, session.begin():
            yield session

    async def migrate(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))

        def upgrade(connection) -> None:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")

        async with self.engine.begin() as conn:
            await conn.run_sync(upgrade)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.reader_engine is not self.engine:
            await self.reader_engine.dispose()


def private_dir(folder: Path) -> None:
    """Create a folder of ours, and the missing folders above it, readable by their owner only (0700)."""
    for missing in reversed([p for p in (folder, *folder.parents) if not p.exists()]):
        missing.mkdir(mode=0o700, exist_ok=True)


def private_file(path: Path) -> None:
    """Make sure a data file exists and only its owner may read it (0600), in a 0700 folder when we create
    it. SQLite gives its -wal and -shm files the database file's mode."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkout")
    def on_checkout(dbapi_connection, _record, _proxy):
        inner = getattr(dbapi_connection, "_connection", None)
        if isinstance(inner, sqlite_inline.InlineConnection):
            inner.begin_turn()

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
