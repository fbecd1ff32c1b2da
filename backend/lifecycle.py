"""The case lifecycle as data: the statuses, their groups and every transition, and the one function
through which a case's status changes (`apply`). Every other list of statuses is derived from here.

A transition row reads: action, the statuses it is allowed from, the status it leads to, the trace event
it appends. A row whose `to` is None records its event and leaves the status alone (a staff note such as
协办 or 回访, a resident's 催办): it is in the table so that "which action is allowed from which status"
has one answer.

Two decisions, kept honest by this table (docs/lifecycle.md says the same with the diagram):

- `reassigned` is a trace event, not a status. 转派 hands the case back to routing: the case goes to `new`
  (待派单) with a `reassigned` event naming the departments, and is dispatched again at once, in the same
  transaction, so it is stored as `dispatched`. A status nobody could ever observe would only be
  translated three different ways (it was).
- `reopened` is a status: a case that was resolved (or closed) and went back to work. Residents and staff
  see 重新办理 until an officer accepts it again. Open311 channels read `open`: FixMyStreet maps an
  update's `open` to its own `confirmed` and reopens a fixed report, while `reopen` is none of its states and
  the change would be dropped. Its new 1315 clock is
  the `dispatch` row from `reopened`, which keeps the status and records the `dispatched` event, so the
  trace reads 重办 → 派单 and the status stays 重新办理 (before, the code recorded `dispatched` while the
  case was about to become `reopened`, and the order of the two assignments decided the truth).

Migration 0010_lifecycle turns any stored `reassigned` status into `dispatched`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseEvent


@dataclass(frozen=True)
class Status:
    name: str
    group: str  # open: waiting for an officer | working: an officer has it | closed: finished
    open311: str  # mySociety's service-request-update status for a case entering it


STATUSES = (
    Status("new", "open", "open"),
    Status("dispatched", "open", "open"),
    Status("returned", "open", "open"),
    Status("reopened", "open", "open"),
    Status("accepted", "working", "investigating"),
    Status("en_route", "working", "in_progress"),
    Status("on_site", "working", "in_progress"),
    Status("suspended", "working", "action_scheduled"),
    Status("resolved", "closed", "fixed"),
    Status("closed", "closed", "closed"),
)
INITIAL = "new"
GROUPS = ("open", "working", "closed")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    to: str | None  # None: the status stays as it is
    event: str


def _group(*names: str) -> tuple[str, ...]:
    return tuple(s.name for s in STATUSES if s.group in names)


_UNFINISHED = _group("open", "working")
_ALL = tuple(s.name for s in STATUSES)
# The rungs an officer climbs after 接单, in order; the case can be resolved from any of them, and an
# action whose target is already behind the case is `already_done`.
_LADDER = ("accepted", "en_route", "on_site")

TRANSITIONS = (
    Transition("dispatch", ("new",), "dispatched", "dispatched"),
    Transition("dispatch", ("reopened",), None, "dispatched"),
    Transition("accept", ("dispatched", "returned", "reopened"), "accepted", "accepted"),
    Transition("depart", ("accepted",), "en_route", "en_route"),
    Transition("arrive", ("accepted", "en_route"), "on_site", "on_site"),
    Transition("resolve", _LADDER, "resolved", "resolved"),
    Transition("suspend", _LADDER, "suspended", "suspended"),
    Transition("sign_off", ("suspended",), "resolved", "resolved"),
    Transition("return", tuple(s for s in _UNFINISHED if s != "suspended"), "returned", "returned"),
    Transition("reassign", _UNFINISHED, "new", "reassigned"),
    Transition("close", ("resolved",), "closed", "closed"),
    Transition("reopen", ("resolved", "closed"), "reopened", "reopened"),
    Transition("cohandle", _UNFINISHED, None, "cohandler_added"),
    Transition("verify", _ALL, None, "verified"),
    Transition("revisit", ("resolved",), None, "revisited"),
    Transition("urge", _UNFINISHED, None, "urged"),
)

# Events that record what happened without being a transition of their own.
NOTE_EVENTS = ("created", "followed", "repeat_report", "media_added", "resolved_by_officer", "arrival_proof",
               "sla_breached", "escalated", "dispatch_unreachable", "revisit_due", "survey_sent",
               "survey_answered", "survey_no_answer", "media_removed", "personal_data_erased",
               "supplemented", "place_added", "channel_comment", "conversation")

# --- derived -------------------------------------------------------------------------------------

# Derived from the table: every other list of statuses in the code is one of these.
STATUS_NAMES = _ALL
OPEN = _group("open")
WORKING = _group("working")
CLOSED = _group("closed")
UNFINISHED = _UNFINISHED  # open or working: what 待办, duplicates, loads and 催办 count
EVENTS = tuple(dict.fromkeys([*(t.event for t in TRANSITIONS), *NOTE_EVENTS]))
_BY_STEP = {(t.action, source): t for t in TRANSITIONS for source in t.sources}
ACTIONS = tuple(dict.fromkeys(t.action for t in TRANSITIONS))


def status(name: str) -> Status:
    return next(s for s in STATUSES if s.name == name)


def group_of(name: str) -> str | None:
    return next((s.group for s in STATUSES if s.name == name), None)


def transition(action: str, source: str) -> Transition | None:
    """The row that `action` takes from status `source`, or None when the action is not allowed there."""
    return _BY_STEP.get((action, source))


def allowed_from(action: str) -> tuple[str, ...]:
    return tuple(source for (a, source) in _BY_STEP if a == action)


def target_of(action: str) -> str | None:
    return next((t.to for t in TRANSITIONS if t.action == action and t.to), None)


def refusal(action: str, source: str) -> str | None:
    """None when `action` is allowed from `source`; else why not, as the code staff read in words:
    already_done (that step is behind the case), not_accepted (the case waits for 接单), not_resolved
    (only a resolved case can take it), closed (finished), wrong_state (anything else)."""
    if transition(action, source) is not None:
        return None
    target = target_of(action)
    if target in _LADDER and source in _LADDER and _LADDER.index(source) >= _LADDER.index(target):
        return "already_done"
    sources = allowed_from(action)
    if sources and set(sources) <= set(CLOSED) and source not in CLOSED:
        return "not_resolved"
    if source in CLOSED:
        return "closed"
    if sources and set(sources) <= set(WORKING) and source in OPEN:
        return "not_accepted"
    return "wrong_state"


def event_status(event: str) -> str | None:
    """The status a trace event leads to (the first row that records it), for readers of the trace that
    speak in statuses (Open311); None for events that change nothing."""
    if event == "created":
        return INITIAL
    return next((t.to for t in TRANSITIONS if t.event == event and t.to), None)


class Refused(Exception):
    """An action the table does not allow from the case's status; `code` as `refusal` gives it."""

    def __init__(self, action: str, source: str, code: str):
        super().__init__(f"{action} from {source}: {code}")
        self.action, self.source, self.code = action, source, code


