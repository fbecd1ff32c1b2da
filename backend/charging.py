"""EV charging: the station registry, live spot state from sensor feeds, the nearest stations
with free spots, free-spot alerts, and the feeds' tokens.

Live state
    Feeds post updates stamped with the sensor's own time. A spot update applies only when it is newer
    than what is stored for that spot; a whole-station count (`free`) only when it is newer than the
    station's newest update. So an older update never overwrites a newer one and a repeat changes
    nothing. A station reports either per spot or as a count; after a count, the next spot update
    recounts from the spots. A station whose newest update is older than `stale_s` is `unavailable`:
    never shown as free, never proposed.
Alerts
    A spot frees when it becomes free where it was not visibly free before (occupied, fault, unknown, or
    its station stale). Each freed spot goes to the earliest active subscriber it matches (that station,
    or any station of its kind within the radius): one push through the outbox, and that subscription
    ends. N spots freed -> at most N pushes. A subscription not fired within its TTL expires.
Concurrency
    A batch and its alerts are one transaction. On PostgreSQL it takes a transaction-level advisory lock,
    so processes apply batches one at a time; SQLite's single writer does the same.
"""
from __future__ import annotations

import hashlib
import heapq
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import prcoords

from sqlalchemy import bindparam, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend import texts as T
from backend.clock import local
from backend.places import distance_m
from storage import jobs, outbox
from storage.db import insert_for
from storage.models import Case, ChargingAlert, ChargingFeed, ChargingLive, ChargingSpot, ChargingStation

KINDS = ("ebike", "car")
SPOT_STATES = ("free", "occupied", "fault")
ADVISORY_LOCK = 7_000_007  # PostgreSQL advisory lock key of the charging ingest
ALERT_JOB = "charging.alert_expiry"
NEAR_BOX_M = 2000  # nearest(): look this far first (half the side of a square), then everywhere


@dataclass(frozen=True)
class ChargingPolicy:
    """The street's charging settings (CHARGING_* in bot/config.py)."""

    stale_s: int = 600
    alert_ttl_s: int = 7200
    alert_radius_m: int = 1000
    max_future_s: int = 300  # an update stamped further ahead of our clock is refused
    max_age_s: int = 24 * 3600  # an update stamped longer ago is refused as stale (a replay, a broken clock)


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    compound_id: str
    kind: str  # ebike | car
    lat: float
    lng: float
    spots: int


@dataclass(frozen=True)
class StationState:
    """A station as residents and the dashboard see it now."""

    station: Station
    status: str  # available (free > 0) | full | unavailable (no data, or stale)
    free: int | None
    occupied: int | None
    fault: int | None
    reported_at: datetime | None
    distance_m: float | None = None

    def as_json(self) -> dict:
        s = self.station
        data = {"id": s.id, "name": s.name, "compound_id": s.compound_id, "kind": s.kind, "lat": s.lat,
                "lng": s.lng, "spots": s.spots, "status": self.status, "free": self.free,
                "occupied": self.occupied, "fault": self.fault,
                "reported_at": self.reported_at.isoformat() if self.reported_at else None,
                "navigation": navigation_url(s)}
        if self.distance_m is not None:
            data["distance_m"] = round(self.distance_m)
        return data


def navigation_url(station: Station) -> str:
    """An AMap URI that opens the map app on the phone (or the web map) at the station.

    Our coordinates are WGS-84 (what phones share and sensors report); AMap draws GCJ-02, the datum
    Chinese maps are required to use, which sits ~500 m away in Hefei. So the point is converted first."""
    gcj = prcoords.wgs_gcj((station.lat, station.lng))
    return (f"https://uri.amap.com/marker?position={gcj.lon:.6f},{gcj.lat:.6f}"
            f"&name={quote(station.name)}&coordinate=gaode&callnative=1")


