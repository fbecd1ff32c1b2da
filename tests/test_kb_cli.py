"""`kb` on the command line, as a street's operator runs it: import (idempotent), list, show, add, edit,
remove, and `kb ask` with the decision as JSON, one line per input line, in order."""
from __future__ import annotations

import json

from backend.demo import DEMO_DIR
from tests.test_cli import clean_env, run_main


def test_the_knowledge_base_from_the_command_line(tmp_path):
    env = clean_env(tmp_path)
    first = run_main("kb", "import", "--file", str(DEMO_DIR / "faq.csv"), env=env)
    assert first.returncode == 0 and "90 added" in first.stdout, first.stderr
    again = run_main("kb", "import", "--file", str(DEMO_DIR / "faq.csv"), env=env)
    assert "0 added, 0 updated, 90 unchanged" in again.stdout
    listed = json.loads(run_main("kb", "list", "--json", env=env).stdout)
    assert len(listed) == 90 and listed[0]["faq_id"] == "F001"

    assert run_main("kb", "add", "Z01", "--question", "图书馆几点开门？", "--answer", "社区图书馆9点开门。",
                    "--keywords", "图书馆|阅览室", env=env).returncode == 0
    assert run_main("kb", "add", "Z01", "--question", "q", "--answer", "a", env=env).returncode == 1  # taken
    assert run_main("kb", "edit", "Z02", "--answer", "a", env=env).returncode == 1  # unknown
    bad = run_main("kb", "edit", "Z01", "--answer", " ", env=env)
    assert bad.returncode == 1 and "empty_answer" in bad.stderr
    assert run_main("kb", "edit", "Z01", "--answer", "社区图书馆上午9点开门，周一闭馆。", env=env).returncode == 0
    shown = json.loads(run_main("kb", "show", "Z01", "--json", env=env).stdout)
    assert shown["answer"] == "社区图书馆上午9点开门，周一闭馆。" and shown["keywords"] == ["图书馆", "阅览室"]
    assert shown["updated_by"] == "cli"

    questions = tmp_path / "q.txt"
    questions.write_text("图书馆周一开门吗\n\n楼道里有人给电瓶车充电，太危险了\n火星上能种菜吗\n"
                         "对面工地晚上十二点还在打桩，夜里施工不违规吗\n", encoding="utf-8")
    asked = run_main("kb", "ask", "--json", "--file", str(questions), env=env)
    assert asked.returncode == 0, asked.stderr
    lines = [json.loads(line) for line in asked.stdout.splitlines()]
    assert [(d["intent"], d["faq_id"]) for d in lines] == [
        ("consultation", "Z01"), ("other", None), ("complaint", None), ("consultation", None),
        ("complaint", "F044")]  # a report that asks: the entry answered before the report dialog
    assert lines[0]["text"] == "图书馆周一开门吗" and lines[0]["candidates"][0][0] == "Z01"
    assert all(set(d) >= {"text", "intent", "faq_id", "score", "candidates"} for d in lines)

    assert run_main("kb", "remove", "Z01", env=env).returncode == 0
    gone = json.loads(run_main("kb", "ask", "--json", "图书馆周一开门吗", env=env).stdout)
    assert gone["faq_id"] != "Z01"
    assert run_main("kb", "remove", "Z01", env=env).returncode == 1
    assert run_main("kb", "ask", env=env).returncode == 2
