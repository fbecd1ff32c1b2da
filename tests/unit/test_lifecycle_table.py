"""The lifecycle table (backend/lifecycle.py): every transition, every refusal, the lists derived from it,
the texts each status and event needs, and its diagram in docs/lifecycle.md. Pure functions, no database."""
from __future__ import annotations

import ast
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from backend import lifecycle as L, open311, texts as T
from storage.models import Case

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)

# Written out by hand from DESIGN.md and the staff commands, independent of the table's own spelling.
EXPECTED = {
    ("dispatch", "new"): "dispatched",
    ("dispatch", "reopened"): "reopened",
    ("accept", "dispatched"): "accepted", ("accept", "returned"): "accepted", ("accept", "reopened"): "accepted",
    ("depart", "accepted"): "en_route",
    ("arrive", "accepted"): "on_site", ("arrive", "en_route"): "on_site",
    **{("resolve", s): "resolved" for s in ("accepted", "en_route", "on_site")},
    **{("suspend", s): "suspended" for s in ("accepted", "en_route", "on_site")},
    ("sign_off", "suspended"): "resolved",
    **{("return", s): "returned" for s in ("new", "dispatched", "returned", "reopened", "accepted", "en_route",
                                           "on_site")},
    **{("reassign", s): "new" for s in ("new", "dispatched", "returned", "reopened", "accepted", "en_route",
                                        "on_site", "suspended")},
    ("close", "resolved"): "closed",
    ("reopen", "resolved"): "reopened", ("reopen", "closed"): "reopened",
}


class FakeSession:
    def __init__(self):
        self.added = []

    def add(self, row):
        self.added.append(row)


def a_case(status: str) -> Case:
    return Case(id=7, number="20261201-0001", status=status, updated_at=AT)


@pytest.mark.parametrize(("action", "source"), sorted(EXPECTED))
def test_every_transition_sets_its_status_and_appends_its_event(action, source):
    case, session = a_case(source), FakeSession()
    event = L.apply(session, case, action, actor="staff:S01", at=AT, note="n")
    assert case.status == EXPECTED[(action, source)]
    assert session.added == [event] and event.kind == L.transition(action, source).event
    assert (event.actor, event.at, event.note, event.case_id) == ("staff:S01", AT, "n", 7)


def test_each_action_has_one_row_per_status():
    steps = [(t.action, s) for t in L.TRANSITIONS for s in t.sources]
    assert len(steps) == len(set(steps))


def test_the_table_holds_exactly_the_expected_status_changes():
    changing = {(t.action, s): (t.to or s) for t in L.TRANSITIONS for s in t.sources
                if t.to is not None or t.action == "dispatch"}
    assert changing == EXPECTED


@pytest.mark.parametrize("action", L.ACTIONS)
def test_every_action_is_refused_from_every_status_it_is_not_allowed_from(action):
    for status in L.STATUS_NAMES:
        case, session = a_case(status), FakeSession()
        if L.transition(action, status) is not None:
            continue
        with pytest.raises(L.Refused) as refused:
            L.apply(session, case, action, actor="staff:S01", at=AT)
        assert case.status == status and session.added == []
        assert refused.value.code == L.refusal(action, status)


@pytest.mark.parametrize(("action", "status", "code"), [
    ("accept", "accepted", "already_done"), ("accept", "on_site", "already_done"),
    ("depart", "en_route", "already_done"), ("depart", "on_site", "already_done"),
    ("arrive", "on_site", "already_done"),
    ("depart", "dispatched", "not_accepted"), ("arrive", "reopened", "not_accepted"),
    ("resolve", "returned", "not_accepted"),
    ("resolve", "suspended", "wrong_state"), ("return", "suspended", "wrong_state"), ("accept", "suspended", "wrong_state"),
    ("accept", "closed", "closed"), ("resolve", "resolved", "closed"), ("reassign", "closed", "closed"),
    ("cohandle", "resolved", "closed"), ("urge", "closed", "closed"),
    ("revisit", "accepted", "not_resolved"), ("close", "dispatched", "not_resolved"),
    ("sign_off", "accepted", "wrong_state"),
])
def test_refusals_say_why_in_the_codes_staff_read(action, status, code):
    assert L.refusal(action, status) == code
    assert code in _refused_texts()