def _status(free: int | None, reported_at: datetime | None, now: datetime, policy: ChargingPolicy) -> str:
    if free is None or reported_at is None or (now - reported_at).total_seconds() > policy.stale_s:
        return "unavailable"
    return "available" if free > 0 else "full"


# --- registry and state ------------------------------------------------------------------------------

_COLUMNS = (ChargingStation.id, ChargingStation.name, ChargingStation.compound_id, ChargingStation.kind,
            ChargingStation.lat, ChargingStation.lng, ChargingStation.spots, ChargingLive.free,
            ChargingLive.occupied, ChargingLive.fault, ChargingLive.reported_at)


def _state(row, now: datetime, policy: ChargingPolicy, distance: float | None = None) -> StationState:
    station = Station(row[0], row[1], row[2], row[3], row[4], row[5], row[6])
    status = _status(row[7], row[10], now, policy)
    known = status != "unavailable"
    return StationState(station, status, row[7] if known else None, row[8] if known else None,
                        row[9] if known else None, row[10], distance)


def _with_live():
    return select(*_COLUMNS).outerjoin(ChargingLive, ChargingLive.station_id == ChargingStation.id)


async def states(session: AsyncSession, now: datetime, policy: ChargingPolicy, *, kind: str | None = None,
                 compound_id: str | None = None) -> list[StationState]:
    """Every station (of a kind, in a compound) with its current state, by id."""
    query = _with_live().order_by(ChargingStation.id)
    if kind:
        query = query.where(ChargingStation.kind == kind)
    if compound_id:
        query = query.where(ChargingStation.compound_id == compound_id)
    return [_state(r, now, policy) for r in (await session.execute(query)).all()]


async def state_of(session: AsyncSession, station_id: str, now: datetime, policy: ChargingPolicy
                   ) -> StationState | None:
    row = (await session.execute(_with_live().where(ChargingStation.id == station_id))).first()
    return _state(row, now, policy) if row else None


async def nearest(session: AsyncSession, lat: float, lng: float, now: datetime, policy: ChargingPolicy, *,
                  kind: str | None = None, limit: int = 3, free_only: bool = True) -> list[StationState]:
    """The `limit` stations closest to a point; with `free_only`, only those with a fresh free spot.
    Ranked on (id, lat, lng) alone, first within a box of about 2 km, then the winners' state is read:
    two light queries, a few ms for 1,000 stations."""
    query = select(ChargingStation.id, ChargingStation.lat, ChargingStation.lng)
    if free_only:
        query = query.join(ChargingLive, ChargingLive.station_id == ChargingStation.id).where(
            ChargingLive.free > 0, ChargingLive.reported_at >= now - timedelta(seconds=policy.stale_s))
    if kind:
        query = query.where(ChargingStation.kind == kind)
    box = NEAR_BOX_M / 111_000
    k = max(0.1, math.cos(math.radians(lat)))
    rows = (await session.execute(query.where(ChargingStation.lat.between(lat - box, lat + box),
                                              ChargingStation.lng.between(lng - box / k, lng + box / k)))).all()
    # rank on a flat-earth distance (exact enough at street scale, and cheap), then read the winners
    flat = lambda r: (r[1] - lat) ** 2 + ((r[2] - lng) * k) ** 2  # noqa: E731
    best = heapq.nsmallest(limit, rows, key=flat)
    if len(best) < limit or flat(best[-1]) > box ** 2:  # something outside the box might be nearer
        best = heapq.nsmallest(limit, (await session.execute(query)).all(), key=flat)
    if not best:
        return []
    found = {r[0]: r for r in (await session.execute(
        _with_live().where(ChargingStation.id.in_([r[0] for r in best])))).all()}
    return [_state(found[r[0]], now, policy, distance_m(lat, lng, r[1], r[2])) for r in best if r[0] in found]


# --- ingest ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SensorUpdate:
    """One item of a feed's batch: a spot's state, or a station's free count, at the sensor's time."""

    station_id: str
    at: datetime
    spot: str | None = None
    state: str | None = None
    free: int | None = None


