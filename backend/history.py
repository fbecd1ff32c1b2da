"""A made-up year of cases for demos, tests and benchmarks (`main.py seed --history`).

Realistic on purpose: a yearly rhythm (fewer cases around the Spring Festival, a summer peak, rain in
June-July, barbecue smoke and noise on summer nights), daytime hours, hotline/digital-city/patrol channels
next to WeChat, officers who are quick or slow to respond, surveys, reopened cases, and a few hot compounds:
滨湖欣园 (C03) with ~30 EV-charging complaints a month, street vending around 云谷金融城公寓 (C22), and a
construction-noise surge at 牛角大圩安置点 (C41) in the last 30 days.

Every generated case is marked: `reporter_platform = "demo"` (no push adapter exists for that platform,
so nothing is ever sent for them) and its `created` event carries {"demo": true}. Running it again
replaces the previous history. The command line refuses to run it outside sandbox mode unless told
`--yes-this-is-a-demo` (main.py).
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from backend import lifecycle
from backend.clock import local
from backend.demo import seed_demo
from storage.models import Case, CaseEvent, CaseFollower, CaseMedia, CaseNumberDay, Compound, Staff, Survey

DEMO_PLATFORM = "demo"
REFERENCE_CASES = 20000  # the hot compounds' volumes below are per year of this many cases

# category: (base weight, {local month: multiplier}, median handling hours)
CATEGORIES = {
    "sanitation": (14, {7: 1.3, 8: 1.3}, 6),
    "vehicle_parking": (10, {}, 8),
    "bike_parking": (7, {}, 10),
    "street_vending": (9, {5: 1.3, 6: 1.4, 7: 1.4, 8: 1.4, 9: 1.2}, 5),
    "noise": (8, {6: 1.5, 7: 1.7, 8: 1.7}, 12),
    "bbq_fumes": (4, {6: 2.0, 7: 2.5, 8: 2.5, 9: 1.5}, 10),
    "construction": (5, {3: 1.3, 4: 1.3, 10: 1.2}, 36),
    "illegal_ads": (5, {}, 20),
    "ev_charging": (5, {1: 1.2, 7: 1.3, 8: 1.3, 12: 1.2}, 18),
    "greenery": (5, {4: 1.8, 5: 1.8}, 48),
    "municipal_facility": (7, {}, 30),
    "drainage": (3, {6: 3.0, 7: 3.0}, 16),
    "property_service": (8, {}, 40),
    "market_regulation": (2, {}, 30),
    "public_order": (3, {}, 8),
    "illegal_building": (2, {}, 240),
    "emergency": (1, {}, 2),
    "other": (2, {}, 24),
}
MONTH_VOLUME = {1: 0.85, 2: 0.6, 3: 0.9, 4: 1.0, 5: 1.05, 6: 1.15, 7: 1.3, 8: 1.3, 9: 1.1, 10: 0.95, 11: 0.9,
                12: 0.9}
HOUR_WEIGHT = [1, 0.5, 0.3, 0.2, 0.2, 0.5, 2, 5, 8, 9, 9, 8, 6, 6, 7, 8, 8, 8, 8, 9, 9, 7, 4, 2]
CHANNELS = {"wechat": 55, "12345热线": 25, "数字城管": 12, "网格巡查": 8}
RATINGS = {"satisfied": 78, "basic": 15, "unsatisfied": 7}
SLA_OVERRIDES = {"illegal_building": (86400, 172800, 259200)}
SLA_DEFAULT = (60, 180, 900)
# officers who respond late more often than the others (the rest: 92-97 % on time)
SLOW_OFFICERS = {"S11": 0.72, "S06": 0.82}
HOT = [  # compound, category, cases per 30 days at REFERENCE_CASES, only within the last N days (None: all year)
    ("C03", "ev_charging", 30, None),
    ("C22", "street_vending", 16, None),
    ("C41", "construction", 24, 30),
]
PLACES = {
    "ev_charging": ["{b}栋楼道有人飞线给电动车充电", "{b}栋电动车停在楼道里充电，很危险", "充电桩不够用，{b}栋门口乱拉电线"],
    "street_vending": ["小区门口有人占道摆摊卖水果", "{b}栋对面人行道上流动摊贩很多", "早市摊位占了消防通道"],
    "construction": ["{b}栋旁边工地夜里还在施工，太吵了", "工地晚上十点后还在打桩", "施工渣土车掉土，路面很脏"],
    "sanitation": ["{b}栋楼下垃圾桶满了没人清理", "小区门口垃圾堆了好几天", "{b}栋旁边有建筑垃圾乱堆"],
    "noise": ["{b}栋楼下广场舞音响太大", "{b}栋楼上装修噪音很大", "夜里{b}栋旁边有人喧哗"],
    "bbq_fumes": ["小区门口露天烧烤油烟很大", "{b}栋楼下烧烤摊晚上冒烟"],
    "drainage": ["{b}栋门口积水很深", "下雨后小区路口积水走不了", "{b}栋旁窨井冒水"],
    "vehicle_parking": ["{b}栋门口有车乱停堵住通道", "消防通道被私家车占了"],
    "bike_parking": ["{b}栋门口共享单车乱停", "人行道上电瓶车停满了"],
    "greenery": ["{b}栋旁边的树枝快碰到电线了", "绿化带被人种菜", "{b}栋楼下的草坪被踩坏了"],
    "municipal_facility": ["{b}栋附近路灯不亮", "小区门口井盖松动", "人行道护栏坏了"],
    "property_service": ["{b}栋电梯经常坏", "物业不处理{b}栋漏水", "{b}栋门禁坏了好几天"],
    "illegal_ads": ["{b}栋墙上贴满了小广告", "小区门口乱挂横幅"],
    "illegal_building": ["{b}栋顶楼有人在搭建阳光房", "一楼住户私自扩建院子"],
    "market_regulation": ["小区门口小卖部卖过期食品", "菜场缺斤少两"],
    "public_order": ["{b}栋附近有人聚集打牌到深夜", "小区门口有人乱发传单"],
    "emergency": ["{b}栋楼道有烟味，可能着火了", "燃气味道很重"],
    "other": ["想咨询一下小区的停车收费", "{b}栋的信箱坏了"],
}


@dataclass(frozen=True)
class HistoryResult:
    cases: int
    events: int
    surveys: int
    removed: int
    start: datetime
    end: datetime


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


async def remove_history(session: AsyncSession) -> int:
    ids = select(Case.id).where(Case.reporter_platform == DEMO_PLATFORM).scalar_subquery()
    for model in (CaseEvent, CaseMedia, CaseFollower, Survey):
        await session.execute(delete(model).where(model.case_id.in_(ids)))
    return (await session.execute(delete(Case).where(Case.reporter_platform == DEMO_PLATFORM))).rowcount


async def seed_history(session: AsyncSession, *, cases: int = REFERENCE_CASES, end: datetime | None = None,
                       days: int = 365, seed: int = 8) -> HistoryResult:
    """Replace the generated history with `cases` cases created over the `days` before `end`."""
    rng = random.Random(seed)
    end = (end or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    start = end - timedelta(days=days)
    await seed_demo(session)
    await session.flush()
    removed = await remove_history(session)
    compounds = list((await session.execute(select(Compound).order_by(Compound.id))).scalars())
    staff = list((await session.execute(select(Staff).order_by(Staff.id))).scalars())
    officer_of = _grid(compounds, staff)
    skill = {s.id: SLOW_OFFICERS.get(s.id, 0.92 + 0.05 * rng.random()) for s in staff}
    plans = _plan(rng, cases, start, end, days, compounds)
    first_id = ((await session.execute(select(func.max(Case.id)))).scalar() or 0) + 1
    numbers = await _numbering(session, plans)
    case_rows, event_rows, survey_rows = [], [], []
    for offset, (created, compound, category) in enumerate(plans):
        case_id = first_id + offset
        row, events, surveys = _life(rng, case_id, numbers[offset], created, compound, category,
                                     officer_of.get(compound.id, "S12"), skill, end, offset)
        case_rows.append(row)
        event_rows.extend(events)
        survey_rows.extend(surveys)
    for table, rows in ((Case.__table__, case_rows), (CaseEvent.__table__, event_rows), (Survey.__table__, survey_rows)):
        await _bulk_insert(session, table, rows)
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), "
                                   "(SELECT max(id) FROM cases))"))
    return HistoryResult(len(case_rows), len(event_rows), len(survey_rows), removed, start, end)


async def _bulk_insert(session: AsyncSession, table, rows: list[dict]) -> None:
    """Insert many rows. On SQLite straight through the driver, with values stored the way the column types
    store them (UTC 'YYYY-MM-DD HH:MM:SS.ffffff', JSON text): 10x faster than binding each value."""
    if not rows:
        return
    if session.bind.dialect.name != "sqlite":
        for i in range(0, len(rows), 5000):
            await session.execute(table.insert(), rows[i:i + 5000])
        return
    names = [c.name for c in table.columns if c.name in rows[0]]
    statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    connection = await session.connection()
    await connection.exec_driver_sql(statement, [tuple(_stored(row[n]) for n in names) for row in rows])


def _stored(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _grid(compounds: list[Compound], staff: list[Staff]) -> dict[str, str]:
    """compound id -> the officer its cases go to (stationed officer first, then the patrol officer)."""
    result = {}
    for compound in compounds:
        officers = [s for s in staff if s.role == "officer" and compound.id in (s.compounds or [])]
        stationed = [s for s in officers if s.mode == "resident"]
        chosen = (stationed if compound.grid_mode == "resident" and stationed else officers)
        if chosen:
            result[compound.id] = chosen[0].id
    return result


def _plan(rng: random.Random, total: int, start: datetime, end: datetime, days: int,
          compounds: list[Compound]) -> list[tuple[datetime, Compound, str]]:
    """(created_at, compound, category) of every case, in time order."""
    by_id = {c.id: c for c in compounds}
    scale = total / REFERENCE_CASES
    plans = []
    for compound_id, category, per_30_days, last_days in HOT:
        if compound_id not in by_id:
            continue
        span = last_days or days
        for _ in range(round(per_30_days * scale * span / 30)):
            plans.append((_moment(rng, end - timedelta(days=span), end), by_id[compound_id], category))
    compound_weights = {c.id: c.buildings for c in compounds}
    day_weights = []
    for d in range(days):
        day = local(start + timedelta(days=d))
        day_weights.append(MONTH_VOLUME[day.month] * (0.8 if day.weekday() >= 5 else 1.0))
    chosen_days = rng.choices(range(days), weights=day_weights, k=max(0, total - len(plans)))
    for d in chosen_days:
        day_start = start + timedelta(days=d)
        month = local(day_start).month
        weights = {c: w * season.get(month, 1.0) for c, (w, season, _) in CATEGORIES.items()}
        category = _pick(rng, weights)
        compound = by_id[_pick(rng, compound_weights)]
        created = day_start + timedelta(hours=rng.choices(range(24), weights=HOUR_WEIGHT)[0], seconds=rng.random() * 3600)
        plans.append((min(created, end - timedelta(seconds=1)), compound, category))
    plans.sort(key=lambda p: p[0])
    return plans[:total]


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    day = start + timedelta(days=math.floor(rng.random() * max(1, (end - start).days)))
    at = day + timedelta(hours=rng.choices(range(24), weights=HOUR_WEIGHT)[0], seconds=rng.random() * 3600)
    return min(at, end - timedelta(seconds=1))


async def _numbering(session: AsyncSession, plans: list) -> list[str]:
    """Case numbers for the generated cases, continuing each local day's sequence (and recording it)."""
    last = {d: n for d, n in (await session.execute(select(CaseNumberDay.day, CaseNumberDay.last))).all()}
    numbers = []
    touched = {}
    for created, _, _ in plans:
        day = local(created).strftime("%Y%m%d")
        touched[day] = last[day] = last.get(day, 0) + 1
        numbers.append(f"{day}-{last[day]:04d}")
    existing = set((await session.execute(select(CaseNumberDay.day).where(CaseNumberDay.day.in_(list(touched)))))
                   .scalars()) if touched else set()
    new = [{"day": d, "last": n} for d, n in touched.items() if d not in existing]
    if new:
        await session.execute(insert(CaseNumberDay), new)
    for day in existing:
        await session.execute(CaseNumberDay.__table__.update().where(CaseNumberDay.day == day)
                              .values(last=touched[day]))
    return numbers


