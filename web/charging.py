"""The charging HTTP API.

POST /api/charging/updates    a feed's batch of sensor updates; `Authorization: Bearer <token>` from
                              `python main.py charging token --feed NAME --stations P01,P02`, checked
                              before the body is read; a feed writes only its stations (others are
                              rejected as not_your_station), and an `at` older than 24 h as stale.
                              Body: a JSON list (or {"updates": [...]}) of {"station_id", "spot", "state", "at"} or
                              {"station_id", "free", "at"}; `at` is the sensor's time (ISO 8601 with a
                              time zone, or Unix seconds). Valid items are applied, invalid ones listed
                              under "rejected" with their index; a batch with no valid item is a 422.
GET  /api/charging/stations   current state of every station: ?kind=ebike|car, ?lat=&lng= (nearest
                              first, with distance_m), ?free=1 (only stations with a fresh free spot),
                              ?limit=N (1..10000). A value that is not a finite number in range is a 400.

The GET is open (no token), on purpose: it serves the street's dashboard and other channels (mini
program, big screen, partner apps) the same facts the bot tells any anonymous follower — station
places and free counts, no personal data, read-only and cheap — so no secret has to live in a browser.
Writes need a feed token; errors are JSON {"error": code, "detail": text}.
"""
from __future__ import annotations

import json
import logging
import math
from datetime import datetime
from typing import Callable

from aiohttp import web

from backend import charging
from storage.db import Database

log = logging.getLogger(__name__)

MAX_BATCH = 1000
MAX_LIMIT = 10_000  # stations in one answer


def error(status: int, code: str, detail: str, **extra) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="charging"'} if status == 401 else None
    return web.json_response({"error": code, "detail": detail, **extra}, status=status, headers=headers)


class ChargingAPI:
    def __init__(self, db: Database, clock: Callable[[], datetime], policy: charging.ChargingPolicy):
        self.db, self.clock, self.policy = db, clock, policy

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/api/charging/updates", self.post_updates),
                web.get("/api/charging/stations", self.get_stations)]

    async def post_updates(self, request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(401, "missing_token", "send Authorization: Bearer <feed token>")
        async with self.db.sessions() as session:  # before the body: a stranger's bytes are never read
            feed = await charging.feed_of(session, token.strip())
        if feed is None:
            return error(401, "bad_token", "this token belongs to no charging feed")
        items = await self._batch(request)
        if isinstance(items, web.Response):
            return items
        parsed = []
        for index, item in enumerate(items):
            update = charging.parse_update(item)
            parsed.append(update if isinstance(update, charging.SensorUpdate) else (index, *update))
        now = self.clock()
        async with self.db.transaction() as session:
            result = await charging.ingest(session, feed, parsed, now, self.policy)
        if items and result.applied + result.unchanged == 0:
            codes = {r["error"] for r in result.rejected}
            code = codes.pop() if len(codes) == 1 else "invalid_updates"
            return error(422, code, result.rejected[0]["detail"] if code != "invalid_updates"
                         else "no update in the batch is valid", rejected=result.rejected)
        if result.rejected:
            log.warning("charging feed %s: %d of %d updates rejected (%s)", feed.name, len(result.rejected),
                        len(items), result.rejected[0]["error"])
        return web.json_response({"ok": True, **result.as_json()})

    async def _batch(self, request: web.Request) -> list | web.Response:
        """The body's list of updates, or the error answer naming what is wrong with it."""
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return error(413, "too_large", "the body is over the server's size limit; send smaller batches")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            return error(400, "bad_json", f"the body is not JSON: {type(exc).__name__}")
        items = data.get("updates") if isinstance(data, dict) else data
        if not isinstance(items, list):
            return error(400, "bad_batch", "send a JSON list of updates, or {\"updates\": [...]}")
        if len(items) > MAX_BATCH:
            return error(413, "batch_too_large", f"at most {MAX_BATCH} updates per request, got {len(items)}")
        return items

    async def get_stations(self, request: web.Request) -> web.Response:
        q = request.query
        kind = q.get("kind") or None
        if kind is not None and kind not in charging.KINDS:
            return error(400, "bad_kind", "kind is ebike or car")
        try:
            lat = _number(q, "lat", -90, 90)
            lng = _number(q, "lng", -180, 180)
            limit = _whole(q, "limit", 1, MAX_LIMIT)
        except ValueError as exc:
            return error(400, "bad_query", str(exc))
        if (lat is None) != (lng is None):
            return error(400, "bad_query", "give both lat and lng")
        free_only = q.get("free") in ("1", "true", "yes")
        now = self.clock()
        async with self.db.sessions() as session:
            if lat is not None:
                found = await charging.nearest(session, lat, lng, now, self.policy, kind=kind, free_only=free_only,
                                               limit=limit or MAX_LIMIT)
            else:
                found = await charging.states(session, now, self.policy, kind=kind)
                if free_only:
                    found = [s for s in found if s.status == "available"]
                found = found[:limit] if limit is not None else found
        return web.json_response(
            {"at": now.isoformat(), "stale_after_s": self.policy.stale_s, "stations": [s.as_json() for s in found]},
            headers={"Cache-Control": "public, max-age=5", "Access-Control-Allow-Origin": "*"})


def _number(query, name: str, low: float, high: float) -> float | None:
    """A finite number within [low, high] (nan, inf and 1e308 are not a place), or None when absent."""
    if name not in query:
        return None
    try:
        value = float(query[name])
    except ValueError:
        raise ValueError(f"{name} must be a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a number between {low:g} and {high:g}")
    return value


def _whole(query, name: str, low: int, high: int) -> int | None:
    if name not in query:
        return None
    text = query[name].strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def charging_policy(settings) -> charging.ChargingPolicy:
    return charging.ChargingPolicy(stale_s=settings.charging_stale_s, alert_ttl_s=settings.charging_alert_ttl_s,
                                   alert_radius_m=settings.charging_alert_radius_m)