@dataclass
class IngestResult:
    applied: int = 0  # changed the stored state
    unchanged: int = 0  # older than, or the same as, what is stored
    rejected: list[dict] = field(default_factory=list)  # {"index", "error", "detail"}
    freed: int = 0  # spots that became free
    alerts: int = 0  # pushes queued to subscribers

    def as_json(self) -> dict:
        return {"applied": self.applied, "unchanged": self.unchanged, "rejected": self.rejected,
                "freed": self.freed, "alerts": self.alerts}


def parse_time(value: object) -> datetime | None:
    """ISO 8601 with a time zone ("2026-11-28T09:30:00+08:00", "…Z") or Unix seconds (or milliseconds)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if not value > 0:  # 0 (an unset sensor clock), negatives and NaN are no time
            return None
        try:  # an integer too large for a float overflows already in the division
            seconds = value / 1000 if value > 1e11 else value
            return datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return at if at.tzinfo is not None else None
    return None


def parse_update(item: object) -> SensorUpdate | tuple[str, str]:
    """One JSON item as an update, or (error code, detail) naming what is wrong with it."""
    if not isinstance(item, dict):
        return "not_an_object", "each update is a JSON object"
    station_id = item.get("station_id")
    if not isinstance(station_id, str) or not station_id.strip() or "\x00" in station_id:
        return "missing_station_id", "station_id must be a non-empty string (no NUL)"
    if "at" not in item:
        return "missing_at", "at (the sensor's time) is required"
    at = parse_time(item["at"])
    if at is None:
        return "bad_at", "at must be ISO 8601 with a time zone, or Unix seconds"
    has_spot, has_free = "spot" in item, "free" in item
    if has_spot == has_free:
        return "bad_shape", "give either spot and state, or free"
    if has_free:
        free = item["free"]
        if isinstance(free, bool) or not isinstance(free, int) or free < 0:
            return "bad_free", "free must be a whole number >= 0"
        return SensorUpdate(station_id.strip(), at, free=free)
    spot, state = item["spot"], item.get("state")
    if (isinstance(spot, bool) or not isinstance(spot, (str, int)) or not str(spot).strip() or len(str(spot)) > 32
            or "\x00" in str(spot)):
        return "bad_spot", "spot must be a string or number (at most 32 characters)"
    if state not in SPOT_STATES:
        return "bad_state", "state must be one of free, occupied, fault"
    return SensorUpdate(station_id.strip(), at, spot=str(spot).strip(), state=state)


async def _serialise(session: AsyncSession) -> None:
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})


@dataclass(frozen=True)
class Feed:
    """A sensor feed allowed to post updates, and the stations it may write."""

    name: str
    stations: frozenset[str]


Batch = list[SensorUpdate | tuple[int, str, str]]


async def ingest(session: AsyncSession, feed: Feed, items: Batch, now: datetime,
                 policy: ChargingPolicy) -> IngestResult:
    """Apply a feed's batch in the caller's transaction: parsed updates are applied (in the order of
    their sensor times), `(index, error, detail)` items and updates that fail the registry, the feed's
    stations or the clock are listed as rejected. Freed spots alert their subscribers in the same transaction.

    Counts are kept incrementally (old state out, new state in), so a batch reads only the spots it
    names: a handful of statements whatever the stations' sizes."""
    result = IngestResult()
    updates: list[tuple[int, SensorUpdate]] = []
    for index, item in enumerate(items):
        if isinstance(item, SensorUpdate):
            updates.append((index, item))
        else:
            result.rejected.append({"index": item[0], "error": item[1], "detail": item[2]})
    await _serialise(session)
    conn = await session.connection()  # Core from here on: a batch is a handful of statements
    registry = {s.id: s for s in await _stations(conn, sorted({u.station_id for _, u in updates}))}
    by_station = _admit(updates, registry, feed, now, policy, result)
    live, known = await _current(conn, by_station)
    spot_writes: list[dict] = []
    live_writes: list[dict] = []
    freed_by_station: dict[str, tuple[int, int]] = {}  # station -> (spots freed, free now)
    for sid, mine in by_station.items():
        applied = _apply_station(registry[sid], mine, live.get(sid), known, now, policy, result)
        if applied is None:
            continue
        changed, counts, source, newest, freed = applied
        spot_writes.extend({"station_id": sid, "spot": spot, "state": known[(sid, spot)][0],
                            "reported_at": known[(sid, spot)][1], "received_at": now, "feed": feed.name}
                           for spot in sorted(changed))
        live_writes.append({"station_id": sid, **counts, "source": source, "reported_at": newest,
                            "received_at": now})
        if freed and _status(counts["free"], newest, now, policy) == "available":
            freed_by_station[sid] = (freed, counts["free"])
    await _write_state(session, conn, spot_writes, live_writes)
    if freed_by_station:
        result.freed = sum(freed for freed, _ in freed_by_station.values())
        result.alerts = await _alert_subscribers(session, {sid: (registry[sid], *f) for sid, f in
                                                           sorted(freed_by_station.items())}, now, policy)
    result.rejected.sort(key=lambda r: r["index"])
    return result