def _refused_texts() -> set[str]:
    tree = ast.parse((ROOT / "handlers" / "texts.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "REFUSED":
            return {k.value for k in node.value.keys}
    raise AssertionError("handlers/texts.py has no REFUSED")


def test_notes_keep_the_status():
    for action, source in (("cohandle", "accepted"), ("verify", "closed"), ("revisit", "resolved"),
                           ("urge", "dispatched")):
        case = a_case(source)
        L.apply(FakeSession(), case, action, actor="staff:S01", at=AT)
        assert case.status == source


def test_groups_partition_the_statuses_and_the_derived_lists_follow():
    names = [s.name for s in L.STATUSES]
    assert sorted(L.OPEN + L.WORKING + L.CLOSED) == sorted(names) and len(set(names)) == len(names)
    assert L.UNFINISHED == L.OPEN + L.WORKING and L.CLOSED == ("resolved", "closed")
    assert "reassigned" not in names and "reopened" in L.OPEN
    from backend import analytics

    assert analytics.FINISHED == open311.CLOSED == L.CLOSED


def test_every_status_has_a_resident_text_a_staff_text_and_an_open311_note():
    for status in L.STATUS_NAMES:
        assert T.STATUS_RESIDENT[status] and T.STATUS_STAFF[status] and T.OPEN311_STATUS_NOTES[status], status
    assert set(T.STATUS_RESIDENT) == set(T.STATUS_STAFF) == set(T.OPEN311_STATUS_NOTES) == set(L.STATUS_NAMES)


def test_every_event_has_a_staff_text_and_residents_read_only_chinese():
    assert set(T.EVENT_STAFF) == set(L.EVENTS)
    assert set(T.EVENT_RESIDENT) <= set(L.EVENTS)
    for kind, text in T.EVENT_RESIDENT.items():
        assert re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"[a-z_]{3,}", text), kind
    internal = {"dispatch_unreachable", "sla_breached", "cohandler_added", "escalated", "revisit_due", "verified"}
    assert not internal & set(T.EVENT_RESIDENT)


def test_every_event_the_code_records_is_declared():
    """Each `record(…, "kind"…)` in backend/ and handlers/ names an event of the lifecycle."""
    recorded = set()
    for path in [*(ROOT / "backend").glob("*.py"), *(ROOT / "handlers").glob("*.py")]:
        recorded |= set(re.findall(r"record\(\s*[\w.]+,\s*\w+,\s*\"([a-z_]+)\"", path.read_text(encoding="utf-8")))
    assert recorded and recorded <= set(L.EVENTS), recorded - set(L.EVENTS)


def test_open311_update_statuses_come_from_the_table():
    assert open311.UPDATE_STATUS["reassigned"] == "open" and open311.UPDATE_STATUS["reopened"] == "open"
    assert open311.UPDATE_STATUS["accepted"] == "investigating" and open311.UPDATE_STATUS["resolved"] == "fixed"
    assert "cohandler_added" not in open311.UPDATE_STATUS


def test_no_status_is_assigned_outside_the_lifecycle():
    assigned = []
    for folder in ("backend", "handlers", "web", "bot", "cli"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"\bcase\w*\.status\s*(,[^=]*)?=(?!=)", line):
                    assigned.append(f"{path.relative_to(ROOT)}:{number}")
    assert assigned == ["backend/lifecycle.py:" + str(_apply_line())], assigned


def _apply_line() -> int:
    text = (ROOT / "backend" / "lifecycle.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(text, 1) if re.search(r"case\.status\s*=(?!=)", line))


def test_the_diagram_and_table_in_docs_match_the_code():
    doc = (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    block = doc.split("```mermaid", 1)[1].split("```", 1)[0].strip()
    assert block == L.mermaid(), "docs/lifecycle.md: paste backend.lifecycle.mermaid() into the diagram"
    assert L.markdown_table() in doc, "docs/lifecycle.md: paste backend.lifecycle.markdown_table()"
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+)", block, re.M))
    assert drawn == {(s, t) for (_, s), t in EXPECTED.items()}


def test_the_events_table_in_docs_matches_the_texts():
    from backend.trace import events_table

    assert events_table() in (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8"), \
        "docs/lifecycle.md: paste backend.trace.events_table()"
