"""Cases written before migration 0010_lifecycle read right after it: a stored `reassigned` status becomes
`dispatched`, a `reopened` case keeps its status, and both traces read as the new lifecycle writes them —
in the backend on each database, and over HTTP for the resident and the officer."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import bindparam, text

from backend import cases, lifecycle, trace
from storage.db import MIGRATIONS_DIR, Database
from storage.types import UTCDateTime

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=5)
# (number, status, events as (kind, actor, note)) as the old code wrote them
OLD_CASES = [
    ("20261201-0901", "reassigned", [("created", "resident:wechat:o-old-1", None), ("dispatched", "system", None),
                                     ("reassigned", "staff:S12", "市政维护中心"), ("dispatched", "staff:S12", None)]),
    ("20261201-0902", "reopened", [("created", "resident:wechat:o-old-1", None), ("dispatched", "system", None),
                                   ("accepted", "staff:S02", None), ("on_site", "staff:S02", None),
                                   ("resolved_by_officer", "staff:S02", "已更换井盖"),
                                   ("resolved", "system", "已更换井盖"), ("revisit_due", "system", None),
                                   ("revisited", "staff:S02", "井盖又松动了，未解决"),
                                   ("reopened", "staff:S02", "井盖又松动了，未解决"), ("dispatched", "staff:S02", None)]),
]


def alembic_upgrade(connection, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def write_old_cases(url: str) -> None:
    """The schema at 0009_sending with two cases as the old code stored them."""
    database = Database(url)
    async with database.engine.begin() as conn:
        if not database.is_sqlite:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await conn.run_sync(alembic_upgrade, "0009_sending")
        at = bindparam("at", type_=UTCDateTime())
        for n, (number, status, events) in enumerate(OLD_CASES, 1):
            await conn.execute(text(
                "INSERT INTO cases (id, number, category, compound_id, building, description, priority, urgent, "
                "status, channel, reporter_platform, reporter_id, anonymous, dept_id, officer_id, repeat_reports, "
                "created_at, updated_at, joint_verification, dispatch_round) VALUES (:id, :number, "
                "'municipal_facility', 'C03', '5栋', '滨湖欣园5栋楼下井盖松动', 3, false, :status, 'wechat', 'wechat', "
                "'o-old-1', false, 'shizheng', 'S02', 0, :at, :at, false, 2)").bindparams(at),
                {"id": 900 + n, "number": number, "status": status, "at": T0})
            await conn.execute(text("INSERT INTO case_followers (case_id, platform, user_id, role, since) "
                                    "VALUES (:id, 'wechat', 'o-old-1', 'reporter', :at)").bindparams(at),
                               {"id": 900 + n, "at": T0})
            for i, (kind, actor, note) in enumerate(events):
                await conn.execute(text("INSERT INTO case_events (case_id, kind, at, actor, note) "
                                        "VALUES (:id, :kind, :at, :actor, :note)").bindparams(at),
                                   {"id": 900 + n, "kind": kind, "at": T0 + timedelta(minutes=i), "actor": actor,
                                    "note": note})
    await database.dispose()


async def test_old_reassigned_and_reopened_cases_read_right_after_the_migration(db_url):
    await write_old_cases(db_url)
    database = Database(db_url)
    await database.migrate()
    who = cases.Reporter("wechat", "o-old-1")
    async with database.sessions() as session:
        reassigned, reopened = [await cases.by_number(session, number) for number, _, _ in OLD_CASES]
        assert reassigned.status == "dispatched" and reopened.status == "reopened"
        for case in (reassigned, reopened):
            assert case.status in lifecycle.STATUS_NAMES and lifecycle.transition("accept", case.status)
        view = await trace.view_for(session, reassigned.number, who)
        assert view.role == "reporter" and view.status == "已派单，等待网格员响应"
        assert [line.what for line in view.lines][-2:] == ["已转派相关部门", "已派单，等待网格员响应"]
        view = await trace.view_for(session, reopened.number, who)
        assert view.status == "重新办理中"
        assert "重新办理" in [line.what for line in view.lines] and "revisit_due" not in str(view.lines)
    await database.dispose()


@pytest.fixture
async def old_cases(db_url):
    await write_old_cases(db_url)  # the bot's own start-up (the `db` fixture) then upgrades this database


@pytest.mark.sqlite_only
async def test_old_cases_over_http_after_the_start_up_migration(old_cases, town):
    await town.start()
    resident = town.person("o-old-1")
    listing = await resident.say("我的工单")
    assert "20261201-0901" in listing and "20261201-0902" in listing and "reassigned" not in listing
    detail = await resident.say("查询 20261201-0901")
    assert "状态：已派单" in detail and "已转派相关部门：市政维护中心" in detail
    detail = await resident.say("查询 20261201-0902")
    assert "状态：重新办理中" in detail and "重新办理：井盖又松动了" in detail
    officer = await town.officer("S02", "o-lina")
    for number in ("20261201-0901", "20261201-0902"):
        assert "已接单" in await officer.say(f"接单 {number}")
        assert (await town.case(number))["status"] == "accepted"