def _life(rng: random.Random, case_id: int, number: str, created: datetime, compound: Compound, category: str,
          officer: str, skill: dict, end: datetime, index: int) -> tuple[dict, list[dict], list[dict]]:
    """One case's row, its events and its survey, cut off at `end` (later steps have not happened yet)."""
    life = _Life(rng, case_id, category, officer, skill, end)
    channel = _pick(rng, CHANNELS)
    building = f"{rng.randint(1, max(1, compound.buildings))}栋"
    description = rng.choice(PLACES[category]).format(b=building[:-1])
    reporter = f"history-{index:06d}"
    phone = f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}" if channel != "wechat" else None
    life.row.update({"id": case_id, "number": number, "category": category, "compound_id": compound.id,
                     "building": building, "description": f"{compound.name}{description}", "lat": compound.lat,
                     "lng": compound.lng, "priority": 1 if category == "emergency" else 3,
                     "urgent": category == "emergency", "channel": channel, "reporter_id": reporter,
                     "contact_phone": phone, "created_at": created, "updated_at": created,
                     "repeat_reports": (rng.choices([1, 2, 3], [6, 2, 1])[0] if rng.random() < 0.08 else 0)})
    life.resident = f"resident:{DEMO_PLATFORM}:{reporter}"
    life.event("created", created, life.resident,
               data={"category": category, "compound_id": compound.id, "channel": channel, "demo": True})
    life.dispatch(created + timedelta(seconds=rng.uniform(3, 90)), 1)
    resolved = life.work(life.row["dispatched_at"])
    if resolved is not None:
        life.after_resolution(resolved, reporter)
    life.row["status"] = life.status
    life.row["updated_at"] = max([created, *(e["at"] for e in life.events)])
    return life.row, life.events, life.surveys


