"""SQLite driven from the event loop's own thread, behind aiosqlite's interface.

SQLAlchemy's aiosqlite dialect talks to a connection object with aiosqlite's coroutine methods; aiosqlite
runs every one of them (cursor, execute, fetch, close, commit: about two dozen per message) on a worker
thread and wakes the event loop for each result. On a local file in WAL mode a statement takes tens of
microseconds, so the hand-offs, not SQLite, were most of a message's time, and while one message held
the single connection, every hand-off waited behind the other requests' work on the loop.

This adapter keeps aiosqlite's interface (SQLAlchemy's dialect, its exception module and its pool stay as
they are) but calls sqlite3 directly. The one thing that may wait — another process holding the write
lock — never blocks the loop: SQLite's own busy handler is off (timeout 0) and a statement refused with
SQLITE_BUSY is retried after an asyncio sleep, until the busy timeout, then raised as SQLite would. A
statement refused with SQLITE_BUSY has had no effect (that includes the driver's implicit BEGIN IMMEDIATE
and a COMMIT, which SQLite documents as retryable), so the retry is safe.

Time slices: a holder of the connection that has run statements for more than SLICE_S since it got the
connection (or last gave way) lets the loop turn once before its next statement. Without that, under a
load above what the server can handle, long handlers ran back to back and requests waited unread in
their sockets, where the reply budget (bot/pipeline.py) cannot see them: at 10x the street's peak 1,014
of 3,000 answers came after WeChat's 5 s; with it, none (the excess is answered empty within the budget
and replied by push). It costs ~8 % of the webhook's throughput at full load (README, Benchmarks).

The price: a statement that really is slow (a report over a whole year of cases) holds the loop while
SQLite works. Rows are turned into Python objects on the loop in either design, so this adds only
SQLite's own part; long reads therefore go to `Database.reading()`, whose connections stay on
aiosqlite's thread (bench/report.py has the figures).
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any, Callable, Iterable

SQLITE_BUSY = 5
SQLITE_LOCKED = 6
_FIRST_BACKOFF_S = 0.002
_LONGEST_BACKOFF_S = 0.05
SLICE_S = 0.005  # the longest a connection's holder runs statements without letting the loop turn


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # built without extended codes: fall back to the message
        return "locked" in str(exc) or "busy" in str(exc)
    return code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)


class InlineConnection:
    """The parts of aiosqlite.Connection that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout_s: float):
        self._connection: sqlite3.Connection | None = connection
        self.busy_timeout_s = busy_timeout_s
        self.default_isolation = connection.isolation_level
        self._turn_started = time.monotonic()

    def begin_turn(self) -> None:
        """The pool handed this connection to a new holder (storage/db.py): its time slice starts now."""
        self._turn_started = time.monotonic()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    async def _run(self, fn: Callable, *args: Any) -> Any:
        if time.monotonic() - self._turn_started > SLICE_S:
            await asyncio.sleep(0)  # let requests that arrived meanwhile be read (see the module's notes)
            self._turn_started = time.monotonic()
        try:
            return fn(*args)
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        # another process holds the lock: wait for it without holding up the loop
        deadline = time.monotonic() + self.busy_timeout_s
        delay = _FIRST_BACKOFF_S
        while True:
            await asyncio.sleep(delay)
            try:
                return fn(*args)
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise
            delay = min(delay * 2, _LONGEST_BACKOFF_S)

    def cursor(self) -> "InlineCursor":
        """A cursor; SQLAlchemy enters it with `async with` (as it does aiosqlite's)."""
        return InlineCursor(self, self._conn.cursor())

    async def commit(self) -> None:
        await self._run(self._conn.commit)

    async def rollback(self) -> None:
        await self._run(self._conn.rollback)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value

    @property
    def _tx(self) -> "_RunNow":
        """SQLAlchemy's adapter changes the isolation level (e.g. AUTOCOMMIT) by queueing the change on
        aiosqlite's worker queue; here the 'queue' runs it at once."""
        return _RunNow(self)


class _RunNow:
    def __init__(self, connection: InlineConnection):
        self.connection = connection

    def put_nowait(self, item: tuple[asyncio.Future, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
            sqlite = self.connection._conn
            if sqlite.isolation_level == "":  # SQLAlchemy's "back to the default": ours is BEGIN IMMEDIATE
                sqlite.isolation_level = self.connection.default_isolation
            future.set_result(result)
        except Exception as exc:  # handed back through the future, as aiosqlite's thread does
            future.set_exception(exc)


class InlineCursor:
    """The parts of aiosqlite.Cursor that SQLAlchemy's adapter uses."""

    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor):
        self._connection = connection
        self._cursor = cursor

    async def __aenter__(self) -> "InlineCursor":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Iterable[Any] = ()) -> "InlineCursor":
        await self._connection._run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> "InlineCursor":
        parameters = list(parameters)  # a retry must see the same rows
        await self._connection._run(self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def fetchall(self) -> list:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    def __aiter__(self):
        return self._rows()

    async def _rows(self):
        for row in self._cursor:
            yield row

    @property
    def description(self):
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


def connector(path: str, *, busy_timeout_s: float, isolation_level: str | None = "IMMEDIATE"):
    """An `async_creator` for create_async_engine: opens the file with SQLite's busy handler off."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(path, timeout=0, isolation_level=isolation_level, check_same_thread=False)
        return InlineConnection(connection, busy_timeout_s)

    return connect