def _refusal(u: SensorUpdate, station: Station | None, feed: Feed, now: datetime,
             policy: ChargingPolicy) -> tuple[str, str] | None:
    """Why an update cannot be applied (error code, detail), or None."""
    if station is None:
        return "unknown_station", f"no station {u.station_id!r}"
    if station.id not in feed.stations:
        return "not_your_station", f"feed {feed.name} may not write station {station.id}"
    if u.at > now + timedelta(seconds=policy.max_future_s):
        return "at_in_future", f"at {u.at.isoformat()} is ahead of the server's clock"
    if u.at < now - timedelta(seconds=policy.max_age_s):
        return "stale", f"at {u.at.isoformat()} is more than {policy.max_age_s} s old"
    if u.free is not None and u.free > station.spots:
        return "free_exceeds_spots", f"station {station.id} has {station.spots} spots"
    return None


def _admit(updates: list[tuple[int, SensorUpdate]], registry: dict[str, Station], feed: Feed, now: datetime,
           policy: ChargingPolicy, result: IngestResult) -> dict[str, list[tuple[int, SensorUpdate]]]:
    """The updates that may be applied, by station; the others go to `result.rejected`."""
    by_station: dict[str, list[tuple[int, SensorUpdate]]] = {}
    for index, u in updates:
        error = _refusal(u, registry.get(u.station_id), feed, now, policy)
        if error:
            result.rejected.append({"index": index, "error": error[0], "detail": error[1]})
        else:
            by_station.setdefault(u.station_id, []).append((index, u))
    return by_station


async def _current(conn, by_station: dict[str, list[tuple[int, SensorUpdate]]]):
    """The stored live rows of these stations and the stored state of the spots the batch names (all of a
    station's spots when it switches from counts back to spots)."""
    ids = sorted(by_station)
    if not ids:
        return {}, {}
    live = {r.station_id: r for r in (await conn.execute(
        select(ChargingLive.station_id, ChargingLive.free, ChargingLive.occupied, ChargingLive.fault,
               ChargingLive.source, ChargingLive.reported_at).where(ChargingLive.station_id.in_(ids))))}
    named = sorted({(sid, u.spot) for sid, mine in by_station.items() for _, u in mine if u.spot is not None})
    known = await _spots(conn, tuple_(ChargingSpot.station_id, ChargingSpot.spot).in_(named)) if named else {}
    recount = [sid for sid in ids if sid in live and live[sid].source == "count"
               and any(u.spot is not None for _, u in by_station[sid])]
    if recount:  # a station switching from counts to spots: its counts come from all its spots
        known.update(await _spots(conn, ChargingSpot.station_id.in_(recount)))
    return live, known


