"""`seed --history` (refused outside sandbox mode), `report` (tables and JSON), `staff password`."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from backend.clock import local

from cli.dashboard import width
from tests.test_cli import clean_env, run_main


def assert_tables_read_for_people(text: str) -> None:
    """Names, not codes; the month still running marked as such; every row of a table as wide as its head."""
    assert "露天烧烤与油烟" in text or "非机动车乱停放" in text
    assert not re.search(r"^(bbq|C\d\d|S\d\d)\b", text, re.M)
    this_month = local(datetime.now(timezone.utc)).strftime("%Y-%m")
    months = re.findall(r"^(\d{4}-\d\d)(（未满）)?", text, re.M)
    assert months and all(bool(partial) == (month == this_month) for month, partial in months), months
    for block in text.split("\n\n")[1:]:
        rows = block.splitlines()[1:]
        if rows and "件数" in rows[0]:
            assert len({width(row.rstrip()) for row in rows}) <= 2, rows  # the last column may be narrower


def test_history_report_and_password_from_the_command_line(tmp_path):
    env = clean_env(tmp_path)
    refused = run_main("seed", "--history", "--cases", "50", env={**env, "WECHAT_TOKEN": "a-real-account"})
    assert refused.returncode == 2 and "sandbox mode" in refused.stderr

    seeded = run_main("seed", "--history", "--cases", "400", env=env, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    assert "400 cases" in seeded.stdout and "reporter_platform=demo" in seeded.stdout
    again = run_main("seed", "--history", "--cases", "300", env=env, timeout=120)
    assert "replaced 400" in again.stdout  # a re-run replaces the history, it does not pile up

    report = run_main("report", "--json", "--by", "community", env=env)
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    for key in ("cases", "response_rate", "closure_rate", "satisfaction_rate", "avg_handling_s", "sla_compliance",
                "hotspots"):
        assert key in data
    assert data["cases"] == 300 and set(data["sla_compliance"]) == {"accept", "depart", "arrive"}
    assert sum(row["cases"] for row in data["by"]["community"]) == 300
    tables = run_main("report", "--from", "2020-01-01", "--to", "2099-12-31", env=env)
    assert tables.returncode == 0 and "按月" in tables.stdout and "热点" in tables.stdout
    assert_tables_read_for_people(tables.stdout)

    short = run_main("staff", "password", "--staff-id", "S12", env=env, input_="short\n")
    assert short.returncode == 1 and "8 characters" in short.stderr
    done = run_main("staff", "password", "--staff-id", "S12", env=env, input_="long enough pw\n")
    assert done.returncode == 0 and "S12" in done.stdout
