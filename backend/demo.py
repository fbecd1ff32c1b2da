"""The demo street (backend/demo_street/*.csv): compounds, public places (roads, intersections, squares,
markets, parks, schools…), departments, staff, charging stations, and its knowledge base (faq.csv)."""
from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from backend import kb

from storage.models import PLACE_KINDS, ChargingStation, Compound, Department, Staff

DEMO_DIR = Path(__file__).parent / "demo_street"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DEMO_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def demo_records() -> list[object]:
    """Every demo row as a model object, keyed by its natural id."""
    records: list[object] = []
    for r in _rows("departments.csv"):
        records.append(Department(id=r["dept_id"], name=r["name"], remit=r["remit"]))
    for r in _rows("compounds.csv"):
        records.append(Compound(id=r["compound_id"], name=r["compound"], aliases=_split(r["aliases"]),
                                community=r["community"], lat=float(r["lat"]), lng=float(r["lng"]),
                                buildings=int(r["buildings"]), grid_mode=r["grid_mode"], kind="compound",
                                grid=None, roads=None, address=None))
    for r in _rows("places.csv"):
        records.append(public_place(r))
    for r in _rows("staff.csv"):
        records.append(Staff(id=r["staff_id"], name=r["name"], role=r["role"], dept_id=r["dept_id"],
                             compounds=_split(r["compounds"]), mode=r["mode"]))
    for r in _rows("charging_stations.csv"):
        records.append(ChargingStation(id=r["station_id"], name=r["name"], compound_id=r["compound_id"],
                                       kind=r["kind"], lat=float(r["lat"]), lng=float(r["lng"]),
                                       spots=int(r["spots"])))
    return records


def public_place(r: dict[str, str]) -> Compound:
    """A row of places.csv: a public place patrolled from the compound cell `grid` (no buildings of its own)."""
    if r["kind"] not in PLACE_KINDS or r["kind"] == "compound":
        raise ValueError(f"places.csv {r['place_id']}: kind {r['kind']!r} is not one of {', '.join(PLACE_KINDS[1:])}")
    return Compound(id=r["place_id"], name=r["name"], kind=r["kind"], aliases=_split(r["aliases"]),
                    community=r["community"], lat=float(r["lat"]), lng=float(r["lng"]), buildings=0,
                    grid_mode="roving", grid=r["grid"] or None, roads=_split(r["roads"]) or None,
                    address=r["address"] or None)


@dataclass(frozen=True)
class SeedResult:
    added: int
    updated: int


async def seed_demo(session: AsyncSession, now: datetime | None = None) -> SeedResult:
    """Load the demo street; running it again changes nothing (rows are matched by id, entries by faq_id)."""
    added = updated = 0
    for record in demo_records():
        existing = await session.get(type(record), record.id)
        if existing is None:
            session.add(record)
            added += 1
            continue
        changed = False
        for column in type(record).__table__.columns.keys():
            value = getattr(record, column)
            if getattr(existing, column) != value:
                setattr(existing, column, value)
                changed = True
        updated += changed
    entries = kb.read_csv(DEMO_DIR / "faq.csv")
    if isinstance(entries, kb.Refusal):
        raise ValueError(f"faq.csv: {entries.code} {entries.where}")
    entries = await _with_pilot_phrasings(session, entries)
    done = await kb.import_entries(session, entries, now or datetime.now(timezone.utc), actor="seed")
    return SeedResult(added + len(done.added), updated + len(done.updated))


async def _with_pilot_phrasings(session: AsyncSession, entries: list[kb.Entry]) -> list[kb.Entry]:
    """The entries with the phrasings a pilot taught them (faq_phrasings.csv: residents' questions attached to
    the entry that answers them, as a supervisor does from the dashboard), after any the street taught since."""
    pilot: dict[str, list[str]] = {}
    with open(DEMO_DIR / "faq_phrasings.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            pilot.setdefault(row["faq_id"], []).append(row["phrasing"])
    kept = {e.faq_id: e.phrasings or () for e in await kb.list_entries(session)}
    return [replace(e, phrasings=tuple(dict.fromkeys((*kept.get(e.faq_id, ()), *pilot.get(e.faq_id, ())))))
            for e in entries]