def _apply_station(station: Station, mine: list[tuple[int, SensorUpdate]], old, known: dict, now: datetime,
                   policy: ChargingPolicy, result: IngestResult):
    """One station's updates in sensor-time order, against its stored state (`known` is updated in place).
    Returns None when nothing applied, else (spot -> state before, counts, source, newest time, spots freed)."""
    sid = station.id
    fresh_before = old is not None and _status(old.free, old.reported_at, now, policy) != "unavailable"
    newest = old.reported_at if old else None
    counts = {"free": old.free, "occupied": old.occupied, "fault": old.fault} if old else dict.fromkeys(SPOT_STATES, 0)
    source = old.source if old else "spots"
    changed: dict[str, str | None] = {}  # spot -> its state before this batch
    applied = 0
    for index, u in sorted(mine, key=lambda iu: iu[1].at):
        if u.spot is not None:
            current = known.get((sid, u.spot))
            if current is not None and u.at <= current[1]:
                result.unchanged += 1
                continue
            if source == "count":  # back to spots: start from what the spots say
                counts = {state: sum(1 for (k, _), (st, _) in known.items() if k == sid and st == state)
                          for state in SPOT_STATES}
                source = "spots"
            if current is None and sum(counts.values()) >= station.spots:
                result.rejected.append({"index": index, "error": "too_many_spots",
                                        "detail": f"station {sid} has {station.spots} spots"})
                continue
            if current is not None:
                counts[current[0]] -= 1
            counts[u.state] += 1
            changed.setdefault(u.spot, current[0] if current else None)
            known[(sid, u.spot)] = (u.state, u.at)
        else:
            if newest is not None and u.at <= newest:
                result.unchanged += 1
                continue
            counts = {"free": u.free, "occupied": station.spots - u.free, "fault": 0}
            source = "count"
        newest = u.at if newest is None else max(newest, u.at)
        applied += 1
    if not applied:
        return None
    result.applied += applied
    if source == "spots":
        freed = sum(1 for spot, before in changed.items()
                    if known[(sid, spot)][0] == "free" and not (before == "free" and fresh_before))
    else:
        freed = max(0, counts["free"] - (old.free if fresh_before else 0))
    return changed, counts, source, newest, freed


async def _write_state(session: AsyncSession, conn, spot_writes: list[dict], live_writes: list[dict]) -> None:
    insert = insert_for(session)
    if spot_writes:  # executemany of one cached statement; the WHERE keeps the newest even under a race
        statement = insert(ChargingSpot)
        excluded = statement.excluded
        await conn.execute(statement.on_conflict_do_update(
            index_elements=["station_id", "spot"],
            set_={"state": excluded.state, "reported_at": excluded.reported_at, "received_at": excluded.received_at,
                  "feed": excluded.feed},
            where=ChargingSpot.reported_at < excluded.reported_at), spot_writes)
    if live_writes:
        statement = insert(ChargingLive)
        excluded = statement.excluded
        await conn.execute(statement.on_conflict_do_update(
            index_elements=["station_id"],
            set_={name: getattr(excluded, name) for name in
                  ("free", "occupied", "fault", "source", "reported_at", "received_at")}), live_writes)


async def _spots(conn, where) -> dict[tuple[str, str], tuple[str, datetime]]:
    rows = await conn.execute(select(ChargingSpot.station_id, ChargingSpot.spot, ChargingSpot.state,
                                     ChargingSpot.reported_at).where(where))
    return {(sid, spot): (state, at) for sid, spot, state, at in rows}


async def _stations(conn, ids: list[str]) -> list[Station]:
    if not ids:
        return []
    rows = await conn.execute(select(ChargingStation.id, ChargingStation.name, ChargingStation.compound_id,
                                     ChargingStation.kind, ChargingStation.lat, ChargingStation.lng,
                                     ChargingStation.spots).where(ChargingStation.id.in_(ids)))
    return [Station(*r) for r in rows]


# --- free-spot alerts --------------------------------------------------------------------------------