class _Life:
    """The steps of one generated case. Statuses move through backend.lifecycle's table, as the workflow's
    do, so the history holds only transitions the live code could have made."""

    def __init__(self, rng: random.Random, case_id: int, category: str, officer: str, skill: dict,
                 end: datetime):
        self.rng, self.case_id, self.category, self.officer, self.skill, self.end = \
            rng, case_id, category, officer, skill, end
        self.status = lifecycle.INITIAL
        self.events: list[dict] = []
        self.surveys: list[dict] = []
        self.resident = "system"
        self.row = {"occurred": None, "status": lifecycle.INITIAL, "reporter_platform": DEMO_PLATFORM,
                    "anonymous": False, "dept_id": "chengguan", "officer_id": officer, "resolved_at": None,
                    "closed_at": None, "dispatched_at": None, "accepted_at": None, "departed_at": None,
                    "arrived_at": None, "sla": None, "joint_verification": False, "dispatch_round": 0}

    def event(self, kind: str, at: datetime, actor: str = "system", note: str | None = None,
              data: dict | None = None) -> bool:
        if at < self.end:
            self.events.append({"case_id": self.case_id, "kind": kind, "at": at, "actor": actor, "note": note,
                                "data": data})
        return at < self.end

    def step(self, action: str, at: datetime, actor: str = "system", note: str | None = None,
             data: dict | None = None) -> None:
        """A lifecycle transition at `at`, if it has happened by the end of the history."""
        row = lifecycle.transition(action, self.status)
        assert row is not None, (action, self.status)
        if self.event(row.event, at, actor, note, data):
            self.status = row.to or self.status

    def dispatch(self, at: datetime, round_: int) -> None:
        accept_s, depart_s, arrive_s = SLA_OVERRIDES.get(self.category, SLA_DEFAULT)
        sla = {"accept": (at + timedelta(seconds=accept_s)).isoformat(),
               "depart": (at + timedelta(seconds=depart_s)).isoformat(),
               "arrive": (at + timedelta(seconds=arrive_s)).isoformat()}
        self.row.update(dispatched_at=at, accepted_at=None, departed_at=None, arrived_at=None, sla=sla,
                        dispatch_round=round_)
        self.step("dispatch", at, data={"officer": self.officer, "sla": sla})

    def work(self, at: datetime) -> datetime | None:
        """Accept, depart, arrive, resolve from dispatch time `at`; returns the resolution time."""
        rng = self.rng
        accept_s, depart_s, arrive_s = SLA_OVERRIDES.get(self.category, SLA_DEFAULT)
        on_time = rng.random() < self.skill.get(self.officer, 0.9)
        accepted = at + timedelta(seconds=rng.uniform(8, accept_s * 0.95) if on_time
                                  else rng.uniform(accept_s * 1.05, accept_s * 8))
        departed = accepted + timedelta(seconds=rng.uniform(20, (depart_s - accept_s) * (0.9 if on_time else 1.6)))
        arrived = departed + timedelta(seconds=rng.uniform(120, (arrive_s - depart_s) * (0.95 if on_time else 1.8)))
        hours = CATEGORIES[self.category][2] * math.exp(rng.gauss(0, 0.8))
        resolved = arrived + timedelta(hours=hours)
        for stage, done, due_s in (("accept", accepted, accept_s), ("depart", departed, depart_s),
                                   ("arrive", arrived, arrive_s)):
            deadline = at + timedelta(seconds=due_s)
            if done > deadline:
                self.event("sla_breached", deadline, data={"stage": stage, "due": deadline.isoformat()})
                self.event("escalated", deadline, data={"stage": stage})
        for action, moment, column in (("accept", accepted, "accepted_at"), ("depart", departed, "departed_at"),
                                       ("arrive", arrived, "arrived_at")):
            if moment >= self.end:
                return None
            self.row[column] = moment
            self.step(action, moment, f"staff:{self.officer}")
        if resolved >= self.end:
            return None
        self.row["resolved_at"] = resolved
        self.event("resolved_by_officer", resolved, f"staff:{self.officer}", note="已处理完毕")
        self.step("resolve", resolved, note="已处理完毕")
        return resolved

    def after_resolution(self, resolved: datetime, reporter: str) -> None:
        """The survey two hours later; an answer closes the case or reopens it, silence waits for the revisit."""
        rng = self.rng
        asked = resolved + timedelta(hours=2)
        self.event("survey_sent", asked)
        answer = rng.random() < 0.65 and asked < self.end
        rating = _pick(rng, {**RATINGS, "unsatisfied": RATINGS["unsatisfied"] * (3 if self.skill[self.officer] < 0.85 else 1)})
        answered = asked + timedelta(hours=rng.uniform(0.2, 30))
        survey = {"case_id": self.case_id, "round": 1, "platform": DEMO_PLATFORM, "user_id": reporter,
                  "comment": None, "sent_at": asked, "reminded_at": None}
        if answer and answered < self.end:
            self.surveys.append({**survey, "status": "answered", "rating": rating, "answered_at": answered})
            self.event("survey_answered", answered, self.resident, data={"rating": rating})
            if rating == "unsatisfied":
                self.reopen(answered)
            else:
                self.row["closed_at"] = answered
                self.step("close", answered)
            return
        if asked < self.end:
            self.surveys.append({**survey, "status": "sent" if asked + timedelta(hours=96) > self.end else "no_answer",
                                 "rating": None, "answered_at": None})
        self.revisit(resolved + timedelta(days=3))

    def reopen(self, at: datetime) -> None:
        self.row.update(resolved_at=None, closed_at=None)
        self.step("reopen", at, self.resident, note="居民评价不满意")
        self.dispatch(at, 2)
        again = self.work(self.row["dispatched_at"])
        if again is not None:
            self.revisit(again + timedelta(days=3))

    def revisit(self, at: datetime) -> None:
        if at < self.end:
            self.step("revisit", at, f"staff:{self.officer}", data={"solved": True})
            self.row["closed_at"] = at
            self.step("close", at)