def record(session: AsyncSession, case: Case, kind: str, *, actor: str, at: datetime, note: str | None = None,
           data: dict | None = None) -> CaseEvent:
    """Append one event to a case's trace (inside the caller's transaction)."""
    event = CaseEvent(case_id=case.id, kind=kind, at=at, actor=actor, note=note, data=data)
    session.add(event)
    case.updated_at = at
    return event


def apply(session: AsyncSession, case: Case, action: str, *, actor: str, at: datetime, note: str | None = None,
          data: dict | None = None) -> CaseEvent:
    """The one place a case's status changes: check the table, set the status, append the event.
    Raises Refused when the action is not allowed from the case's status."""
    row = transition(action, case.status)
    if row is None:
        raise Refused(action, case.status, refusal(action, case.status) or "wrong_state")
    if row.to is not None:
        case.status = row.to
    return record(session, case, row.event, actor=actor, at=at, note=note, data=data)


def mermaid() -> str:
    """The table as a Mermaid state diagram (docs/lifecycle.md holds this text; a test compares them).
    A row that keeps the status is drawn as a loop only when its action moves the status elsewhere
    (dispatch of a reopened case); pure notes (协办, 核实, 回访, 催办) are in the table below it."""
    moving = {t.action for t in TRANSITIONS if t.to is not None}
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL}: created"]
    for row in TRANSITIONS:
        if row.to is not None or row.action in moving:
            lines += [f"    {source} --> {row.to or source}: {row.action}" for source in row.sources]
    colours = {"open": "#fff4d6", "working": "#dcecff", "closed": "#e0f5e0"}
    for group in GROUPS:
        lines.append(f"    classDef group_{group} fill:{colours[group]}")
        lines.append(f"    class {','.join(_group(group))} group_{group}")
    return "\n".join(lines)


def markdown_table() -> str:
    """Every row of the table, notes included, as docs/lifecycle.md lists them."""
    lines = ["| action | allowed from | to | trace event |", "| --- | --- | --- | --- |"]
    for row in TRANSITIONS:
        sources = "any unfinished" if row.sources == UNFINISHED else "any" if row.sources == STATUS_NAMES \
            else ", ".join(row.sources)
        lines.append(f"| {row.action} | {sources} | {row.to or '(stays)'} | {row.event} |")
    return "\n".join(lines)