async def subscribe(session: AsyncSession, platform: str, user_id: str, *, kind: str, now: datetime,
                    policy: ChargingPolicy, station_id: str | None = None, lat: float | None = None,
                    lng: float | None = None) -> ChargingAlert:
    """Wait for a free spot at a station, or at any station of `kind` within the radius of a point.
    A person has one alert at a time: a new one replaces the old."""
    await cancel(session, platform, user_id, now)
    alert = ChargingAlert(platform=platform, user_id=user_id, kind=kind, station_id=station_id,
                          lat=None if station_id else lat, lng=None if station_id else lng,
                          radius_m=None if station_id else policy.alert_radius_m, status="active",
                          created_at=now, expires_at=now + timedelta(seconds=policy.alert_ttl_s))
    session.add(alert)
    await session.flush()
    await jobs.schedule(session, ALERT_JOB, alert.expires_at, {"alert_id": alert.id},
                        key=f"charging-alert:{alert.id}", now=now)
    return alert


async def active_alert(session: AsyncSession, platform: str, user_id: str, now: datetime) -> ChargingAlert | None:
    return (await session.execute(select(ChargingAlert).where(
        ChargingAlert.platform == platform, ChargingAlert.user_id == user_id, ChargingAlert.status == "active",
        ChargingAlert.expires_at > now).order_by(ChargingAlert.id.desc()).limit(1))).scalars().first()


async def cancel(session: AsyncSession, platform: str, user_id: str, now: datetime) -> int:
    """End this person's active alerts; returns how many were live (not yet past their TTL)."""
    rows = (await session.execute(select(ChargingAlert.id, ChargingAlert.expires_at).where(
        ChargingAlert.platform == platform, ChargingAlert.user_id == user_id,
        ChargingAlert.status == "active"))).all()
    for alert_id, _ in rows:
        await jobs.cancel(session, f"charging-alert:{alert_id}", now=now)
    if rows:
        await session.execute(update(ChargingAlert).where(ChargingAlert.id.in_([r[0] for r in rows]))
                              .values(status="cancelled", ended_at=now))
    return sum(1 for _, expires_at in rows if expires_at > now)


async def _alert_subscribers(session: AsyncSession, freed: dict[str, tuple[Station, int, int]], now: datetime,
                             policy: ChargingPolicy) -> int:
    """Give each freed spot to the earliest matching subscriber: one push each, and their alert ends.
    `freed`: station id -> (station, spots freed, free now). One query for the waiting alerts."""
    a = ChargingAlert
    waiting = list((await session.execute(select(
        a.id, a.platform, a.user_id, a.kind, a.station_id, a.lat, a.lng, a.radius_m).where(
        a.status == "active", a.expires_at > now).order_by(a.created_at, a.id))).all())
    taken: list[tuple] = []  # (alert row, station, free now, distance or None)
    for station, count, free_now in freed.values():
        for alert in waiting:
            if count == 0:
                break
            if alert.station_id is not None:
                if alert.station_id != station.id:
                    continue
                distance = None
            else:
                if alert.kind != station.kind or alert.lat is None:
                    continue
                distance = distance_m(alert.lat, alert.lng, station.lat, station.lng)
                if distance > (alert.radius_m or policy.alert_radius_m):
                    continue
            taken.append((alert, station, free_now, distance))
            count -= 1
        done = {t[0].id for t in taken}
        waiting = [w for w in waiting if w.id not in done]
    if not taken:
        return 0
    table = ChargingAlert.__table__
    await (await session.connection()).execute(
        update(table).where(table.c.id == bindparam("alert_id"))
        .values(status="fired", ended_at=now, fired_station=bindparam("station")),
        [{"alert_id": t[0].id, "station": t[1].id} for t in taken])
    for alert, station, free_now, distance in taken:
        await jobs.cancel(session, f"charging-alert:{alert.id}", now=now)
        text_ = T.CHARGING_ALERT.format(
            name=station.name, kind=T.CHARGING_KIND[station.kind], free=free_now, total=station.spots,
            distance=T.CHARGING_DISTANCE.format(m=round(distance)) if distance is not None else "",
            url=navigation_url(station))
        outbox.enqueue(session, platform=alert.platform, user_id=alert.user_id, kind="charging_alert",
                       payload={"text": text_, "template": {"kind": "charging_alert", "fields": {
                           "station": station.name, "free": f"{free_now}/{station.spots}",
                           "time": local(now).strftime("%Y-%m-%d %H:%M")}, "url": navigation_url(station)}},
                       idempotency_key=f"charging-alert:{alert.id}", now=now)
    return len(taken)


