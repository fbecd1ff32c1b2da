"""Every metric of backend/analytics.py against values computed by hand on six cases, and hotspot flagging."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from backend import analytics
from backend.analytics import HotspotRule, Scope
from backend.demo import seed_demo
from storage.models import Case, CaseEvent, Survey

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 local
AS_OF = datetime(2026, 5, 1, tzinfo=timezone.utc)
H = timedelta(hours=1)
S = timedelta(seconds=1)


def sla(dispatched: datetime, accept=60, depart=180, arrive=900) -> dict:
    return {"accept": (dispatched + accept * S).isoformat(), "depart": (dispatched + depart * S).isoformat(),
            "arrive": (dispatched + arrive * S).isoformat()}


def make(n: int, *, created, status, compound="C03", category="ev_charging", channel="wechat", officer="S02",
         accepted=None, departed=None, arrived=None, resolved=None, closed=None, repeat=0, dispatch=True) -> Case:
    dispatched = created + 10 * S if dispatch else None
    return Case(id=n, number=f"20260310-{n:04d}", category=category, compound_id=compound, description="测试",
                priority=3, status=status, channel=channel, officer_id=officer, repeat_reports=repeat,
                created_at=created, updated_at=created, dispatched_at=dispatched,
                accepted_at=dispatched + accepted * S if accepted is not None else None,
                departed_at=dispatched + departed * S if departed is not None else None,
                arrived_at=dispatched + arrived * S if arrived is not None else None,
                resolved_at=created + resolved if resolved is not None else None,
                closed_at=created + closed if closed is not None else None,
                sla=sla(dispatched) if dispatch else None)


@pytest.fixture
async def six_cases(db):
    """Six cases, five in March (local) and one in April:

    | # | month | compound/community | channel | status   | accept/depart/arrive (s after dispatch) | handling | notes |
    | 1 | 03    | C03 竹园社区        | wechat  | closed   | 30 / 120 / 600  (all met)               | 10 h     | satisfied, resolved |
    | 2 | 03    | C03 竹园社区        | 12345   | resolved | 90 / 200 / 1000 (all late)              | 100 h    | unsatisfied, reopened once then resolved, repeat 2 |
    | 3 | 03    | C04 陶坝社区        | wechat  | on_site  | 50 / 170 / 800  (all met)               | -        | |
    | 4 | 03    | C04 陶坝社区        | wechat  | dispatched | - (deadlines long past: due, not met) | -        | |
    | 5 | 03    | C01 竹园社区        | wechat  | new      | no dispatch (no SLA: not due)           | -        | repeat 1 |
    | 6 | 04    | C03 竹园社区        | wechat  | closed   | 40 / 100 / 500  (all met)               | 50 h     | basic; a no_answer survey too |
    """
    async with db.transaction() as s:
        await seed_demo(s)
    async with db.transaction() as s:
        s.add_all([
            make(1, created=T0, status="closed", accepted=30, departed=120, arrived=600, resolved=10 * H,
                 closed=12 * H),
            make(2, created=T0 + H, status="resolved", channel="12345热线", accepted=90, departed=200, arrived=1000,
                 resolved=100 * H, repeat=2),
            make(3, created=T0 + 2 * H, status="on_site", compound="C04", category="noise", accepted=50, departed=170,
                 arrived=800),
            make(4, created=T0 + 3 * H, status="dispatched", compound="C04", category="noise"),
            make(5, created=T0 + 4 * H, status="new", compound="C01", category="noise", dispatch=False, repeat=1),
            make(6, created=T0 + timedelta(days=30), status="closed", accepted=40, departed=100, arrived=500,
                 resolved=50 * H, closed=51 * H),
        ])
        await s.flush()
        for case_id, kind in ((1, "resolved"), (2, "resolved"), (2, "reopened"), (2, "resolved"), (6, "resolved")):
            s.add(CaseEvent(case_id=case_id, kind=kind, at=T0 + 5 * H, actor="system"))
        for case_id, status, rating in ((1, "answered", "satisfied"), (2, "answered", "unsatisfied"),
                                        (6, "answered", "basic"), (6, "no_answer", None)):
            s.add(Survey(case_id=case_id, round=1, platform="wechat", user_id=f"u{case_id}{status}", status=status,
                         rating=rating, sent_at=T0))
    return db


async def test_totals_match_the_hand_computed_values(six_cases):
    async with six_cases.sessions() as s:
        m = await analytics.totals(s, as_of=AS_OF)
    assert m.cases == 6
    # accept due: 1,2,3,4,6 (5 has no SLA); met: 1,3,6 -> 3/5
    assert m.response_rate == 0.6 and m.sla_compliance == {"accept": 0.6, "depart": 0.6, "arrive": 0.6}
    assert m.closure_rate == round(3 / 6, 4)  # 1, 2, 6 are resolved or closed
    assert m.avg_handling_s == (10 + 100 + 50) * 3600 / 3
    assert m.p90_handling_s == 100 * 3600  # ceil(0.9 * 3) = 3rd smallest of 10 h, 50 h, 100 h
    assert m.on_time_closure_rate == round(2 / 3, 4)  # 10 h and 50 h are within 72 h, 100 h is not
    assert m.satisfaction_rate == round(2 / 3, 4)  # satisfied + basic of 3 answered (no_answer not counted)
    assert m.reopen_rate == round(1 / 3, 4)  # case 2 of the three ever resolved
    assert (m.repeat_reports, m.repeat_cases) == (3, 2)


async def test_breakdowns_by_month_community_channel_and_officer(six_cases):
    async with six_cases.sessions() as s:
        months = {m.key: m for m in await analytics.summary(s, by="month", as_of=AS_OF)}
        communities = {m.key: m for m in await analytics.summary(s, by="community", as_of=AS_OF)}
        channels = {m.key: m for m in await analytics.summary(s, by="channel", as_of=AS_OF)}
        officers = await analytics.summary(s, by="officer", as_of=AS_OF)
    assert list(months) == ["2026-03", "2026-04"]
    march = months["2026-03"]
    assert march.cases == 5 and march.response_rate == 0.5  # met 1, 3 of due 1, 2, 3, 4
    assert march.closure_rate == 0.4 and march.avg_handling_s == 55 * 3600 and march.p90_handling_s == 100 * 3600
    assert march.satisfaction_rate == 0.5 and months["2026-04"].satisfaction_rate == 1.0
    assert communities["竹园社区"].cases == 4 and communities["陶坝社区"].cases == 2
    assert communities["陶坝社区"].response_rate == 0.5 and communities["陶坝社区"].closure_rate == 0.0
    assert communities["陶坝社区"].satisfaction_rate is None and communities["陶坝社区"].avg_handling_s is None
    assert channels["12345热线"].response_rate == 0.0 and channels["12345热线"].reopen_rate == 1.0
    assert [(m.key, m.cases) for m in officers] == [("S02", 6)]


async def test_scope_filters_period_and_community(six_cases):
    april = Scope(start=datetime(2026, 4, 1, tzinfo=timezone.utc), end=datetime(2026, 5, 1, tzinfo=timezone.utc))
    async with six_cases.sessions() as s:
        m = await analytics.totals(s, april, as_of=AS_OF)
        taoba = await analytics.totals(s, Scope(community="陶坝社区"), as_of=AS_OF)
        nothing = await analytics.totals(s, Scope(community="没有这个社区"), as_of=AS_OF)
    assert (m.cases, m.response_rate, m.avg_handling_s) == (1, 1.0, 50 * 3600)
    assert (taoba.cases, taoba.sla_compliance["accept"]) == (2, 0.5)
    assert nothing.cases == 0 and nothing.response_rate is None and nothing.p90_handling_s is None


async def test_a_deadline_still_ahead_is_not_due_yet(six_cases):
    """Case 4 was dispatched at T0+3h; one minute later its acceptance is due, 30 s later it is not."""
    dispatched = T0 + 3 * H + 10 * S
    async with six_cases.sessions() as s:
        before = await analytics.totals(s, Scope(category="noise", compound_id="C04"), as_of=dispatched + 30 * S)
        after = await analytics.totals(s, Scope(category="noise", compound_id="C04"), as_of=dispatched + 61 * S)
    assert before.stage_due["accept"] == 1 and after.stage_due["accept"] == 2  # case 3 accepted, 4 pending


async def test_report_has_the_documented_keys(six_cases):
    async with six_cases.sessions() as s:
        result = await analytics.report(s, as_of=AS_OF)
    for key in ("cases", "response_rate", "closure_rate", "satisfaction_rate", "avg_handling_s", "sla_compliance",
                "hotspots"):
        assert key in result
    assert result["by"]["month"][0]["key"] == "2026-03"


async def test_hotspot_flags_a_surge_and_a_chronic_cell_with_their_cases(db):
    """C03 EV charging: 30 cases in each of the last four 30-day windows (chronic: far above its peers);
    C41 construction: 1 per window before, 12 in the last (a surge); C05 noise: 3 now, 3 before (quiet).
    Peers: the category's cases spread over the 43 compounds by their number of buildings."""
    async with db.transaction() as s:
        await seed_demo(s)
    end = datetime(2026, 11, 27, tzinfo=timezone.utc)
    rows, n = [], 0

    def add(compound: str, category: str, window: int, count: int) -> None:
        nonlocal n
        for i in range(count):
            n += 1
            created = end - timedelta(days=30 * window + 1) - timedelta(hours=i * 5)
            rows.append(Case(number=f"H-{n:05d}", category=category, compound_id=compound, description="x", priority=3,
                             status="closed", channel="wechat", created_at=created, updated_at=created))

    for w in range(4):
        add("C03", "ev_charging", w, 30)
        add("C41", "construction", w, 12 if w == 0 else 1)
        add("C05", "noise", w, 3)
    async with db.transaction() as s:
        s.add_all(rows)
    async with db.sessions() as s:
        flagged = await analytics.hotspots(s, end=end)
        everything = await analytics.hotspots(s, end=end, flagged_only=False)
        tighter = await analytics.hotspots(s, end=end, rule=HotspotRule(min_count=13))
    cells = {(c.compound_id, c.category): c for c in flagged}
    assert set(cells) == {("C03", "ev_charging"), ("C41", "construction")}
    ev, building = cells[("C03", "ev_charging")], cells[("C41", "construction")]
    assert ev.reasons == ["above_peers"] and ev.count == 30 and ev.trailing_avg == 30.0
    buildings = {r["compound_id"]: int(r["buildings"]) for r in _demo_compounds()}
    assert ev.peer_avg == round(30 * buildings["C03"] / sum(buildings.values()), 2) and len(ev.cases) == 30
    assert building.reasons == ["surge", "above_peers"] and building.trailing_avg == 1.0 and len(building.cases) == 12
    assert {(c.compound_id, c.category) for c in everything} == {("C03", "ev_charging"), ("C41", "construction"),
                                                                 ("C05", "noise")}
    assert [c.compound_id for c in tighter] == ["C03"]


def _demo_compounds() -> list[dict]:
    import csv

    from backend.demo import DEMO_DIR

    with open(DEMO_DIR / "compounds.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_flag_rule_needs_count_ratio_and_distance():
    assert HotspotRule().flags(10, 0.0) and not HotspotRule().flags(9, 0.0)  # at least min_count (10)
    rule = HotspotRule(min_count=5)
    assert rule.flags(5, 0.0) and not rule.flags(4, 0.0)
    assert not rule.flags(9, 5.0)  # under twice the baseline
    assert rule.flags(12, 5.0) and not rule.flags(11, 5.0)  # 5 + 3·sqrt(5) = 11.7
