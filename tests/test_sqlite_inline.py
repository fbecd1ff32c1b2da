"""SQLite run in the event loop's thread (storage/sqlite_inline.py): a write lock held by another process is
waited for without holding up the loop, and given up on after the busy timeout as SQLite itself would."""
from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage

pytestmark = pytest.mark.sqlite_only


async def _longest_hold(run) -> tuple[object, float, float]:
    """(what `run()` returned, how long it took, the longest stretch the loop could not run a 10 ms ticker
    meanwhile: a loop that is held counts it all)"""
    longest = 0.0

    async def tick():
        nonlocal longest
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            longest = max(longest, time.monotonic() - before - 0.01)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.03)
    started = time.monotonic()
    try:
        result = await run()
        took = time.monotonic() - started
        await asyncio.sleep(0.03)
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
    return result, took, longest


async def _insert_one(db: Database) -> int:
    async with db.transaction() as session:
        outbox.enqueue(session, platform="wechat", user_id="o-1", kind="text", payload={"text": "x"},
                       idempotency_key="k-1", now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    async with db.sessions() as session:
        return len((await session.execute(select(OutboxMessage))).scalars().all())


async def test_a_write_waits_for_another_process_lock_while_the_loop_runs_on(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}", busy_timeout_ms=5000)
    await db.migrate()
    blocker = sqlite3.connect(tmp_path / "g.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    asyncio.get_running_loop().call_later(0.4, blocker.execute, "ROLLBACK")
    rows, took, held = await _longest_hold(lambda: _insert_one(db))
    assert rows == 1
    assert 0.35 < took < 2.0 and held < 0.1  # the loop kept turning while the write waited
    blocker.close()
    await db.dispose()


async def test_a_lock_held_past_the_busy_timeout_fails_the_write_and_changes_nothing(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}", busy_timeout_ms=300)
    await db.migrate()
    blocker = sqlite3.connect(tmp_path / "g.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        await _insert_one(db)
    assert 0.25 < time.monotonic() - started < 1.5
    blocker.execute("ROLLBACK")
    blocker.close()
    async with db.sessions() as session:
        assert (await session.execute(select(OutboxMessage))).scalars().all() == []
    assert await _insert_one(db) == 1  # and the connection is usable afterwards
    await db.dispose()


async def test_errors_other_than_busy_are_raised_at_once(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}", busy_timeout_ms=5000)
    await db.migrate()
    started = time.monotonic()
    with pytest.raises(OperationalError, match="no such table"):
        async with db.transaction() as session:
            await session.execute(text("SELECT * FROM no_such_table"))
    assert time.monotonic() - started < 0.5
    await db.dispose()


LONG_READ = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) "
                 "SELECT count(*) FROM c")


async def test_long_reads_go_to_a_reader_that_does_not_hold_the_loop_and_sees_committed_rows(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    await db.migrate()
    assert await _insert_one(db) == 1
    async with db.reading() as session:  # a connection of its own sees what the server committed
        assert len((await session.execute(select(OutboxMessage))).scalars().all()) == 1

    async def read_with(sessions):
        async with sessions() as session:
            assert (await session.execute(LONG_READ)).scalar_one() == 2000000

    _, took, held = await _longest_hold(lambda: read_with(db.reading))
    assert took > 0.1 and held < took / 2  # SQLite worked on aiosqlite's thread
    _, took, held = await _longest_hold(lambda: read_with(db.sessions))
    assert held > took / 2  # the inline connection is the loop's own: the trade-off this reader avoids
    await db.dispose()


async def test_a_holder_running_statements_for_long_lets_the_loop_turn_between_them(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    await db.migrate()
    step = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) "
                "SELECT count(*) FROM c")

    async def many_statements():
        async with db.transaction() as session:
            for _ in range(150):
                assert (await session.execute(step)).scalar_one() == 20000

    _, took, held = await _longest_hold(many_statements)
    assert took > 0.2 and held < 0.1  # one transaction of ~150 statements, the loop never held for long
    await db.dispose()


async def test_sqlalchemy_can_switch_the_inline_connection_to_autocommit_and_back(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    await db.migrate()
    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("CREATE TABLE scratch (x INTEGER)"))
        assert (await connection.get_raw_connection()).driver_connection.isolation_level is None
    async with db.transaction() as session:  # back to BEGIN IMMEDIATE for the next holder
        await session.execute(text("INSERT INTO scratch VALUES (1)"))
        raw = await (await session.connection()).get_raw_connection()
        assert raw.driver_connection.isolation_level == "IMMEDIATE"
    await db.dispose()