async def on_alert_expired(session: AsyncSession, run: jobs.JobRun) -> None:
    """An alert's TTL passed without a free spot: end it and tell the resident."""
    alert = await session.get(ChargingAlert, run.payload["alert_id"])
    if alert is None or alert.status != "active":
        return
    alert.status, alert.ended_at = "expired", run.now
    hours = max(1, round((alert.expires_at - alert.created_at).total_seconds() / 3600))
    outbox.enqueue(session, platform=alert.platform, user_id=alert.user_id, kind="charging_alert",
                   payload={"text": T.CHARGING_ALERT_EXPIRED.format(hours=hours)},
                   idempotency_key=f"charging-alert-expired:{alert.id}", now=run.now)


handlers = jobs.JobHandlers()
handlers.add(ALERT_JOB, on_alert_expired)


# --- the complaint link ------------------------------------------------------------------------------

async def dispatch_note(session: AsyncSession, case: Case, policy: ChargingPolicy = ChargingPolicy()) -> str:
    """For an ev_charging case in a compound with stations: their live state, for the officer's push."""
    if case.category != "ev_charging" or not case.compound_id:
        return ""
    now = case.dispatched_at or case.updated_at
    found = await states(session, now, policy, compound_id=case.compound_id)
    if not found:
        return ""
    lines = []
    for s in found:
        if s.status == "unavailable":
            lines.append(T.DISPATCH_CHARGING_UNAVAILABLE.format(name=s.station.name, total=s.station.spots))
        else:
            lines.append(T.DISPATCH_CHARGING_LINE.format(
                name=s.station.name, free=s.free, total=s.station.spots, fault=s.fault or 0,
                at=local(s.reported_at).strftime("%H:%M")))
    return T.DISPATCH_CHARGING.format(lines="；".join(lines))


# --- feeds ---------------------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FeedError(ValueError):
    """A feed command that cannot be carried out; the message is for the administrator."""


async def issue_token(session: AsyncSession, feed: str, now: datetime, stations: list[str]) -> str:
    """A new bearer token for a feed that may write these stations (replacing its old token and stations);
    only the token's sha256 is stored."""
    stations = sorted(dict.fromkeys(s.strip() for s in stations if s.strip()))
    if not stations:
        raise FeedError("a feed needs the stations it reports, e.g. --stations P01,P02")
    known = set((await session.execute(select(ChargingStation.id).where(ChargingStation.id.in_(stations)))).scalars())
    if missing := [s for s in stations if s not in known]:
        raise FeedError(f"no station {', '.join(missing)}")
    token = "cf_" + secrets.token_urlsafe(32)
    row = await session.get(ChargingFeed, feed)
    if row is None:
        session.add(ChargingFeed(name=feed, token_hash=hash_token(token), created_at=now, stations=stations))
    else:
        row.token_hash, row.created_at, row.stations = hash_token(token), now, stations
    return token


async def feed_of(session: AsyncSession, token: str) -> Feed | None:
    """The feed a bearer token belongs to, or None. A feed made before feeds had stations writes none."""
    row = (await session.execute(select(ChargingFeed.name, ChargingFeed.stations).where(
        ChargingFeed.token_hash == hash_token(token)))).first()
    return Feed(row[0], frozenset(row[1] or ())) if row else None
